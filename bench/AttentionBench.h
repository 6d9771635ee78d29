//===- AttentionBench.h - `pfc bench` on an attention spec ------*- C++ -*-===//
#ifndef PFC_BENCH_ATTENTIONBENCH_H
#define PFC_BENCH_ATTENTIONBENCH_H

#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <vector>

namespace pfc {

struct AttentionBenchOptions {
  /// Token counts to time (each at most the spec's seq_len); empty: seq_len.
  std::vector<int64_t> tokens;
  int64_t batch = 1;
  int64_t threads = 1;
  /// Calls per timed batch (0: enough for about 0.3 s per kernel).
  int64_t repeat = 0;
  bool json = false;
};

/// Times the spec's forward and backward against pfc's own dense attention
/// (the same kernel with the support covering everything and no features:
/// exact softmax attention, flash attention's way) on the same threads, at
/// each token count, with each side's working memory; prints a table or
/// JSON. Returns the exit code.
int runAttentionBench(const AttentionSpec &spec,
                      const AttentionBenchOptions &options);

} // namespace pfc

#endif // PFC_BENCH_ATTENTIONBENCH_H
