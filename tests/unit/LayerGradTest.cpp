//===- LayerGradTest.cpp - Compiled layers' gradients against fp64 --------===//
//
// Draws layers as JitLayerTest does (square and rectangular, padded feature
// counts, b from 4 to 64, ranks, every γ mode, bias or not, random
// schedules), compiles each with the JIT and compares Layer::backward with
// referenceBackward on 1, 7 and a few hundred tokens, on one thread and two.
// Every output is poisoned with NaN first, so a gradient the kernel forgets to
// write fails. One test checks the whole compiled layer against central
// differences of its own forward.
//
//===----------------------------------------------------------------------===//
#include "GradTestUtil.h"
#include "RandomLayers.h"
#include "pfc/Runtime/Reference.h"

#include "pfc/Target/Jit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace pfc;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string describe(const LayerSpec &spec, int64_t threads,
                     const Schedule &s) {
  return spec.name + " " + std::to_string(spec.outFeatures) + "x" +
         std::to_string(spec.inFeatures) + " b=" + std::to_string(spec.block) +
         " " + spec.butterfly.str() + " rank=" + std::to_string(spec.rank) +
         " gamma=" + std::string(toString(spec.gammaMode)) +
         " bias=" + std::to_string(spec.bias) +
         " threads=" + std::to_string(threads) +
         " tile=" + std::to_string(s.tile) +
         " vector=" + std::to_string(s.vector) +
         " chunk=" + std::to_string(s.chunk) +
         " unroll=" + std::to_string(s.unroll) +
         " unrolled=" + std::to_string(s.unrolled.value_or(false)) +
         " prefetch=" + std::to_string(s.prefetch.value_or(0));
}

/// Gradients full of NaN: the parts the layer has at their sizes, the parts
/// it lacks non-empty too, so that backward must both write and clear.
LayerParams poisonedGrads(const LayerSpec &spec, const BlockMask &mask) {
  const size_t b = spec.block, rank = spec.rank;
  auto nan = [](size_t count) {
    return std::vector<float>(count ? count : 3, kNaN);
  };
  LayerParams grads;
  grads.blocks = nan(mask.nnzBlocks() * b * b);
  grads.u = nan(spec.outFeatures * rank);
  grads.v = nan(spec.inFeatures * rank);
  grads.gamma = kNaN;
  grads.gateWeight = nan(spec.inFeatures);
  grads.gateBias = kNaN;
  grads.bias = nan(spec.outFeatures);
  return grads;
}

/// Compiles `spec`, sets random parameters, and checks backward on 1, 7 and
/// a few hundred tokens: each call once into poisoned outputs and once more
/// into the previous call's, which it must overwrite, not add to.
void checkAgainstReference(RandomDraws &draw, const LayerSpec &spec,
                           int64_t threads, Schedule schedule = {}) {
  SCOPED_TRACE(describe(spec, threads, schedule));
  auto layer = compileLayer(spec, CompileOptions{threads, schedule});
  ASSERT_TRUE(static_cast<bool>(layer)) << toString(layer.takeError());
  const BlockMask &mask = (*layer)->mask();
  LayerParams params = randomParams(draw, spec, mask);
  std::string error;
  ASSERT_TRUE((*layer)->setParams(params, error)) << error;

  LayerParams grads;
  for (int64_t tokens : {int64_t{1}, int64_t{7}, draw(250, 600)}) {
    SCOPED_TRACE("tokens=" + std::to_string(tokens));
    std::vector<float> x = draw.values(tokens * spec.inFeatures);
    for (bool poisoned : {true, false}) {
      SCOPED_TRACE(poisoned ? "into NaN" : "into the last call's gradients");
      std::vector<float> dy = draw.values(tokens * spec.outFeatures);
      std::vector<float> dx(x.size(), kNaN);
      if (poisoned)
        grads = poisonedGrads(spec, mask);
      (*layer)->backward(x.data(), dy.data(), tokens, dx.data(), grads);
      expectGradients(spec, mask, params, x, dy, tokens, grads, dx);
    }
  }
}

TEST(LayerGrad, RandomSpecsMatchTheReference) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int i = 0; i < 12; ++i)
    checkAgainstReference(draw, drawSpec(draw), draw(1, 2));
}

TEST(LayerGrad, RandomSchedulesMatchTheReference) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int i = 0; i < 8; ++i) {
    LayerSpec spec = drawSpec(draw);
    checkAgainstReference(draw, spec, draw(1, 2), drawSchedule(draw, spec));
  }
}

TEST(LayerGrad, EveryGammaModeAndBlockSize) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t block : {4, 8, 16, 32, 64}) {
    for (GammaMode mode :
         {GammaMode::Scalar, GammaMode::Gate, GammaMode::Fixed}) {
      // No rank nor bias on one thread; both on two.
      for (int64_t threads : {1, 2}) {
        LayerSpec spec;
        spec.name = "layer";
        spec.block = block;
        spec.inFeatures = 4 * block - 3;  // padded inputs
        spec.outFeatures = 2 * block + 5; // padded outputs, rectangular
        spec.butterfly.size = 2;
        spec.butterfly.strides = {2};
        spec.rank = threads == 2 ? 7 : 0;
        spec.bias = threads == 2;
        spec.gammaMode = mode;
        spec.gammaInit = 0.3;
        checkAgainstReference(draw, spec, threads);
      }
    }
  }
}

TEST(LayerGrad, SquareLayersWithoutPadding) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (GammaMode mode :
       {GammaMode::Scalar, GammaMode::Gate, GammaMode::Fixed}) {
    LayerSpec spec;
    spec.name = "square";
    spec.block = 16;
    spec.inFeatures = spec.outFeatures = 128;
    spec.butterfly.size = 8;
    spec.butterfly.strides = {2, 4, 8};
    spec.rank = 5;
    spec.gammaMode = mode;
    spec.gammaInit = 0.6;
    for (int64_t threads : {1, 2})
      checkAgainstReference(draw, spec, threads);
  }
}

// Whatever the blocks' padding holds (a file may hold anything there, NaN
// included), the gradients are those of zero padding, bit for bit.
TEST(LayerGrad, PaddingOfTheBlocksIsNeverRead) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (GammaMode mode : {GammaMode::Scalar, GammaMode::Gate}) {
    LayerSpec spec;
    spec.name = "padded";
    spec.block = 16;
    spec.inFeatures = 100;
    spec.outFeatures = 120;
    spec.butterfly.size = 4;
    spec.butterfly.strides = {2, 4};
    spec.rank = 3;
    spec.gammaMode = mode;
    spec.gammaInit = 0.4;
    auto layer = compileLayer(spec, CompileOptions{1, {}});
    ASSERT_TRUE(static_cast<bool>(layer)) << toString(layer.takeError());
    const BlockMask &mask = (*layer)->mask();
    const auto blocks = mask.blocks();
    LayerParams clean = randomParams(draw, spec, mask);
    LayerParams dirty = clean;
    size_t padding = 0;
    for (size_t i = 0; i < clean.blocks.size(); ++i)
      if (isPadding(spec, mask, blocks, i)) {
        clean.blocks[i] = 0.0f;
        dirty.blocks[i] = padding++ % 3 == 0 ? kNaN : draw.values(1)[0] * 1e6f;
      }
    ASSERT_GT(padding, 0u);
    const int64_t tokens = draw(5, 40);
    std::vector<float> x = draw.values(tokens * spec.inFeatures);
    std::vector<float> dy = draw.values(tokens * spec.outFeatures);
    auto run = [&](const LayerParams &params, std::vector<float> &y,
                   std::vector<float> &dx) {
      std::string error;
      EXPECT_TRUE((*layer)->setParams(params, error)) << error;
      y.assign(tokens * spec.outFeatures, kNaN);
      (*layer)->forward(x.data(), tokens, y.data());
      dx.assign(x.size(), kNaN);
      LayerParams grads = poisonedGrads(spec, mask);
      (*layer)->backward(x.data(), dy.data(), tokens, dx.data(), grads);
      return grads;
    };
    std::vector<float> yClean, dxClean, yDirty, dxDirty;
    LayerParams want = run(clean, yClean, dxClean);
    LayerParams got = run(dirty, yDirty, dxDirty);
    EXPECT_EQ(std::memcmp(&got.gamma, &want.gamma, sizeof(float)), 0)
        << got.gamma << " vs " << want.gamma;
    EXPECT_EQ(std::memcmp(&got.gateBias, &want.gateBias, sizeof(float)), 0);
    EXPECT_EQ(got.gateWeight, want.gateWeight);
    EXPECT_EQ(got.blocks, want.blocks);
    EXPECT_EQ(got.u, want.u);
    EXPECT_EQ(got.v, want.v);
    EXPECT_EQ(dxDirty, dxClean);
    EXPECT_EQ(yDirty, yClean);
  }
}

TEST(LayerGrad, NoTokensGiveZeroGradients) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  LayerSpec spec;
  spec.name = "layer";
  spec.block = 8;
  spec.inFeatures = 29;
  spec.outFeatures = 19;
  spec.butterfly.size = 2;
  spec.rank = 3;
  spec.gammaMode = GammaMode::Gate;
  auto layer = compileLayer(spec, CompileOptions{2});
  ASSERT_TRUE(static_cast<bool>(layer)) << toString(layer.takeError());
  const BlockMask &mask = (*layer)->mask();
  std::string error;
  ASSERT_TRUE((*layer)->setParams(randomParams(draw, spec, mask), error))
      << error;
  LayerParams grads = poisonedGrads(spec, mask);
  float x = 1.0f, dy = 1.0f, dx = kNaN;
  (*layer)->backward(&x, &dy, 0, &dx, grads);
  EXPECT_TRUE(std::isnan(dx)) << "dx has no rows to write";
  expectGradients(spec, mask, (*layer)->params(), {}, {}, 0, grads, {});
}

/// L(x, θ) = Σ forward(x; θ) ⊙ dy, summed in double.
double loss(Layer &layer, const LayerParams &params,
            const std::vector<float> &x, const std::vector<float> &dy,
            int64_t tokens) {
  std::string error;
  EXPECT_TRUE(layer.setParams(params, error)) << error;
  std::vector<float> y(dy.size(), kNaN);
  layer.forward(x.data(), tokens, y.data());
  double sum = 0.0;
  for (size_t i = 0; i < y.size(); ++i)
    sum += double(y[i]) * dy[i];
  return sum;
}

/// Moves `values` to `base` ± step·direction, in float, and accumulates
/// Σ gradient·(plus − minus) and |plus − minus|² with the steps actually
/// taken.
struct Perturbation {
  double step;
  double analytic = 0.0, stepNorm2 = 0.0, gradNorm2 = 0.0;
  size_t count = 0;

  void add(RandomDraws &draw, const std::vector<float> &base,
           const std::vector<float> &gradient, std::vector<float> &plus,
           std::vector<float> &minus) {
    ASSERT_EQ(gradient.size(), base.size());
    plus.resize(base.size());
    minus.resize(base.size());
    for (size_t i = 0; i < base.size(); ++i) {
      const double direction = draw.real(-1.0, 1.0);
      plus[i] = static_cast<float>(base[i] + step * direction);
      minus[i] = static_cast<float>(base[i] - step * direction);
      const double taken = double(plus[i]) - minus[i];
      analytic += double(gradient[i]) * taken;
      stepNorm2 += taken * taken;
      gradNorm2 += double(gradient[i]) * gradient[i];
    }
    count += base.size();
  }

  void add(RandomDraws &draw, float base, float gradient, float &plus,
           float &minus) {
    std::vector<float> p, m;
    add(draw, {base}, {gradient}, p, m);
    plus = p[0];
    minus = m[0];
  }
};

/// The directional derivative of the whole compiled layer along a random
/// direction in (x, every learned parameter), by central differences of its
/// fp32 forward, against Σ gradients ⊙ direction from its backward. A step
/// of 1e-2 keeps the fp32 rounding of L± (~1e-7 of L) far below the change
/// it measures; the truncation error of the cubic and quartic terms of L
/// (U·V·x·γ) is ~step² ≈ 1e-4 relative.
TEST(LayerGrad, WholeLayerMatchesFiniteDifferences) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (GammaMode mode :
       {GammaMode::Scalar, GammaMode::Gate, GammaMode::Fixed}) {
    LayerSpec spec;
    spec.name = "fd";
    spec.block = 8;
    spec.inFeatures = 8 * draw(2, 6) - draw(0, 7);
    spec.outFeatures = 8 * draw(2, 6) - draw(0, 7);
    spec.butterfly.size = 2;
    spec.rank = draw(1, 6);
    spec.gammaMode = mode;
    spec.gammaInit = 0.4;
    const int64_t threads = draw(1, 2);
    SCOPED_TRACE(describe(spec, threads, {}));
    auto layer = compileLayer(spec, CompileOptions{threads});
    ASSERT_TRUE(static_cast<bool>(layer)) << toString(layer.takeError());
    Layer &compiled = **layer;
    const BlockMask &mask = compiled.mask();
    const LayerParams params = randomParams(draw, spec, mask);
    const int64_t tokens = draw(9, 40);
    const std::vector<float> x = draw.values(tokens * spec.inFeatures);
    const std::vector<float> dy = draw.values(tokens * spec.outFeatures);

    std::string error;
    ASSERT_TRUE(compiled.setParams(params, error)) << error;
    LayerParams grads = poisonedGrads(spec, mask);
    std::vector<float> dx(x.size(), kNaN);
    compiled.backward(x.data(), dy.data(), tokens, dx.data(), grads);

    Perturbation step{1e-2};
    std::vector<float> xPlus, xMinus;
    LayerParams plus = params, minus = params;
    step.add(draw, x, dx, xPlus, xMinus);
    step.add(draw, params.blocks, grads.blocks, plus.blocks, minus.blocks);
    step.add(draw, params.u, grads.u, plus.u, minus.u);
    step.add(draw, params.v, grads.v, plus.v, minus.v);
    step.add(draw, params.bias, grads.bias, plus.bias, minus.bias);
    if (mode == GammaMode::Scalar)
      step.add(draw, params.gamma, grads.gamma, plus.gamma, minus.gamma);
    if (mode == GammaMode::Gate) {
      step.add(draw, params.gateWeight, grads.gateWeight, plus.gateWeight,
               minus.gateWeight);
      step.add(draw, params.gateBias, grads.gateBias, plus.gateBias,
               minus.gateBias);
    }
    const double numeric = loss(compiled, plus, xPlus, dy, tokens) -
                           loss(compiled, minus, xMinus, dy, tokens);
    // Relative to the analytic value, or to its typical size for a random
    // direction should this one happen to be nearly orthogonal.
    const double typical =
        std::sqrt(step.gradNorm2 * step.stepNorm2 / double(step.count));
    EXPECT_NEAR(numeric, step.analytic,
                1e-3 * std::max(std::abs(step.analytic), typical));
  }
}

} // namespace
