//===- JitLayerTest.cpp - Compiled layers against an fp64 reference -------===//
//
// Draws layer specs (square and rectangular, padded feature counts, b from 8
// to 64, random strides, ranks, γ modes, bias or not), compiles each with the
// JIT, runs it on random tokens and compares with the fp64 reference
// (pfc/Runtime/Reference.h).
//
//===----------------------------------------------------------------------===//
#include "RandomLayers.h"
#include "pfc/Runtime/Reference.h"

#include "pfc/Target/Jit.h"

#include "llvm/TargetParser/Host.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace pfc;

namespace {

std::string describe(const Schedule &s) {
  return "tile=" + std::to_string(s.tile) +
         " vector=" + std::to_string(s.vector) +
         " chunk=" + std::to_string(s.chunk) +
         " unroll=" + std::to_string(s.unroll) +
         " unrolled=" + std::to_string(s.unrolled.value_or(false)) +
         " prefetch=" + std::to_string(s.prefetch.value_or(0));
}

void checkAgainstReference(RandomDraws &draw, const LayerSpec &spec,
                           int64_t threads, Schedule schedule = {}) {
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
    std::vector<float> x = draw.values(tokens * spec.inFeatures);
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
  Schedule schedule;
  schedule.vector = 5;
  auto layer = compileLayer(spec, CompileOptions{1, schedule});
  ASSERT_FALSE(static_cast<bool>(layer));
  EXPECT_EQ(toString(layer.takeError()),
            "schedule vector width 5 is not 4, 8 or 16");
}

TEST(JitLayer, RunsOnlyOnTheHostCpu) {
  // Another CPU is for ahead-of-time compiles: its code may not run here.
  const std::string other =
      llvm::sys::getHostCPUName() == "haswell" ? "skylake-avx512" : "haswell";
  CompileOptions options(1);
  options.cpu = other;
  auto layer = compileLayer(smallLayer(0), options);
  ASSERT_FALSE(static_cast<bool>(layer));
  EXPECT_NE(toString(layer.takeError()).find("pfc compile --cpu"),
            std::string::npos);
  options.cpu = llvm::sys::getHostCPUName().str();
  auto host = compileLayer(smallLayer(0), options);
  EXPECT_TRUE(static_cast<bool>(host)) << toString(host.takeError());
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
