//===- Timing.h - Timing calls and measuring memory bandwidth ---*- C++ -*-===//
//
// What `pfc bench` and `pfc bench --sweep` share: best-of-batches timing
// (warm caches), cold timing (the caches flushed before each call, for the
// memory-bound small-token case), the machine's copy and read bandwidth, and
// the test data.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_BENCH_TIMING_H
#define PFC_BENCH_TIMING_H

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace pfc {

/// How long to time a kernel. With callsPerBatch = 0 the calls per batch
/// come from `seconds`; a call longer than seconds / batches lowers the batch
/// count, down to minBatches batches of one call each.
struct TimingPolicy {
  double seconds = 0.3; ///< about this much over all batches
  int batches = 5;
  int minBatches = 5;
  int64_t callsPerBatch = 0;
};

/// The time of one call: the best over `batches` batches of `calls` calls.
struct Timing {
  double seconds = 0.0;
  int64_t calls = 0;
  int batches = 0;
};

/// Times `call` after a warm-up call.
Timing timeCalls(const std::function<void()> &call, const TimingPolicy &policy);

/// Evicts the caches by reading a buffer several times the size of the last
/// level cache, split over threads so that every core stays awake.
class CacheFlusher {
public:
  CacheFlusher(size_t bytes, int64_t threads);
  void flush();

private:
  std::vector<float> buffer;
  int64_t threads;
  float sink = 0.0f;
};

/// The time of one call on cold caches: the best of `calls` calls, each after
/// a flush.
Timing timeColdCalls(const std::function<void()> &call, CacheFlusher &flusher,
                     int64_t calls);

/// Main-memory bandwidth, in bytes per second.
struct MemoryBandwidth {
  size_t bytes = 0; ///< the buffer size it was measured on
  /// memcpy of the buffer split over the threads; counted as bytes read plus
  /// bytes written, as STREAM's Copy counts.
  double copy = 0.0;
  /// A sum over the buffer split over the threads: bytes read.
  double read = 0.0;
};

/// Measures both bandwidths on buffers of `bytes`, best of `repeats`.
MemoryBandwidth measureMemoryBandwidth(size_t bytes, int64_t threads,
                                       int repeats);

/// Uniform values in [−1, 1).
std::vector<float> uniformValues(std::mt19937_64 &engine, size_t count);

/// ||got − want||₂ / ||want||₂; NaN when `got` holds a NaN.
double relativeError(const std::vector<float> &got,
                     const std::vector<float> &want);

/// Runs body(i) for i in [0, threads) on that many threads (i = 0 on the
/// calling thread) and joins them.
void runOnThreads(int64_t threads, const std::function<void(int64_t)> &body);

} // namespace pfc

#endif // PFC_BENCH_TIMING_H
