//===- RandomDraws.h - Seeded random draws for randomized tests -*- C++ -*-===//
//
// Every randomized test draws from a fresh seed, says which one in its
// failure messages, and reruns a failure with PFC_TEST_SEED=<seed>.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TESTS_UNIT_RANDOMDRAWS_H
#define PFC_TESTS_UNIT_RANDOMDRAWS_H

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace pfc {

class RandomDraws {
public:
  RandomDraws() : seed(chooseSeed()), engine(seed) {}

  /// For SCOPED_TRACE: the seed and how to draw the same values again.
  std::string trace() const {
    return "seed " + std::to_string(seed) +
           " (rerun with PFC_TEST_SEED=" + std::to_string(seed) + ")";
  }

  /// An integer in [lo, hi].
  int64_t operator()(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine);
  }

  /// A real number in [lo, hi).
  double real(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(engine);
  }

  /// `count` floats in [-scale, scale).
  std::vector<float> values(size_t count, double scale = 1.0) {
    std::vector<float> result(count);
    for (float &value : result)
      value = static_cast<float>(real(-scale, scale));
    return result;
  }

private:
  static unsigned chooseSeed() {
    if (const char *fixed = std::getenv("PFC_TEST_SEED"))
      return static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
    return std::random_device{}();
  }

  unsigned seed;
  std::mt19937 engine;
};

} // namespace pfc

#endif // PFC_TESTS_UNIT_RANDOMDRAWS_H
