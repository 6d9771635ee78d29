//===- NetSpecParserTest.cpp - Reading net specs --------------------------===//
//
// What a net spec means once read: defaults, chained input counts, default
// names, the model form, exactly one diagnostic per mistake; and the two
// shipped Fashion-MNIST nets (one schedule, Pixelfly at about a quarter of
// the dense parameters). Each error message is checked in
// tests/lit/Spec/net-errors.
//
//===----------------------------------------------------------------------===//
#include "pfc/Spec/NetSpecParser.h"

#include "pfc/Plan/Planner.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace llvm;

namespace pfc {
namespace {

struct ParseResult {
  std::optional<NetSpec> net;
  std::vector<std::string> diagnostics; ///< "line:col: message"
};

ParseResult parseText(StringRef text, StringRef name = "net.yaml") {
  ParseResult result;
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(MemoryBuffer::getMemBufferCopy(text, name),
                               SMLoc());
  sourceMgr.setDiagHandler(
      [](const SMDiagnostic &diag, void *out) {
        static_cast<std::vector<std::string> *>(out)->push_back(
            std::to_string(diag.getLineNo()) + ":" +
            std::to_string(diag.getColumnNo() + 1) + ": " +
            diag.getMessage().str());
      },
      &result.diagnostics);
  result.net = parseNetSpec(sourceMgr);
  return result;
}

TEST(NetSpecParser, DefaultsChainsAndNames) {
  // `data` after `layers`: the input counts are resolved at the end.
  ParseResult r = parseText(R"(pfc: 1
net:
  name: small
  layers:
    - {pixelfly: {out_features: 64, block: 16, butterfly: {size: 4, factors: 2}, lowrank: {rank: 8}}}
    - gelu
    - {dense: {name: head, out_features: 4, bias: false}}
  data: {synthetic: {count: 100, features: 48, classes: 4}}
train:
  epochs: 3
  batch: 16
  optimizer: {sgd: {lr: 0.1, momentum: 0.9}}
)");
  ASSERT_TRUE(r.net) << r.diagnostics.front();
  EXPECT_TRUE(r.diagnostics.empty());
  const NetSpec &net = *r.net;
  EXPECT_EQ(net.name, "small");
  EXPECT_EQ(net.data.kind, DataSpec::Kind::Synthetic);
  EXPECT_EQ(net.data.count, 100);
  EXPECT_EQ(net.data.testCount, 25); // a quarter by default
  EXPECT_EQ(net.data.seed, 0u);
  ASSERT_EQ(net.modules.size(), 3u);
  const LayerSpec &fc1 = net.modules[0].layer;
  EXPECT_EQ(net.modules[0].kind, ModuleKind::Pixelfly);
  EXPECT_EQ(fc1.name, "fc1");
  EXPECT_EQ(fc1.inFeatures, 48);
  EXPECT_EQ(fc1.outFeatures, 64);
  EXPECT_EQ(fc1.block, 16);
  EXPECT_EQ(fc1.rank, 8);
  EXPECT_EQ(fc1.butterfly.strides, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(fc1.gammaMode, GammaMode::Scalar);
  EXPECT_TRUE(fc1.bias);
  EXPECT_EQ(net.modules[1].kind, ModuleKind::Gelu);
  EXPECT_EQ(net.modules[1].layer.inFeatures, 64);
  EXPECT_EQ(net.modules[1].layer.outFeatures, 64);
  const LayerSpec &head = net.modules[2].layer;
  EXPECT_EQ(net.modules[2].kind, ModuleKind::Dense);
  EXPECT_EQ(head.name, "head");
  EXPECT_EQ(head.inFeatures, 64);
  EXPECT_FALSE(head.bias);
  EXPECT_EQ(net.loss, LossKind::SoftmaxCrossEntropy);
  EXPECT_EQ(net.train.epochs, 3);
  EXPECT_EQ(net.train.seed, 0u);
  EXPECT_EQ(net.train.optimizer.kind, OptimizerKind::Sgd);
  EXPECT_EQ(net.train.optimizer.momentum, 0.9);
  EXPECT_EQ(net.train.optimizer.weightDecay, 0.0);
  EXPECT_EQ(net.train.schedule.kind, ScheduleKind::Constant);
}

TEST(NetSpecParser, OptimizerAndScheduleSettings) {
  ParseResult r = parseText(R"(pfc: 1
net: {name: n, data: fashion-mnist, layers: [{dense: {out_features: 10}}]}
train:
  epochs: 4
  batch: 256
  seed: 9
  optimizer: {adamw: {lr: 2e-3, betas: [0.8, 0.95], eps: 1e-6}}
  schedule: {step: {every_epochs: 2, factor: 0.5, warmup_epochs: 0.25}}
)");
  ASSERT_TRUE(r.net) << r.diagnostics.front();
  const TrainSpec &train = r.net->train;
  EXPECT_EQ(r.net->data.features, 784);
  EXPECT_EQ(r.net->data.classes, 10);
  EXPECT_EQ(train.seed, 9u);
  EXPECT_EQ(train.optimizer.kind, OptimizerKind::AdamW);
  EXPECT_EQ(train.optimizer.lr, 2e-3);
  EXPECT_EQ(train.optimizer.beta1, 0.8);
  EXPECT_EQ(train.optimizer.beta2, 0.95);
  EXPECT_EQ(train.optimizer.eps, 1e-6);
  EXPECT_EQ(train.optimizer.weightDecay, 0.01); // AdamW's default
  EXPECT_EQ(train.schedule.kind, ScheduleKind::Step);
  EXPECT_EQ(train.schedule.everyEpochs, 2.0);
  EXPECT_EQ(train.schedule.factor, 0.5);
  EXPECT_EQ(train.schedule.warmupEpochs, 0.25);
}

TEST(NetSpecParser, OneDiagnosticPerMistake) {
  ParseResult r = parseText(R"(pfc: 1
net:
  name: n
  data: fashion-mnist
  layers: [{dense: {out_features: 64}}, relu, {dense: {out_features: 3}}]
train: {epochs: 1, batch: 8, optimizer: {sgd: {lr: 0.1}}}
)");
  EXPECT_FALSE(r.net);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0],
            "5:70: the last layer gives 3 outputs, but the data has 10 classes "
            "(expected out_features: 10)");
}

TEST(NetSpecParser, ModelSpecLayersWithActivations) {
  // The path is relative to the net spec's file.
  const std::string self =
      std::string(PFC_SOURCE_DIR) + "/specs/fashion-mnist-model.yaml";
  ParseResult r = parseText(R"(pfc: 1
net:
  name: planned
  data: fashion-mnist
  model: models/fashion-mnist-mlp.yaml
  activation: gelu
train: {epochs: 1, batch: 8, optimizer: {sgd: {lr: 0.1}}}
)",
                            self);
  ASSERT_TRUE(r.net) << r.diagnostics.front();
  const std::vector<NetModule> &modules = r.net->modules;
  ASSERT_EQ(modules.size(), 5u);
  EXPECT_EQ(modules[0].kind, ModuleKind::Pixelfly);
  EXPECT_EQ(modules[0].layer.name, "fc1");
  EXPECT_EQ(modules[0].layer.block, 16);
  EXPECT_EQ(modules[1].kind, ModuleKind::Gelu);
  EXPECT_EQ(modules[2].kind, ModuleKind::Pixelfly);
  EXPECT_EQ(modules[3].kind, ModuleKind::Gelu);
  EXPECT_EQ(modules[4].kind, ModuleKind::Dense);
  EXPECT_EQ(modules[4].layer.name, "head");
  EXPECT_EQ(modules[4].layer.inFeatures, 1024);
  // The planner's layers, as `pfc plan` prints them.
  const ModelPlan plan = planModel([] {
    ModelSpec model;
    model.block = 16;
    model.budget = 0.25;
    model.layers = {{"fc1", 784, 1024}, {"fc2", 1024, 1024}};
    return model;
  }());
  EXPECT_EQ(modules[0].layer.butterfly, plan.layers[0].spec.butterfly);
  EXPECT_EQ(modules[2].layer.rank, plan.layers[1].spec.rank);
}

/// Parameters as `pfc plan` counts them.
int64_t parameterCount(const NetSpec &net) {
  int64_t params = 0;
  for (const NetModule &module : net.modules) {
    const LayerSpec &layer = module.layer;
    if (module.kind == ModuleKind::Dense)
      params += denseLayerCost(layer.inFeatures, layer.outFeatures, layer.bias,
                               32, CostModel())
                    .params;
    if (module.kind == ModuleKind::Pixelfly)
      params += pixelflyCost(layer, layer.blockMask(), CostModel()).params;
  }
  return params;
}

TEST(NetSpecParser, ShippedFashionMnistNets) {
  std::string diagnostics;
  raw_string_ostream os(diagnostics);
  const std::string dir = std::string(PFC_SOURCE_DIR) + "/specs/";
  std::optional<NetSpec> dense =
      parseNetSpecFile(dir + "fashion-mnist-dense.yaml", os);
  std::optional<NetSpec> pixelfly =
      parseNetSpecFile(dir + "fashion-mnist-pixelfly.yaml", os);
  ASSERT_TRUE(dense && pixelfly) << diagnostics;
  EXPECT_EQ(parameterCount(*dense), 1863690);
  const double ratio =
      double(parameterCount(*pixelfly)) / double(parameterCount(*dense));
  EXPECT_NEAR(ratio, 0.25, 0.01);
  // The same data, epochs, batch, seed, optimizer and schedule: the training
  // texts differ in nothing.
  EXPECT_EQ(describeTraining(*dense), describeTraining(*pixelfly));
  EXPECT_NE(describeNet(*dense), describeNet(*pixelfly));
  for (const NetModule &module : pixelfly->modules)
    if (module.kind == ModuleKind::Pixelfly) {
      EXPECT_EQ(module.layer.block, 32);
      EXPECT_EQ(module.layer.gammaMode, GammaMode::Scalar);
    }
}

} // namespace
} // namespace pfc
