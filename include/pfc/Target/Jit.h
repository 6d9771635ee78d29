//===- Jit.h - Compiling a layer in process ---------------------*- C++ -*-===//
#ifndef PFC_TARGET_JIT_H
#define PFC_TARGET_JIT_H

#include "pfc/Runtime/Attention.h"
#include "pfc/Runtime/Layer.h"
#include "pfc/Spec/Schedule.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <optional>

namespace pfc {

struct CompileOptions {
  explicit CompileOptions(int64_t threads = 0, Schedule schedule = {},
                          int64_t tokens = 0)
      : threads(threads), schedule(schedule), tokens(tokens) {}

  /// Threads a call is split over; 0 takes every hardware thread.
  int64_t threads;
  /// Knobs set here win; with none set, the schedule `pfc autotune` chose
  /// for the layer (TuningDatabase) applies, else the default one.
  Schedule schedule;
  /// The token count calls will mostly have, to pick a tuned schedule
  /// (0: large, 1024 and up).
  int64_t tokens;
  /// Whether schedules `pfc autotune` recorded apply (the sweep measures
  /// the defaults).
  bool useTuned = true;
  /// Whether the kernel cache (KernelCache, $PFC_CACHE_DIR) is read and
  /// written.
  bool useCache = true;
  /// The CPU to generate code for: empty for the host (what the JIT runs
  /// on, and the only CPU it takes), else a name LLVM knows
  /// ("skylake-avx512", "znver4", "haswell"), for ahead-of-time compiles
  /// (`pfc compile --cpu`).
  std::string cpu;
  /// Whether the backward kernel (Layer::backward) is compiled too: about
  /// three times the forward's code, so a layer that only runs forward
  /// compiles in a third of the time without it.
  bool backward = true;
};

/// Compiles `spec` for the host CPU with ORC's LLJIT and returns the layer,
/// ready for setParams. `seconds`, when given, gets the compile time.
llvm::Expected<std::unique_ptr<Layer>>
compileLayer(const LayerSpec &spec,
             const CompileOptions &options = CompileOptions(),
             double *seconds = nullptr);

/// Compiles the attention `spec` for the host CPU (the schedule and tokens
/// options do not apply).
llvm::Expected<std::unique_ptr<Attention>>
compileAttention(const AttentionSpec &spec,
                 const CompileOptions &options = CompileOptions(),
                 double *seconds = nullptr);

} // namespace pfc

#endif // PFC_TARGET_JIT_H
