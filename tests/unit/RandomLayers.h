//===- RandomLayers.h - Random layers, parameters and schedules -*- C++ -*-===//
//
// What the tests of compiled layers draw: specs whose butterfly fits their
// padded shape (square and rectangular, padded feature counts, b from 4 to
// 64, shuffle, global, ranks, every γ mode, bias or not), fresh parameters,
// and schedules with every knob drawn.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TESTS_UNIT_RANDOMLAYERS_H
#define PFC_TESTS_UNIT_RANDOMLAYERS_H

#include "RandomDraws.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Target/Jit.h"

#include <algorithm>
#include <cmath>

namespace pfc {

inline int64_t largestPowerOfTwoDividing(int64_t n) { return n & -n; }

/// A random layer whose butterfly fits its padded shape, with γ away from 0
/// and 1 in fixed mode.
inline LayerSpec drawSpec(RandomDraws &draw) {
  LayerSpec spec;
  spec.name = "random layer";
  spec.block = int64_t{4} << draw(0, 4);
  auto features = [&] {
    // Mostly multiples of the block, sometimes odd counts that need padding.
    int64_t blocks = draw(1, 12);
    return draw(0, 2) ? blocks * spec.block
                      : blocks * spec.block - draw(1, spec.block - 1);
  };
  spec.inFeatures = features();
  spec.outFeatures = draw(0, 2) ? spec.inFeatures : features();
  int64_t maxSize = std::min(largestPowerOfTwoDividing(spec.paddedIn()),
                             largestPowerOfTwoDividing(spec.paddedOut()));
  // Both padded dims are multiples of b ≥ 4, so S = 2 always fits.
  maxSize = std::clamp<int64_t>(maxSize, 2, 64);
  spec.butterfly.size = int64_t{2} << draw(0, __builtin_ctzll(maxSize) - 1);
  spec.butterfly.strides.clear();
  for (int64_t k = 2; k <= spec.butterfly.size; k *= 2)
    if (draw(0, 1) ||
        (k == spec.butterfly.size && spec.butterfly.strides.empty()))
      spec.butterfly.strides.push_back(k);
  spec.butterfly.shuffle = draw(0, 3) == 0;
  spec.butterfly.global = draw(0, 4) == 0 ? draw(1, spec.inFeatures) : 0;
  int64_t maxRank = std::min(spec.inFeatures, spec.outFeatures);
  spec.rank = draw(0, 3) == 0 ? 0 : draw(1, std::min<int64_t>(maxRank, 40));
  spec.gammaMode = static_cast<GammaMode>(draw(0, 2));
  spec.gammaInit = draw.real(0.2, 0.8);
  spec.bias = draw(0, 3) != 0;
  return spec;
}

/// Fresh random parameters, never zero: γ in [0.2, 0.8] (fixed mode keeps
/// the spec's), the blocks' padding random too (the kernels must ignore it),
/// and the gate's weight scaled so that its logits are O(1) and its sigmoid
/// far from saturated.
inline LayerParams randomParams(RandomDraws &draw, const LayerSpec &spec,
                                const BlockMask &mask) {
  LayerParams params;
  size_t b = spec.block, rank = spec.rank;
  params.blocks = draw.values(mask.nnzBlocks() * b * b);
  params.u = draw.values(spec.outFeatures * rank);
  params.v = draw.values(spec.inFeatures * rank);
  params.gamma = static_cast<float>(spec.gammaMode == GammaMode::Fixed
                                        ? spec.gammaInit
                                        : draw.real(0.2, 0.8));
  if (spec.gammaMode == GammaMode::Gate) {
    params.gateWeight =
        draw.values(spec.inFeatures, std::sqrt(3.0 / double(spec.inFeatures)));
    params.gateBias = static_cast<float>(draw.real(-1.0, 1.0));
  }
  if (spec.bias)
    params.bias = draw.values(spec.outFeatures);
  return params;
}

/// A random schedule: every knob drawn, full unrolling for small patterns.
inline Schedule drawSchedule(RandomDraws &draw, const LayerSpec &spec) {
  Schedule schedule;
  schedule.vector = std::min<int64_t>(int64_t{4} << draw(0, 2), spec.block);
  // At most 64 accumulators (the lowering refuses more).
  int64_t vectors = spec.block / schedule.vector;
  schedule.tile = draw(1, std::clamp<int64_t>(64 / vectors, 1, 12));
  schedule.chunk = schedule.tile * draw(1, 40);
  schedule.unroll = draw(1, 8);
  schedule.prefetch = draw(0, 4);
  schedule.unrolled =
      spec.inFeatures * spec.outFeatures <= 64 * spec.block * spec.block &&
      draw(0, 1);
  return schedule;
}

} // namespace pfc

#endif // PFC_TESTS_UNIT_RANDOMLAYERS_H
