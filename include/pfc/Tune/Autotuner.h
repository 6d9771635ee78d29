//===- Autotuner.h - Finding a layer's fastest schedule ---------*- C++ -*-===//
#ifndef PFC_TUNE_AUTOTUNER_H
#define PFC_TUNE_AUTOTUNER_H

#include "pfc/Runtime/Layer.h"
#include "pfc/Target/Jit.h"
#include "pfc/Transforms/Passes.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace pfc {

/// One schedule tried, and how it did.
struct TuningResult {
  Schedule schedule;
  std::string label; ///< e.g. "tile=12 chunk=84 prefetch=4"
  /// Median milliseconds per call; infinity when it failed or was skipped.
  double medianMs = std::numeric_limits<double>::infinity();
  std::string failure; ///< why it failed, if it did
};

struct TuningReport {
  std::vector<TuningResult> results; ///< results[0] is the default schedule
  size_t best = 0;
  int64_t skipped = 0; ///< candidates left when the budget ran out
  double seconds = 0.0;
  std::string key; ///< the tuning database key
};

struct TuneOptions {
  int64_t tokens = 1024;
  double budgetSeconds = 20.0;
  int64_t threads = 0;
  /// The schedules to try; empty takes candidateSchedules.
  std::vector<Schedule> candidates;
  /// Milliseconds per call of `schedule` compiled as `layer` on `x`; empty
  /// takes the median of five timed batches after a warm-up call. (Tests
  /// plant times here.)
  std::function<double(const Schedule &schedule, Layer &layer,
                       const std::vector<float> &x, int64_t tokens)>
      measure;
  /// Told of each result as it comes.
  std::function<void(size_t done, size_t total, const TuningResult &)> progress;
};

/// The curated space for `spec` on `target`: the default schedule first,
/// then register tiles of 8 to 28 accumulators, chunks around the default
/// (half, double, 252), prefetching on and off; at most 40.
std::vector<Schedule> candidateSchedules(const LayerSpec &spec,
                                         const CpuTargetInfo &target);

std::string describe(const Schedule &schedule);

/// Compiles every candidate (two at a time), checks each against the fp64
/// reference, times the ones that pass, and records the fastest in the
/// tuning database (when the kernel cache is on).
llvm::Expected<TuningReport> autotune(const LayerSpec &spec,
                                      const TuneOptions &options);

} // namespace pfc

#endif // PFC_TUNE_AUTOTUNER_H
