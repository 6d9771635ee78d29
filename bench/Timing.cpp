//===- Timing.cpp - Timing calls and measuring memory bandwidth -----------===//
//
// Compiled with -O3 -march=native (bench/CMakeLists.txt), so that the read
// loops run at the speed of memory, not of the adds.
//
//===----------------------------------------------------------------------===//
#include "Timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

namespace pfc {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The sum of `count` floats, 16 independent lanes (a vector register's
/// worth) so that it vectorizes without reassociating.
float sumValues(const float *values, size_t count) {
  constexpr size_t kLanes = 16;
  float lanes[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j)
      lanes[j] += values[i + j];
  float sum = 0.0f;
  for (; i < count; ++i)
    sum += values[i];
  for (float lane : lanes)
    sum += lane;
  return sum;
}

/// Element range [begin, end) of part `i` of `count` elements in `parts`.
std::pair<size_t, size_t> slice(size_t count, int64_t parts, int64_t i) {
  return {count * i / parts, count * (i + 1) / parts};
}

} // namespace

void runOnThreads(int64_t threads, const std::function<void(int64_t)> &body) {
  std::vector<std::thread> workers;
  for (int64_t i = 1; i < threads; ++i)
    workers.emplace_back(body, i);
  body(0);
  for (std::thread &worker : workers)
    worker.join();
}

Timing timeCalls(const std::function<void()> &call,
                 const TimingPolicy &policy) {
  call(); // warm-up: first-touch page faults, thread start-up, caches
  Clock::time_point start = Clock::now();
  call();
  const double once = std::max(secondsSince(start), 1e-9);
  Timing timing;
  timing.batches = policy.batches;
  if (policy.callsPerBatch > 0) {
    timing.calls = policy.callsPerBatch;
  } else {
    // Long calls: fewer batches of one call rather than a long run.
    const double fit = std::floor(policy.seconds / once);
    timing.batches = static_cast<int>(std::clamp<double>(
        fit, std::min(policy.minBatches, policy.batches), policy.batches));
    timing.calls =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(
                                 policy.seconds / timing.batches / once)));
  }
  timing.seconds = std::numeric_limits<double>::infinity();
  for (int batch = 0; batch < timing.batches; ++batch) {
    start = Clock::now();
    for (int64_t i = 0; i < timing.calls; ++i)
      call();
    timing.seconds =
        std::min(timing.seconds, secondsSince(start) / timing.calls);
  }
  return timing;
}

CacheFlusher::CacheFlusher(size_t bytes, int64_t threads)
    : buffer(bytes / sizeof(float), 1.0f),
      threads(std::max<int64_t>(1, threads)) {}

void CacheFlusher::flush() {
  std::vector<float> sums(threads);
  runOnThreads(threads, [&](int64_t i) {
    auto [begin, end] = slice(buffer.size(), threads, i);
    sums[i] = sumValues(buffer.data() + begin, end - begin);
  });
  for (float sum : sums)
    sink += sum; // keeps the reads
}

Timing timeColdCalls(const std::function<void()> &call, CacheFlusher &flusher,
                     int64_t calls) {
  call(); // warm-up
  Timing timing;
  timing.calls = 1;
  timing.batches = static_cast<int>(calls);
  timing.seconds = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < calls; ++i) {
    flusher.flush();
    Clock::time_point start = Clock::now();
    call();
    timing.seconds = std::min(timing.seconds, secondsSince(start));
  }
  return timing;
}

MemoryBandwidth measureMemoryBandwidth(size_t bytes, int64_t threads,
                                       int repeats) {
  threads = std::max<int64_t>(1, threads);
  const size_t count = bytes / sizeof(float);
  std::vector<float> from(count, 1.0f), to(count, 0.0f);
  MemoryBandwidth bandwidth;
  bandwidth.bytes = count * sizeof(float);
  double bestCopy = std::numeric_limits<double>::infinity();
  double bestRead = bestCopy;
  std::vector<float> sums(threads);
  for (int repeat = 0; repeat < repeats; ++repeat) {
    Clock::time_point start = Clock::now();
    runOnThreads(threads, [&](int64_t i) {
      auto [begin, end] = slice(count, threads, i);
      std::memcpy(to.data() + begin, from.data() + begin,
                  (end - begin) * sizeof(float));
    });
    bestCopy = std::min(bestCopy, secondsSince(start));
    start = Clock::now();
    runOnThreads(threads, [&](int64_t i) {
      auto [begin, end] = slice(count, threads, i);
      sums[i] = sumValues(to.data() + begin, end - begin);
    });
    bestRead = std::min(bestRead, secondsSince(start));
  }
  // The sums must be used, or the reads could go.
  volatile float sink = 0.0f;
  for (float sum : sums)
    sink = sink + sum;
  bandwidth.copy = 2.0 * double(bandwidth.bytes) / bestCopy;
  bandwidth.read = double(bandwidth.bytes) / bestRead;
  return bandwidth;
}

std::vector<float> uniformValues(std::mt19937_64 &engine, size_t count) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float &value : values)
    value = uniform(engine);
  return values;
}

double relativeError(const std::vector<float> &got,
                     const std::vector<float> &want) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = double(got[i]) - double(want[i]);
    diff += d * d;
    norm += double(want[i]) * double(want[i]);
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

} // namespace pfc
