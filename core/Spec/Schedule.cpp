//===- Schedule.cpp - Defaults and the check of a CPU schedule ------------===//
#include "pfc/Spec/Schedule.h"

namespace pfc {

Schedule Schedule::orDefaults(const Schedule &defaults) const {
  auto pick = [](int64_t chosen, int64_t fallback) {
    return chosen > 0 ? chosen : fallback;
  };
  Schedule result;
  result.tile = pick(tile, defaults.tile);
  result.vector = pick(vector, defaults.vector);
  result.chunk = pick(chunk, defaults.chunk);
  result.unroll = pick(unroll, defaults.unroll);
  result.unrolled = unrolled ? unrolled : defaults.unrolled;
  result.prefetch = prefetch ? prefetch : defaults.prefetch;
  return result;
}

std::string checkSchedule(const Schedule &s) {
  const int64_t prefetch = s.prefetch.value_or(0);
  if (s.tile < 1 || s.tile > 32)
    return "schedule tile " + std::to_string(s.tile) + " is not in [1, 32]";
  if (s.vector != 4 && s.vector != 8 && s.vector != 16)
    return "schedule vector width " + std::to_string(s.vector) +
           " is not 4, 8 or 16";
  if (s.chunk < s.tile)
    return "schedule chunk " + std::to_string(s.chunk) +
           " is smaller than its tile " + std::to_string(s.tile);
  if (s.unroll < 1 || s.unroll > 64)
    return "schedule unroll " + std::to_string(s.unroll) + " is not in [1, 64]";
  if (prefetch < 0)
    return "schedule prefetch " + std::to_string(prefetch) + " is negative";
  return "";
}

} // namespace pfc
