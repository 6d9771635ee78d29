//===- PixelflyNetTest.cpp - Nets with JIT-compiled Pixelfly layers -------===//
//
// A net's gradients through compiled Pixelfly layers (every γ mode, padded
// feature counts) against central differences of its own loss; a short
// training run on synthetic data; the layer's tensors in and out of a net.
//
//===----------------------------------------------------------------------===//
#include "FiniteDifference.h"
#include "NetTestUtil.h"
#include "RandomDraws.h"

#include "pfc/Target/Jit.h"
#include "pfc/Train/Net.h"
#include "pfc/Train/Trainer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace pfc {
namespace {

LayerCompiler jit(int64_t threads) {
  return [threads](const LayerSpec &spec,
                   std::string &error) -> std::unique_ptr<Layer> {
    auto layer = compileLayer(spec, CompileOptions(threads));
    if (!layer) {
      error = llvm::toString(layer.takeError());
      return nullptr;
    }
    return std::move(*layer);
  };
}

/// x [features] → Pixelfly (in → 40, padded to 48 inside) → GELU → dense.
NetSpec pixelflyNet(int64_t features, GammaMode mode, int64_t classes = 5) {
  NetSpec net;
  net.name = "pixelfly-test";
  net.data.kind = DataSpec::Kind::Synthetic;
  net.data.features = features;
  net.data.classes = classes;
  NetModule fly;
  fly.kind = ModuleKind::Pixelfly;
  LayerSpec &layer = fly.layer;
  layer.name = "fc1";
  layer.inFeatures = features;
  layer.outFeatures = 40;
  layer.block = 16;
  layer.butterfly.size = 2;
  layer.butterfly.strides = {2};
  layer.rank = 4;
  layer.gammaMode = mode;
  layer.gammaInit = mode == GammaMode::Fixed ? 0.7 : 0.4;
  NetModule gelu;
  gelu.kind = ModuleKind::Gelu;
  gelu.layer.inFeatures = gelu.layer.outFeatures = 40;
  NetModule head;
  head.kind = ModuleKind::Dense;
  head.layer.name = "fc2";
  head.layer.inFeatures = 40;
  head.layer.outFeatures = classes;
  net.modules = {fly, gelu, head};
  net.train.batch = 16;
  net.train.seed = 4;
  net.train.optimizer.lr = 0.01;
  return net;
}

class PixelflyNet : public ::testing::TestWithParam<GammaMode> {};

TEST_P(PixelflyNet, GradientsMatchFiniteDifferences) {
  std::string error;
  const Blas *blas = denseLibrary(error);
  if (!blas)
    GTEST_SKIP() << error;
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const NetSpec spec = pixelflyNet(37, GetParam());
  std::unique_ptr<Net> net =
      Net::create(spec, jit(2), blas, 2, draw(0, 1000), error);
  ASSERT_TRUE(net) << error;
  const int64_t rows = 9;
  const std::vector<float> x = draw.values(rows * 37);
  std::vector<int32_t> labels(rows);
  for (int32_t &label : labels)
    label = static_cast<int32_t>(draw(0, 4));
  net->forward(x.data(), labels.data(), rows);
  net->backward();
  std::vector<Parameter> params = net->parameters();
  std::vector<std::vector<float>> grads;
  for (const Parameter &param : params)
    grads.emplace_back(param.grad, param.grad + param.size);
  auto meanLoss = [&] {
    EXPECT_TRUE(net->parametersChanged(error)) << error;
    return net->forward(x.data(), labels.data(), rows).lossSum / rows;
  };
  const float h = 1e-2f;
  for (size_t p = 0; p < params.size(); ++p) {
    SCOPED_TRACE(params[p].name);
    for (int c = 0; c < 8; ++c) {
      const int64_t i = draw(0, params[p].size - 1);
      const double numeric = centralDifference(params[p].value[i], h, meanLoss);
      EXPECT_NEAR(grads[p][i], numeric, 2e-3 + 2e-2 * std::abs(numeric))
          << "entry " << i;
    }
  }
  // Fixed γ is not trained; the others are, without weight decay.
  bool hasGamma = false;
  for (const Parameter &param : params) {
    hasGamma |= param.name == "fc1.gamma";
    if (param.name == "fc1.gamma" || param.name == "fc1.gate.bias" ||
        param.name == "fc1.bias" || param.name == "fc2.bias")
      EXPECT_FALSE(param.decay) << param.name;
  }
  EXPECT_EQ(hasGamma, GetParam() == GammaMode::Scalar);
}

INSTANTIATE_TEST_SUITE_P(GammaModes, PixelflyNet,
                         ::testing::Values(GammaMode::Scalar, GammaMode::Gate,
                                           GammaMode::Fixed),
                         [](const ::testing::TestParamInfo<GammaMode> &info) {
                           return std::string(toString(info.param));
                         });

TEST(PixelflyTraining, LossFallsAndGammaStaysInRange) {
  std::string error;
  const Blas *blas = denseLibrary(error);
  if (!blas)
    GTEST_SKIP() << error;
  NetSpec spec = pixelflyNet(24, GammaMode::Scalar, 4);
  spec.train.optimizer.kind = OptimizerKind::AdamW;
  spec.train.optimizer.lr = 0.5; // large enough to push γ against its bounds
  std::unique_ptr<Net> net = Net::create(spec, jit(2), blas, 2, 1, error);
  ASSERT_TRUE(net) << error;
  // One draw, split: the test examples are not training examples.
  Dataset train = syntheticDataset(320, 24, 4, 5), test = train;
  test.count = 64;
  test.inputs.erase(test.inputs.begin(), test.inputs.begin() + 256 * 24);
  test.labels.erase(test.labels.begin(), test.labels.begin() + 256);
  train.count = 256;
  train.inputs.resize(256 * 24);
  train.labels.resize(256);
  Trainer trainer(*net, train, test, 3);
  const EpochMetrics first = trainer.runEpoch();
  for (int i = 0; i < 2; ++i) {
    trainer.runEpoch();
    const float gamma = net->tensors().at("fc1.gamma").data[0];
    EXPECT_GE(gamma, 0.0f);
    EXPECT_LE(gamma, 1.0f);
  }
  spec.train.optimizer.lr = 0.01;
  std::unique_ptr<Net> calm = Net::create(spec, jit(2), blas, 2, 1, error);
  ASSERT_TRUE(calm) << error;
  Trainer steady(*calm, train, test, 4);
  const EpochMetrics start = steady.runEpoch();
  EpochMetrics end = start;
  while (steady.epochsDone() < steady.epochs())
    end = steady.runEpoch();
  EXPECT_LT(end.trainLoss, 0.5 * start.trainLoss);
  EXPECT_GT(end.testAccuracy, 0.9);
  (void)first;
}

TEST(PixelflyTraining, TensorsMoveBetweenNets) {
  std::string error;
  const Blas *blas = denseLibrary(error);
  if (!blas)
    GTEST_SKIP() << error;
  const NetSpec spec = pixelflyNet(20, GammaMode::Gate);
  std::unique_ptr<Net> a = Net::create(spec, jit(1), blas, 1, 1, error);
  std::unique_ptr<Net> b = Net::create(spec, jit(1), blas, 1, 2, error);
  ASSERT_TRUE(a && b) << error;
  const TensorMap tensors = a->tensors();
  for (const char *name :
       {"fc1.blocks", "fc1.U", "fc1.V", "fc1.gate.weight", "fc1.gate.bias",
        "fc1.bias", "fc2.weight", "fc2.bias"})
    EXPECT_TRUE(tensors.count(name)) << name;
  ASSERT_TRUE(b->setTensors(tensors, error)) << error;
  RandomDraws draw;
  const std::vector<float> x = draw.values(3 * 20);
  const std::vector<int32_t> labels = {0, 1, 2};
  EXPECT_EQ(a->forward(x.data(), labels.data(), 3).lossSum,
            b->forward(x.data(), labels.data(), 3).lossSum);
  TensorMap extra = tensors;
  extra["fc3.weight"] = {{1}, {0.0f}};
  EXPECT_FALSE(b->setTensors(extra, error));
  EXPECT_EQ(error, "unknown tensor 'fc3.weight' (expected the tensors of net "
                   "'pixelfly-test')");
  TensorMap missing = tensors;
  missing.erase("fc1.V");
  EXPECT_FALSE(b->setTensors(missing, error));
  EXPECT_NE(error.find("Pixelfly layer 'fc1': "), std::string::npos) << error;
}

} // namespace
} // namespace pfc
