//===- JitLayerTest.cpp - Compiled layers against an fp64 reference -------===//
//
// Draws layer specs (square and rectangular, padded feature counts, b from 8
// to 64, random strides, ranks, γ modes, bias or not), compiles each with the
// JIT, runs it on random tokens and compares with ReferenceLayer.h.
//
//===----------------------------------------------------------------------===//
#include "RandomDraws.h"
#include "pfc/Runtime/Reference.h"

#include "pfc/Target/Jit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace pfc;

namespace {

std::vector<float> randomValues(RandomDraws &draw, size_t count) {
  std::vector<float> values(count);
  for (float &value : values)
    value = static_cast<float>(draw.real(-1.0, 1.0));
  return values;
}

int64_t largestPowerOfTwoDividing(int64_t n) { return n & -n; }

/// A random layer whose butterfly fits its padded shape.
LayerSpec drawSpec(RandomDraws &draw) {
  LayerSpec spec;
  spec.name = "random layer";
  spec.block = int64_t{8} << draw(0, 3);
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
  maxSize = std::max<int64_t>(2, std::min<int64_t>(maxSize, 64));
  while (spec.paddedIn() % maxSize || spec.paddedOut() % maxSize)
    maxSize /= 2;
  if (maxSize < 2) {
    // Both padded dims are multiples of b ≥ 8, so S = 2 always fits.
    maxSize = 2;
  }
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
  spec.gammaInit = draw.real(0.1, 0.9);
  spec.bias = draw(0, 3) != 0;
  return spec;
}

LayerParams randomParams(RandomDraws &draw, const LayerSpec &spec,
                         const BlockMask &mask) {
  LayerParams params;
  size_t b = spec.block, rank = spec.rank;
  params.blocks = randomValues(draw, mask.nnzBlocks() * b * b);
  params.u = randomValues(draw, spec.outFeatures * rank);
  params.v = randomValues(draw, spec.inFeatures * rank);
  params.gamma = static_cast<float>(spec.gammaMode == GammaMode::Fixed
                                        ? spec.gammaInit
                                        : draw.real(0.0, 1.0));
  if (spec.gammaMode == GammaMode::Gate) {
    params.gateWeight = randomValues(draw, spec.inFeatures);
    params.gateBias = static_cast<float>(draw.real(-1.0, 1.0));
  }
  if (spec.bias)
    params.bias = randomValues(draw, spec.outFeatures);
  return params;
}

/// A random schedule: every knob drawn, full unrolling for small patterns.
ScheduleChoice drawSchedule(RandomDraws &draw, const LayerSpec &spec) {
  ScheduleChoice schedule;
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

std::string describe(const ScheduleChoice &s) {
  return "tile=" + std::to_string(s.tile) +
         " vector=" + std::to_string(s.vector) +
         " chunk=" + std::to_string(s.chunk) +
         " unroll=" + std::to_string(s.unroll) +
         " unrolled=" + std::to_string(s.unrolled.value_or(false)) +
         " prefetch=" + std::to_string(s.prefetch.value_or(0));
}

void checkAgainstReference(RandomDraws &draw, const LayerSpec &spec,
                           int64_t threads, ScheduleChoice schedule = {}) {
  SCOPED_TRACE(
      spec.name + " " + std::to_string(spec.outFeatures) + "x" +
      std::to_string(spec.inFeatures) + " b=" + std::to_string(spec.block) +
      " " + spec.butterfly.str() + " rank=" + std::to_string(spec.rank) +
      " gamma=" + std::string(toString(spec.gammaMode)) +
      " bias=" + std::to_string(spec.bias) +
      " threads=" + std::to_string(threads) + " " + describe(schedule));
  auto layer = compileLayer(spec, CompileOptions{threads, schedule});
  ASSERT_TRUE(static_cast<bool>(layer)) << toString(layer.takeError());
  const BlockMask &mask = (*layer)->mask();
  LayerParams params = randomParams(draw, spec, mask);
  std::string error;
  ASSERT_TRUE((*layer)->setParams(params, error)) << error;

  for (int64_t tokens : {int64_t{1}, draw(2, 40), draw(250, 600)}) {
    SCOPED_TRACE("tokens=" + std::to_string(tokens));
    std::vector<float> x = randomValues(draw, tokens * spec.inFeatures);
    std::vector<float> y(tokens * spec.outFeatures,
                         std::numeric_limits<float>::quiet_NaN());
    (*layer)->forward(x.data(), tokens, y.data());
    std::vector<double> want = referenceForward(spec, mask, params, x, tokens);
    EXPECT_LE(relativeError(y, want), 1e-5);
  }
}

TEST(JitLayer, RandomSpecsMatchTheReference) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int i = 0; i < 12; ++i)
    checkAgainstReference(draw, drawSpec(draw), draw(1, 2));
}

TEST(JitLayer, RandomSchedulesMatchTheReference) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int i = 0; i < 12; ++i) {
    LayerSpec spec = drawSpec(draw);
    checkAgainstReference(draw, spec, draw(1, 2), drawSchedule(draw, spec));
  }
}

/// A 64×64 layer with 16×16 blocks and rank `rank`.
LayerSpec smallLayer(int64_t rank) {
  LayerSpec spec;
  spec.name = "layer";
  spec.inFeatures = spec.outFeatures = 64;
  spec.block = 16;
  spec.butterfly.size = 4;
  spec.butterfly.strides = {2};
  spec.rank = rank;
  return spec;
}

TEST(JitLayer, InvalidSchedulesAreErrors) {
  LayerSpec spec = smallLayer(0);
  ScheduleChoice schedule;
  schedule.vector = 5;
  auto layer = compileLayer(spec, CompileOptions{1, schedule});
  ASSERT_FALSE(static_cast<bool>(layer));
  EXPECT_EQ(toString(layer.takeError()),
            "schedule vector width 5 is not 4, 8 or 16");
}

TEST(JitLayer, EveryGammaModeAndBlockSize) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t block : {4, 8, 16, 32, 64, 128}) {
    for (GammaMode mode :
         {GammaMode::Scalar, GammaMode::Gate, GammaMode::Fixed}) {
      LayerSpec spec;
      spec.name = "layer";
      spec.block = block;
      spec.inFeatures = 4 * block - 3;  // padded inputs
      spec.outFeatures = 2 * block + 5; // padded outputs, rectangular
      spec.butterfly.size = 2;
      spec.butterfly.strides = {2};
      spec.rank = 7;
      spec.gammaMode = mode;
      spec.gammaInit = 0.3;
      checkAgainstReference(draw, spec, 2);
    }
  }
}

TEST(JitLayer, WrongParameterSizesAreRejected) {
  LayerSpec spec = smallLayer(4);
  auto layer = compileLayer(spec);
  ASSERT_TRUE(static_cast<bool>(layer)) << toString(layer.takeError());
  RandomDraws draw;
  LayerParams params = randomParams(draw, spec, (*layer)->mask());
  std::string error;
  ASSERT_TRUE((*layer)->setParams(params, error)) << error;
  params.u.pop_back();
  EXPECT_FALSE((*layer)->setParams(params, error));
  EXPECT_EQ(error, "parameter 'U' has 255 elements (expected 256)");
}

} // namespace
