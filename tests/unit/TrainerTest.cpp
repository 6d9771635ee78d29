//===- TrainerTest.cpp - The trainer and its checkpoints ------------------===//
//
// Training on synthetic data, checkpoints (round trip, bit-exact resume,
// refusals of other nets, other setups, damage, flipped bits, huge counters
// and non-finite values), and the stop on divergence. Dense layers need
// OpenBLAS: without it these tests skip and say why.
//
//===----------------------------------------------------------------------===//
#include "pfc/Train/Trainer.h"
#include "pfc/Train/Net.h"
#include "pfc/Train/Optimizer.h"

#include "NetTestUtil.h"
#include "RandomDraws.h"
#include "TensorTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <set>

namespace pfc {
namespace {

//===----------------------------------------------------------------------===//
// Training and checkpoints
//===----------------------------------------------------------------------===//

struct SmallRun {
  NetSpec spec;
  Dataset train, test;

  SmallRun() {
    spec = makeNet(8, 3,
                   {linear(ModuleKind::Dense, "fc1", 12),
                    activation(ModuleKind::Relu),
                    linear(ModuleKind::Dense, "fc2", 3)});
    spec.train.optimizer.kind = OptimizerKind::AdamW;
    spec.train.optimizer.lr = 0.02;
    spec.train.schedule.kind = ScheduleKind::Cosine;
    spec.train.schedule.warmupEpochs = 0.5;
    // One draw (one set of class centres), split.
    train = syntheticDataset(140, 8, 3, 11);
    test = train;
    test.count = 40;
    test.inputs.erase(test.inputs.begin(), test.inputs.begin() + 100 * 8);
    test.labels.erase(test.labels.begin(), test.labels.begin() + 100);
    train.count = 100;
    train.inputs.resize(100 * 8);
    train.labels.resize(100);
  }
};

TEST(Trainer, LossFallsOnSyntheticData) {
  REQUIRE_BLAS(blas);
  SmallRun run;
  run.spec.train.epochs = 8;
  std::unique_ptr<Net> net = buildDense(run.spec, blas);
  Trainer trainer(*net, run.train, run.test, 8);
  EXPECT_EQ(trainer.stepsPerEpoch(), 7); // 100 examples, batches of 16
  const EpochMetrics first = trainer.runEpoch();
  EpochMetrics last = first;
  int progressCalls = 0;
  while (trainer.epochsDone() < trainer.epochs())
    last = trainer.runEpoch([&](const StepProgress &) { ++progressCalls; });
  EXPECT_EQ(progressCalls, 7 * 7);
  EXPECT_EQ(last.epoch, 8);
  EXPECT_EQ(last.step, 56);
  EXPECT_LT(last.trainLoss, 0.5 * first.trainLoss);
  EXPECT_GT(last.testAccuracy, 0.6);
  EXPECT_EQ(trainer.history().size(), 8u);
}

TEST(Checkpoint, ResumeContinuesBitForBit) {
  REQUIRE_BLAS(blas);
  ScratchDir dir;
  SmallRun run;
  // Two epochs straight.
  std::unique_ptr<Net> straight = buildDense(run.spec, blas);
  Trainer a(*straight, run.train, run.test, 2);
  a.runEpoch();
  a.runEpoch();
  // One epoch, a checkpoint, a fresh net (other initial weights) resumed.
  std::unique_ptr<Net> first = buildDense(run.spec, blas);
  Trainer b(*first, run.train, run.test, 2);
  b.runEpoch();
  std::string error;
  ASSERT_TRUE(b.saveCheckpoint(dir.file("ckpt.safetensors"), error)) << error;
  std::unique_ptr<Net> resumed = buildDense(run.spec, blas, 99);
  Trainer c(*resumed, run.train, run.test, 1);
  ASSERT_TRUE(c.loadCheckpoint(dir.file("ckpt.safetensors"), error)) << error;
  EXPECT_EQ(c.epochsDone(), 1);
  EXPECT_EQ(c.epochs(), 2);
  EXPECT_EQ(c.stepsDone(), 7);
  c.runEpoch();
  const TensorMap want = straight->tensors(), got = resumed->tensors();
  ASSERT_EQ(want.size(), got.size());
  for (const auto &[name, tensor] : want)
    EXPECT_TRUE(sameBits(tensor, got.at(name))) << name;
  // The metrics agree but for the timings.
  ASSERT_EQ(c.history().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EpochMetrics x, y;
    ASSERT_TRUE(readMetricsRow(a.history()[i], x));
    ASSERT_TRUE(readMetricsRow(c.history()[i], y));
    x.seconds = y.seconds = x.examplesPerSecond = y.examplesPerSecond = 0;
    EXPECT_EQ(metricsRow(x), metricsRow(y));
  }
}

TEST(Checkpoint, RefusesOtherNetsSetupsAndDamage) {
  REQUIRE_BLAS(blas);
  ScratchDir dir;
  SmallRun run;
  std::unique_ptr<Net> net = buildDense(run.spec, blas);
  Trainer trainer(*net, run.train, run.test, 2);
  trainer.runEpoch();
  const std::string path = dir.file("ckpt.safetensors");
  std::string error;
  ASSERT_TRUE(trainer.saveCheckpoint(path, error)) << error;

  // Another net: a wider hidden layer.
  SmallRun wider;
  wider.spec.modules[0].layer.outFeatures = 13;
  wider.spec.modules[1].layer.inFeatures =
      wider.spec.modules[1].layer.outFeatures = 13;
  wider.spec.modules[2].layer.inFeatures = 13;
  std::unique_ptr<Net> other = buildDense(wider.spec, blas);
  Trainer otherTrainer(*other, run.train, run.test, 2);
  EXPECT_FALSE(otherTrainer.loadCheckpoint(path, error));
  EXPECT_NE(error.find("error: the checkpoint is of net 'test' (hash "),
            std::string::npos)
      << error;

  // The same net under another batch size.
  SmallRun batch;
  batch.spec.train.batch = 32;
  std::unique_ptr<Net> same = buildDense(batch.spec, blas);
  Trainer batchTrainer(*same, run.train, run.test, 2);
  EXPECT_FALSE(batchTrainer.loadCheckpoint(path, error));
  EXPECT_NE(error.find("trained with another data set, batch"),
            std::string::npos)
      << error;

  // Counters that do not agree, a missing tensor, a truncated file.
  TensorMap tensors;
  TensorMetadata metadata;
  ASSERT_TRUE(readSafetensors(path, tensors, metadata, error)) << error;
  std::unique_ptr<Net> fresh = buildDense(run.spec, blas);
  Trainer freshTrainer(*fresh, run.train, run.test, 2);
  {
    TensorMetadata bad = metadata;
    bad["pfc.step"] = "6";
    ASSERT_TRUE(
        writeSafetensors(dir.file("steps.safetensors"), tensors, bad, error));
    EXPECT_FALSE(
        freshTrainer.loadCheckpoint(dir.file("steps.safetensors"), error));
    EXPECT_NE(error.find("counters are damaged"), std::string::npos) << error;
  }
  {
    TensorMap missing = tensors;
    missing.erase("optimizer.fc2.bias.exp_avg");
    TensorMetadata resummed = metadata;
    resummed["pfc.checksum"] = checkpointChecksum(missing);
    ASSERT_TRUE(writeSafetensors(dir.file("missing.safetensors"), missing,
                                 resummed, error));
    EXPECT_FALSE(
        freshTrainer.loadCheckpoint(dir.file("missing.safetensors"), error));
    EXPECT_NE(error.find("no optimizer state 'fc2.bias.exp_avg'"),
              std::string::npos)
        << error;
  }
  {
    std::string bytes;
    ASSERT_TRUE(readFileBytes(path, bytes, error));
    ASSERT_TRUE(writeFileAtomically(dir.file("short.safetensors"),
                                    bytes.substr(0, bytes.size() / 2), error));
    EXPECT_FALSE(
        freshTrainer.loadCheckpoint(dir.file("short.safetensors"), error));
    EXPECT_EQ(error.find(dir.file("short.safetensors") + ": error: "), 0u)
        << error;
  }
  // None of the refusals touched the trainer.
  EXPECT_EQ(freshTrainer.epochsDone(), 0);
}

// One flipped bit in any tensor, a counter out of range, a value that is not
// finite: each is refused, and the trainer is left as it was.
TEST(Checkpoint, RefusesFlippedBitsHugeCountersAndNonFiniteValues) {
  REQUIRE_BLAS(blas);
  ScratchDir dir;
  SmallRun run;
  std::unique_ptr<Net> net = buildDense(run.spec, blas);
  Trainer trainer(*net, run.train, run.test, 2);
  trainer.runEpoch();
  std::string error;
  const std::string path = dir.file("ckpt.safetensors");
  ASSERT_TRUE(trainer.saveCheckpoint(path, error)) << error;
  TensorMap tensors;
  TensorMetadata metadata;
  ASSERT_TRUE(readSafetensors(path, tensors, metadata, error)) << error;
  std::unique_ptr<Net> fresh = buildDense(run.spec, blas);
  Trainer freshTrainer(*fresh, run.train, run.test, 2);
  const TensorMap before = fresh->tensors();

  std::mt19937 draw(std::random_device{}());
  std::string bytes;
  ASSERT_TRUE(readFileBytes(path, bytes, error)) << error;
  uint64_t header = 8;
  for (int i = 0; i < 8; ++i)
    header += uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  for (int i = 0; i < 20; ++i) {
    std::string flipped = bytes;
    size_t at = header + draw() % (bytes.size() - header);
    flipped[at] ^= static_cast<char>(1 << (draw() % 8));
    ASSERT_TRUE(
        writeFileAtomically(dir.file("flip.safetensors"), flipped, error));
    EXPECT_FALSE(
        freshTrainer.loadCheckpoint(dir.file("flip.safetensors"), error))
        << "byte " << at;
    EXPECT_NE(error.find("checksum"), std::string::npos) << error;
  }

  {
    TensorMetadata huge = metadata;
    huge["pfc.epochs"] = "1000000000000000000";
    ASSERT_TRUE(
        writeSafetensors(dir.file("huge.safetensors"), tensors, huge, error));
    EXPECT_FALSE(
        freshTrainer.loadCheckpoint(dir.file("huge.safetensors"), error));
    EXPECT_NE(error.find("counters are damaged"), std::string::npos) << error;
  }
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    TensorMap nonFinite = tensors;
    Tensor &weight = nonFinite.at("fc1.weight");
    weight.data[draw() % weight.data.size()] = bad;
    TensorMetadata resummed = metadata;
    resummed["pfc.checksum"] = checkpointChecksum(nonFinite);
    ASSERT_TRUE(writeSafetensors(dir.file("nan.safetensors"), nonFinite,
                                 resummed, error));
    EXPECT_FALSE(
        freshTrainer.loadCheckpoint(dir.file("nan.safetensors"), error));
    EXPECT_NE(error.find("'fc1.weight' holds a value that is not finite"),
              std::string::npos)
        << error;
  }
  EXPECT_EQ(freshTrainer.epochsDone(), 0);
  for (const auto &[name, tensor] : before)
    EXPECT_TRUE(sameBits(tensor, fresh->tensors().at(name))) << name;
}

// A learning rate that diverges stops training at the first non-finite
// loss or parameter, and says which and when.
TEST(Trainer, DivergenceStopsWithTheStepAndTheTensor) {
  REQUIRE_BLAS(blas);
  SmallRun run;
  run.spec.train.optimizer.kind = OptimizerKind::Sgd;
  run.spec.train.optimizer.lr = 10.0;
  run.spec.train.optimizer.momentum = 0.99;
  run.spec.train.schedule.kind = ScheduleKind::Constant;
  // Inputs scaled up so that the run diverges within a few steps.
  for (float &x : run.train.inputs)
    x *= 1e3f;
  std::unique_ptr<Net> net = buildDense(run.spec, blas);
  Trainer trainer(*net, run.train, run.test, 20);
  for (int epoch = 0; epoch < 20 && !trainer.failed(); ++epoch)
    trainer.runEpoch();
  ASSERT_TRUE(trainer.failed());
  EXPECT_EQ(trainer.failure().rfind("step ", 0), 0u) << trainer.failure();
  EXPECT_NE(trainer.failure().find("is not finite"), std::string::npos)
      << trainer.failure();
  const bool named =
      trainer.failure().find("the loss") != std::string::npos ||
      trainer.failure().find("parameter fc") != std::string::npos;
  EXPECT_TRUE(named) << trainer.failure();
  // Stopped: no further step, no further epoch is counted.
  const int64_t steps = trainer.stepsDone(), epochs = trainer.epochsDone();
  trainer.runEpoch();
  EXPECT_EQ(trainer.stepsDone(), steps);
  EXPECT_EQ(trainer.epochsDone(), epochs);
}

} // namespace
} // namespace pfc
