//===- TrainBench.h - `pfc bench --train`: training steps compared -*- C++ -*-//
//
// Times whole training steps (forward, loss, backward, optimizer update) of
// nets in one run, interleaved, and prints the first net's step time over
// each other's: the Pixelfly net's speed-up over its dense baseline.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_BENCH_TRAINBENCH_H
#define PFC_BENCH_TRAINBENCH_H

#include <cstdint>
#include <string>
#include <vector>

namespace pfc {

struct TrainBenchOptions {
  /// Net specs; the first is the baseline the others are compared with.
  std::vector<std::string> nets;
  int64_t threads = 1;
  bool json = false;
  /// Interleaved rounds; each net's times are the medians over them.
  int rounds = 7;
  /// About this long per net and round.
  double secondsPerRound = 0.4;
};

/// Runs the benchmark; returns the exit code.
int runTrainBench(const TrainBenchOptions &options);

} // namespace pfc

#endif // PFC_BENCH_TRAINBENCH_H
