//===- Random.h - Seeded draws that are the same everywhere -----*- C++ -*-===//
//
// Training draws initial weights and shuffles examples from splitmix64
// streams, never from std:: distributions (whose results differ between
// standard libraries): one seed gives the same net and the same batches on
// every platform, and a resumed run the same as an uninterrupted one.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TRAIN_RANDOM_H
#define PFC_TRAIN_RANDOM_H

#include <cstdint>

namespace pfc {

/// Steele, Lea and Flood's splitmix64.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}

  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, bound), by Lemire's multiply-and-shift.
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(next()) * bound) >> 64);
  }
  /// Uniform in [-bound, bound), from 53 random bits.
  double symmetric(double bound) {
    const double unit = static_cast<double>(next() >> 11) * 0x1.0p-53;
    return (2.0 * unit - 1.0) * bound;
  }

private:
  uint64_t state;
};

/// The seed of stream `stream` of `seed`: streams of one seed are
/// unrelated.
inline uint64_t streamSeed(uint64_t seed, uint64_t stream) {
  SplitMix64 mix(stream);
  return SplitMix64(seed ^ mix.next()).next();
}

} // namespace pfc

#endif // PFC_TRAIN_RANDOM_H
