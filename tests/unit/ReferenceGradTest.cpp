//===- ReferenceGradTest.cpp - referenceBackward by finite differences ----===//
//
// Every gradient referenceBackward returns against central differences of
// referenceForward's L = Σ y ⊙ dy, both in double: on random coordinates of
// every tensor and along a random direction in each, for small random layers
// of every γ mode, square and rectangular, padded or not, with and without
// rank and bias.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/Reference.h"

#include "RandomDraws.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

namespace pfc {
namespace {

int64_t lowestBit(int64_t n) { return n & -n; }

/// A small random layer: b of 4 or 8, one to four blocks a side, `padded`
/// feature counts that are not multiples of b.
LayerSpec drawSmallSpec(RandomDraws &draw, GammaMode mode, bool square,
                        bool padded, bool rank, bool bias) {
  LayerSpec spec;
  spec.name = "small";
  spec.block = draw(0, 1) ? 8 : 4;
  auto features = [&] {
    int64_t count = draw(1, 4) * spec.block;
    return padded ? count - draw(1, spec.block - 1) : count;
  };
  spec.inFeatures = features();
  spec.outFeatures = square ? spec.inFeatures : features();
  const int64_t fits = std::min<int64_t>(
      {lowestBit(spec.paddedIn()), lowestBit(spec.paddedOut()), 16});
  spec.butterfly.size = int64_t{2} << draw(0, __builtin_ctzll(fits) - 1);
  spec.butterfly.strides.clear();
  for (int64_t k = 2; k <= spec.butterfly.size; k *= 2)
    if (draw(0, 1) ||
        (k == spec.butterfly.size && spec.butterfly.strides.empty()))
      spec.butterfly.strides.push_back(k);
  spec.butterfly.shuffle = draw(0, 1);
  spec.butterfly.global = draw(0, 3) == 0 ? draw(1, spec.inFeatures) : 0;
  spec.rank = rank ? draw(1, std::min<int64_t>(6, std::min(spec.inFeatures,
                                                           spec.outFeatures)))
                   : 0;
  spec.gammaMode = mode;
  spec.gammaInit = draw.real(0.2, 0.8);
  spec.bias = bias;
  return spec;
}

/// Fresh random parameters, the blocks' padding included (the forward
/// ignores it); the gate's weight scaled so that its logits are O(1).
LayerParams drawParams(RandomDraws &draw, const LayerSpec &spec,
                       const BlockMask &mask) {
  const size_t b = spec.block, rank = spec.rank;
  LayerParams params;
  params.blocks = draw.values(mask.nnzBlocks() * b * b);
  params.u = draw.values(spec.outFeatures * rank);
  params.v = draw.values(spec.inFeatures * rank);
  params.gamma = static_cast<float>(draw.real(0.2, 0.8));
  if (spec.gammaMode == GammaMode::Gate) {
    params.gateWeight =
        draw.values(spec.inFeatures, std::sqrt(3.0 / double(spec.inFeatures)));
    params.gateBias = static_cast<float>(draw.real(-1.0, 1.0));
  }
  if (spec.bias)
    params.bias = draw.values(spec.outFeatures);
  return params;
}

/// Whether element `i` of the blocks tensor lies in the padding.
bool isPadding(const LayerSpec &spec, const BlockMask &mask, size_t i) {
  const int64_t b = mask.block;
  const int64_t index = static_cast<int64_t>(i) / (b * b);
  const int64_t row = static_cast<int64_t>(i) / b % b,
                col = static_cast<int64_t>(i) % b;
  const auto [br, bc] = mask.blocks()[index];
  return br * b + row >= spec.outFeatures || bc * b + col >= spec.inFeatures;
}

double norm(const std::vector<double> &values) {
  double sum = 0.0;
  for (double value : values)
    sum += value * value;
  return std::sqrt(sum);
}

/// The step of central differences: small enough that the truncation error
/// of the gate's curvature is ~1e-8 relative, large enough that the rounding
/// of L, a double, stays below ~1e-10.
constexpr double kStep = 1.0 / 4096;
constexpr double kTolerance = 1e-6;

/// Checks `grad`, the gradient of `loss` with respect to `values` (which
/// `loss` reads), on 20 random coordinates and along one random direction.
/// Steps are taken in float and measured back in double, so that the
/// derivative divides by the step actually taken.
void probe(RandomDraws &draw, const std::string &name, float *values,
           const std::vector<double> &grad,
           const std::function<double()> &loss) {
  SCOPED_TRACE(name);
  const size_t count = grad.size();
  ASSERT_GT(count, 0u);
  const double scale = norm(grad) / std::sqrt(double(count));
  // The central difference at `at` with step h, measured back in double.
  auto central = [&](size_t at, double h) {
    const float saved = values[at];
    const float plus = static_cast<float>(saved + h);
    const float minus = static_cast<float>(saved - h);
    values[at] = plus;
    const double lossPlus = loss();
    values[at] = minus;
    const double lossMinus = loss();
    values[at] = saved;
    return (lossPlus - lossMinus) / (double(plus) - minus);
  };
  for (int i = 0; i < 20; ++i) {
    const size_t at = static_cast<size_t>(draw(0, int64_t(count) - 1));
    // Truncation shrinks 4x from step h to h/2: their difference bounds what
    // is left at h/2, which matters where the gradient is small next to the
    // curvature (gate.bias of a nearly balanced gate).
    const double numeric = central(at, kStep / 2);
    const double truncation = std::abs(central(at, kStep) - numeric);
    EXPECT_NEAR(grad[at], numeric,
                kTolerance * (std::abs(numeric) + scale) + truncation)
        << "at element " << at;
  }

  // Along one random direction, as directional derivatives: the loss
  // difference and grad·step over the step's length, at h/2, with the
  // truncation bounded from h as above.
  std::vector<double> direction(count);
  for (double &d : direction)
    d = draw.real(-1.0, 1.0);
  const std::vector<float> saved(values, values + count);
  auto along = [&](double h) {
    for (size_t i = 0; i < count; ++i)
      values[i] = static_cast<float>(saved[i] + h * direction[i]);
    const double lossPlus = loss();
    double analytic = 0.0, length = 0.0;
    for (size_t i = 0; i < count; ++i) {
      const float plus = values[i];
      values[i] = static_cast<float>(2.0 * saved[i] - plus);
      const double step = double(plus) - values[i];
      analytic += grad[i] * step;
      length += step * step;
    }
    const double lossMinus = loss();
    std::copy(saved.begin(), saved.end(), values);
    length = std::sqrt(length);
    return length > 0.0
               ? std::pair((lossPlus - lossMinus) / length, analytic / length)
               : std::pair(0.0, 0.0);
  };
  const auto [numeric, analytic] = along(kStep / 2);
  const auto [numericFull, analyticFull] = along(kStep);
  const double truncation =
      std::abs((numericFull - analyticFull) - (numeric - analytic));
  EXPECT_NEAR(analytic, numeric,
              kTolerance * (std::abs(analytic) + scale) + truncation)
      << "along a random direction";
}

void checkLayer(RandomDraws &draw, const LayerSpec &spec) {
  SCOPED_TRACE(std::to_string(spec.outFeatures) + "x" +
               std::to_string(spec.inFeatures) +
               " b=" + std::to_string(spec.block) + " " + spec.butterfly.str() +
               " rank=" + std::to_string(spec.rank) +
               " gamma=" + std::string(toString(spec.gammaMode)) +
               " bias=" + std::to_string(spec.bias));
  ASSERT_EQ(checkPatternFits(spec.butterfly, spec.paddedOut(), spec.paddedIn()),
            "");
  const BlockMask mask = spec.blockMask();
  LayerParams params = drawParams(draw, spec, mask);
  const int64_t tokens = draw(1, 5);
  std::vector<float> x = draw.values(tokens * spec.inFeatures);
  const std::vector<float> dy = draw.values(tokens * spec.outFeatures);

  const ReferenceGrads grads =
      referenceBackward(spec, mask, params, x, dy, tokens);
  const size_t b = spec.block, rank = spec.rank;
  const bool gate = spec.gammaMode == GammaMode::Gate;
  ASSERT_EQ(grads.dx.size(), x.size());
  ASSERT_EQ(grads.blocks.size(), params.blocks.size());
  ASSERT_EQ(grads.blocks.size(), mask.nnzBlocks() * b * b);
  ASSERT_EQ(grads.u.size(), spec.outFeatures * rank);
  ASSERT_EQ(grads.v.size(), spec.inFeatures * rank);
  ASSERT_EQ(grads.bias.size(), spec.bias ? size_t(spec.outFeatures) : 0u);
  ASSERT_EQ(grads.gateWeight.size(), gate ? size_t(spec.inFeatures) : 0u);
  if (spec.gammaMode != GammaMode::Scalar)
    EXPECT_EQ(grads.gamma, 0.0);
  if (!gate)
    EXPECT_EQ(grads.gateBias, 0.0);
  for (size_t i = 0; i < grads.blocks.size(); ++i)
    if (isPadding(spec, mask, i))
      ASSERT_EQ(grads.blocks[i], 0.0) << "padding element " << i;

  auto loss = [&] {
    const std::vector<double> y =
        referenceForward(spec, mask, params, x, tokens);
    double sum = 0.0;
    for (size_t i = 0; i < y.size(); ++i)
      sum += y[i] * dy[i];
    return sum;
  };
  probe(draw, "dx", x.data(), grads.dx, loss);
  probe(draw, "blocks", params.blocks.data(), grads.blocks, loss);
  if (rank) {
    probe(draw, "U", params.u.data(), grads.u, loss);
    probe(draw, "V", params.v.data(), grads.v, loss);
  }
  if (spec.gammaMode == GammaMode::Scalar)
    probe(draw, "gamma", &params.gamma, {grads.gamma}, loss);
  if (gate) {
    probe(draw, "gate.weight", params.gateWeight.data(), grads.gateWeight,
          loss);
    probe(draw, "gate.bias", &params.gateBias, {grads.gateBias}, loss);
  }
  if (spec.bias)
    probe(draw, "bias", params.bias.data(), grads.bias, loss);
}

TEST(ReferenceGrad, EveryKindOfLayerMatchesFiniteDifferences) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (GammaMode mode : {GammaMode::Scalar, GammaMode::Gate, GammaMode::Fixed})
    for (bool square : {true, false})
      for (bool padded : {false, true})
        for (bool rank : {false, true})
          for (bool bias : {false, true})
            checkLayer(draw,
                       drawSmallSpec(draw, mode, square, padded, rank, bias));
}

TEST(ReferenceGrad, ExtremeGammasStillMatch) {
  // γ = 0 and γ = 1 drop one term from y but not from dγ.
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  LayerSpec spec =
      drawSmallSpec(draw, GammaMode::Scalar, false, true, true, true);
  const BlockMask mask = spec.blockMask();
  for (float gamma : {0.0f, 1.0f}) {
    SCOPED_TRACE("gamma=" + std::to_string(gamma));
    LayerParams params = drawParams(draw, spec, mask);
    params.gamma = gamma;
    const int64_t tokens = 3;
    std::vector<float> x = draw.values(tokens * spec.inFeatures);
    const std::vector<float> dy = draw.values(tokens * spec.outFeatures);
    const ReferenceGrads grads =
        referenceBackward(spec, mask, params, x, dy, tokens);
    auto loss = [&] {
      const std::vector<double> y =
          referenceForward(spec, mask, params, x, tokens);
      double sum = 0.0;
      for (size_t i = 0; i < y.size(); ++i)
        sum += y[i] * dy[i];
      return sum;
    };
    probe(draw, "gamma", &params.gamma, {grads.gamma}, loss);
    probe(draw, "dx", x.data(), grads.dx, loss);
    if (gamma == 0.0f) {
      // Only the low-rank term is left: the blocks get no gradient.
      EXPECT_EQ(norm(grads.blocks), 0.0);
      probe(draw, "U", params.u.data(), grads.u, loss);
    } else {
      EXPECT_EQ(norm(grads.u), 0.0);
      EXPECT_EQ(norm(grads.v), 0.0);
      probe(draw, "blocks", params.blocks.data(), grads.blocks, loss);
    }
  }
}

TEST(ReferenceGrad, NoTokensGiveZeroGradients) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  LayerSpec spec =
      drawSmallSpec(draw, GammaMode::Gate, false, true, true, true);
  const BlockMask mask = spec.blockMask();
  const LayerParams params = drawParams(draw, spec, mask);
  const ReferenceGrads grads = referenceBackward(spec, mask, params, {}, {}, 0);
  EXPECT_TRUE(grads.dx.empty());
  EXPECT_EQ(grads.blocks.size(), params.blocks.size());
  EXPECT_EQ(norm(grads.blocks) + norm(grads.u) + norm(grads.v) +
                norm(grads.bias) + norm(grads.gateWeight),
            0.0);
  EXPECT_EQ(grads.gateBias, 0.0);
}

} // namespace
} // namespace pfc
