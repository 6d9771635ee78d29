//===- Schedule.h - The CPU kernel's schedule, one plain struct -*- C++ -*-===//
//
// The knobs of the CPU block-sparse kernel, as the CLI flags, the tuning
// database, the autotuner, the JIT's options and the IR attribute
// `#pfc.schedule` (include/pfc/Dialect/PfcAttrs.td) all carry them. Free of
// LLVM and MLIR so that the runtime can see it; the attribute converts to and
// from it (ScheduleAttr::get(context, schedule), ScheduleAttr::getSchedule).
//
//===----------------------------------------------------------------------===//
#ifndef PFC_SPEC_SCHEDULE_H
#define PFC_SPEC_SCHEDULE_H

#include <cstdint>
#include <optional>
#include <string>

namespace pfc {

/// A zero or unset knob takes the default for the layer's shape and the
/// host (orDefaults); a complete schedule sets every knob.
struct Schedule {
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
  /// This schedule with each knob it leaves unset taken from `defaults`.
  Schedule orDefaults(const Schedule &defaults) const;

  bool operator==(const Schedule &other) const {
    return tile == other.tile && vector == other.vector &&
           chunk == other.chunk && unroll == other.unroll &&
           unrolled == other.unrolled && prefetch == other.prefetch;
  }
  bool operator!=(const Schedule &other) const { return !(*this == other); }
};

/// Why the CPU lowering cannot take `schedule` (unset optional knobs count as
/// false and 0), or "" when it can: the one check, which the attribute's
/// verifier reports too.
std::string checkSchedule(const Schedule &schedule);

} // namespace pfc

#endif // PFC_SPEC_SCHEDULE_H
