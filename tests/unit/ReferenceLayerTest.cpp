//===- ReferenceLayerTest.cpp - The fp64 reference against plain algebra --===//
#include "pfc/Runtime/Reference.h"

#include "RandomDraws.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace pfc {
namespace {

LayerSpec makeSpec(int64_t out, int64_t in, int64_t block, int64_t size,
                   int64_t rank, GammaMode mode, double gamma) {
  LayerSpec spec;
  spec.name = "ref";
  spec.outFeatures = out;
  spec.inFeatures = in;
  spec.block = block;
  spec.butterfly.size = size;
  spec.butterfly.strides = {2};
  spec.rank = rank;
  spec.gammaMode = mode;
  spec.gammaInit = gamma;
  return spec;
}

std::vector<float> randomInput(RandomDraws &draw, int64_t count) {
  std::vector<float> x(static_cast<size_t>(count));
  for (float &value : x)
    value = static_cast<float>(draw.real(-1, 1));
  return x;
}

/// W[o][k] looked up block by block from the list of nonzero blocks,
/// independently of referenceDenseWeight's loops.
double weightAt(const BlockMask &mask, const LayerParams &params, int64_t o,
                int64_t k) {
  const int64_t b = mask.block;
  const auto blocks = mask.blocks();
  for (size_t index = 0; index < blocks.size(); ++index)
    if (blocks[index] == std::pair{o / b, k / b})
      return params.blocks[(index * b + o % b) * b + k % b];
  return 0.0;
}

TEST(ReferenceLayer, DensePatternWithoutRankIsAMatmul) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  // S = 2 with the one factor of size 2 makes every block nonzero; 50 x 37
  // with 16 x 16 blocks has padding on both sides.
  LayerSpec spec = makeSpec(50, 37, 16, 2, 0, GammaMode::Fixed, 1.0);
  BlockMask mask = spec.blockMask();
  ASSERT_EQ(mask.nnzBlocks(), mask.blockRows * mask.blockCols);
  LayerParams params = initParams(spec, mask, draw(0, 1000));
  const int64_t tokens = 7;
  std::vector<float> x = randomInput(draw, tokens * 37);

  std::vector<float> want(tokens * 50);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t o = 0; o < 50; ++o) {
      long double sum = params.bias[o];
      for (int64_t k = 0; k < 37; ++k)
        sum += (long double)x[t * 37 + k] * weightAt(mask, params, o, k);
      want[t * 50 + o] = static_cast<float>(sum);
    }
  }
  std::vector<double> got = referenceForward(spec, mask, params, x, tokens);
  EXPECT_LT(relativeError(want, got), 1e-6);
}

TEST(ReferenceLayer, GammaMixesTheTwoTermsAndPaddingIsIgnored) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  LayerSpec spec = makeSpec(40, 72, 8, 4, 5, GammaMode::Scalar, 0.5);
  BlockMask mask = spec.blockMask();
  LayerParams params = initParams(spec, mask, draw(0, 1000));
  // Poison the padded entries: the reference must never read them.
  for (size_t i = 0; i < params.blocks.size(); ++i)
    if (params.blocks[i] == 0.0f)
      params.blocks[i] = std::numeric_limits<float>::quiet_NaN();
  const int64_t tokens = 5;
  std::vector<float> x = randomInput(draw, tokens * 72);

  // The low-rank term alone as x·(V·Uᵀ), associated the other way round.
  std::vector<double> lowRank(tokens * 40, 0.0), sparse(tokens * 40, 0.0);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t o = 0; o < 40; ++o) {
      for (int64_t k = 0; k < 72; ++k) {
        double vu = 0;
        for (int64_t j = 0; j < 5; ++j)
          vu += double(params.v[k * 5 + j]) * params.u[o * 5 + j];
        lowRank[t * 40 + o] += x[t * 72 + k] * vu;
        sparse[t * 40 + o] += x[t * 72 + k] * weightAt(mask, params, o, k);
      }
    }
  }

  auto expectMix = [&](const LayerParams &p, auto gammaOf) {
    std::vector<float> want(tokens * 40);
    for (int64_t t = 0; t < tokens; ++t) {
      const double g = gammaOf(t);
      for (int64_t o = 0; o < 40; ++o)
        want[t * 40 + o] = static_cast<float>(
            g * sparse[t * 40 + o] + (1 - g) * lowRank[t * 40 + o] + p.bias[o]);
    }
    std::vector<double> got = referenceForward(spec, mask, p, x, tokens);
    EXPECT_LT(relativeError(want, got), 1e-6);
  };
  for (float gamma : {0.0f, 0.3f, 1.0f}) {
    params.gamma = gamma;
    expectMix(params, [&](int64_t) { return gamma; });
  }

  // Gate mode: γ_t = 1 − sigmoid(x_t·g + c).
  spec.gammaMode = GammaMode::Gate;
  params.gateWeight = randomInput(draw, 72);
  params.gateBias = 0.25f;
  expectMix(params, [&](int64_t t) {
    double logit = params.gateBias;
    for (int64_t k = 0; k < 72; ++k)
      logit += double(x[t * 72 + k]) * params.gateWeight[k];
    return 1 / (1 + std::exp(logit));
  });
}

TEST(ReferenceLayer, RelativeErrorIsNormwise) {
  EXPECT_EQ(relativeError({1, 2}, {1, 2}), 0.0);
  EXPECT_DOUBLE_EQ(relativeError({3, 0}, {0, 4}), 5.0 / 4.0);
  EXPECT_DOUBLE_EQ(relativeError({3, 4}, {0, 0}), 5.0);
  EXPECT_TRUE(std::isnan(relativeError({NAN}, {1})));
  EXPECT_TRUE(std::isinf(relativeError({1}, {1, 2})));
}

} // namespace
} // namespace pfc
