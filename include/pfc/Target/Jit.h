//===- Jit.h - Compiling a layer in process ---------------------*- C++ -*-===//
#ifndef PFC_TARGET_JIT_H
#define PFC_TARGET_JIT_H

#include "pfc/Runtime/Layer.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <optional>

namespace pfc {

/// The knobs of the CPU kernel (see `#pfc.schedule` in PfcAttrs.td); a zero
/// or unset field takes the default for the layer's shape and the host.
struct ScheduleChoice {
  int64_t tile = 0;   ///< token rows per register tile
  int64_t vector = 0; ///< f32 lanes per vector: 4, 8 or 16
  int64_t chunk = 0;  ///< tokens run against all block-rows at a time
  int64_t unroll = 0; ///< unroll factor of the loop over a block's inputs
  std::optional<bool> unrolled; ///< constant offsets in code, not tables
  /// Blocks ahead in the packed weights to prefetch (0: none).
  std::optional<int64_t> prefetch;

  /// Whether no knob is set: the default or the tuned schedule applies.
  bool empty() const {
    return !tile && !vector && !chunk && !unroll && !unrolled && !prefetch;
  }
};

struct CompileOptions {
  explicit CompileOptions(int64_t threads = 0, ScheduleChoice schedule = {},
                          int64_t tokens = 0)
      : threads(threads), schedule(schedule), tokens(tokens) {}

  /// Threads a call is split over; 0 takes every hardware thread.
  int64_t threads;
  /// Knobs set here win; with none set, the schedule `pfc autotune` chose
  /// for the layer (TuningDatabase) applies, else the default one.
  ScheduleChoice schedule;
  /// The token count calls will mostly have, to pick a tuned schedule
  /// (0: large, 1024 and up).
  int64_t tokens;
  /// Whether schedules `pfc autotune` recorded apply (the sweep measures
  /// the defaults).
  bool useTuned = true;
  /// Whether the kernel cache (KernelCache, $PFC_CACHE_DIR) is read and
  /// written.
  bool useCache = true;
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

} // namespace pfc

#endif // PFC_TARGET_JIT_H
