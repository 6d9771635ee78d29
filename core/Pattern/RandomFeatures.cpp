//===- RandomFeatures.cpp - Drawing Performer's feature matrix ------------===//
#include "pfc/Pattern/RandomFeatures.h"

#include <cmath>
#include <optional>

namespace pfc {
namespace {
/// splitmix64 (Steele, Lea, Flood 2014) and Box-Muller normals: small, and
/// defined bit for bit, unlike std::normal_distribution.
class Normals {
public:
  explicit Normals(uint64_t seed) : state(seed) {}

  double next() {
    if (spare) {
      double value = *spare;
      spare.reset();
      return value;
    }
    const double kTwoPi = 6.283185307179586;
    double u1 = uniform(), u2 = uniform();
    double radius = std::sqrt(-2.0 * std::log(u1));
    spare = radius * std::sin(kTwoPi * u2);
    return radius * std::cos(kTwoPi * u2);
  }

private:
  uint64_t bits() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in (0, 1]: log(u1) stays finite.
  double uniform() {
    return (static_cast<double>(bits() >> 11) + 1.0) * 0x1.0p-53;
  }

  uint64_t state;
  std::optional<double> spare;
};
} // namespace

std::vector<float> drawRandomFeatures(const AttentionSpec &spec) {
  const int64_t rows = spec.features / 2, d = spec.headDim;
  std::vector<float> w(static_cast<size_t>(rows * d));
  Normals normals(spec.seed);
  std::vector<double> block(static_cast<size_t>(d * d));
  for (int64_t first = 0; first < rows; first += d) {
    // Modified Gram-Schmidt on d Gaussian rows; a row that collapses (its
    // norm below 1e-6 of where it started, probability zero) is redrawn.
    for (int64_t r = 0; r < d; ++r) {
      double *row = &block[static_cast<size_t>(r * d)];
      for (;;) {
        double start = 0, norm = 0;
        for (int64_t c = 0; c < d; ++c) {
          row[c] = normals.next();
          start += row[c] * row[c];
        }
        for (int64_t p = 0; p < r; ++p) {
          const double *prev = &block[static_cast<size_t>(p * d)];
          double dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += row[c] * prev[c];
          for (int64_t c = 0; c < d; ++c)
            row[c] -= dot * prev[c];
        }
        for (int64_t c = 0; c < d; ++c)
          norm += row[c] * row[c];
        if (norm > 1e-12 * start) {
          for (int64_t c = 0; c < d; ++c)
            row[c] /= std::sqrt(norm);
          break;
        }
      }
    }
    for (int64_t r = 0; r < d && first + r < rows; ++r) {
      double chi = 0;
      for (int64_t c = 0; c < d; ++c) {
        double g = normals.next();
        chi += g * g;
      }
      chi = std::sqrt(chi);
      for (int64_t c = 0; c < d; ++c)
        w[static_cast<size_t>((first + r) * d + c)] =
            static_cast<float>(chi * block[static_cast<size_t>(r * d + c)]);
    }
  }
  return w;
}

} // namespace pfc
