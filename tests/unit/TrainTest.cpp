//===- TrainTest.cpp - Losses, layers and optimizers, no compiled kernels -===//
//
// The loss against fp64 and finite differences, dense layers' backward
// against a plain fp64 reference, whole nets' gradients against central
// differences, the optimizers against steps computed by hand, the
// learning-rate schedules, shuffling and metrics. The trainer and its
// checkpoints are in TrainerTest.cpp. Dense layers need OpenBLAS: without it
// those tests skip and say why.
//
//===----------------------------------------------------------------------===//
#include "pfc/Train/Net.h"
#include "pfc/Train/Optimizer.h"
#include "pfc/Train/Trainer.h"

#include "FiniteDifference.h"
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

std::vector<int32_t> randomLabels(RandomDraws &draw, size_t count,
                                  int64_t classes) {
  std::vector<int32_t> labels(count);
  for (int32_t &label : labels)
    label = static_cast<int32_t>(draw(0, classes - 1));
  return labels;
}

double normwiseError(const std::vector<float> &got,
                     const std::vector<double> &want) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-300));
}

//===----------------------------------------------------------------------===//
// The loss
//===----------------------------------------------------------------------===//

TEST(SoftmaxCrossEntropy, MatchesFp64) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const int64_t rows = draw(1, 9), classes = draw(2, 12);
  const std::vector<float> logits = draw.values(rows * classes, 5.0);
  const std::vector<int32_t> labels = randomLabels(draw, rows, classes);
  std::vector<float> grad(rows * classes, NAN);
  const BatchResult result = softmaxCrossEntropy(logits.data(), labels.data(),
                                                 rows, classes, grad.data());
  double loss = 0.0;
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float *z = &logits[r * classes];
    double sum = 0.0;
    for (int64_t j = 0; j < classes; ++j)
      sum += std::exp(double(z[j]));
    loss += std::log(sum) - z[labels[r]];
    correct += std::max_element(z, z + classes) - z == labels[r];
    for (int64_t j = 0; j < classes; ++j) {
      const double want =
          (std::exp(double(z[j])) / sum - (j == labels[r])) / double(rows);
      EXPECT_NEAR(grad[r * classes + j], want, 1e-6) << r << " " << j;
    }
  }
  EXPECT_NEAR(result.lossSum, loss, 1e-5 * std::max(1.0, loss));
  EXPECT_EQ(result.correct, correct);
}

TEST(SoftmaxCrossEntropy, GradientMatchesFiniteDifferences) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const int64_t rows = 4, classes = 6;
  std::vector<float> logits = draw.values(rows * classes, 3.0);
  const std::vector<int32_t> labels = randomLabels(draw, rows, classes);
  std::vector<float> grad(rows * classes);
  softmaxCrossEntropy(logits.data(), labels.data(), rows, classes, grad.data());
  auto meanLoss = [&] {
    return softmaxCrossEntropy(logits.data(), labels.data(), rows, classes,
                               nullptr)
               .lossSum /
           rows;
  };
  const float h = 1e-2f;
  for (size_t i = 0; i < logits.size(); ++i) {
    const float saved = logits[i];
    logits[i] = saved + h;
    const double up = meanLoss();
    logits[i] = saved - h;
    const double down = meanLoss();
    logits[i] = saved;
    EXPECT_NEAR(grad[i], (up - down) / (2 * h), 2e-4) << "logit " << i;
  }
}

TEST(SoftmaxCrossEntropy, StableForHugeLogits) {
  // exp(1e4) overflows; the log-sum-exp must not.
  const std::vector<float> logits = {1e4f, -1e4f, 0.0f, 3e4f, 3e4f, -3e4f};
  const std::vector<int32_t> labels = {0, 1};
  std::vector<float> grad(6);
  const BatchResult result =
      softmaxCrossEntropy(logits.data(), labels.data(), 2, 3, grad.data());
  // Row 0 is sure and right (loss 0); row 1 splits between classes 0 and 1
  // (loss log 2); ties go to the first class, which is wrong for row 1.
  EXPECT_NEAR(result.lossSum, std::log(2.0), 1e-6);
  EXPECT_EQ(result.correct, 1);
  for (float g : grad)
    EXPECT_TRUE(std::isfinite(g));
  EXPECT_NEAR(grad[3], 0.25, 1e-7);
  EXPECT_NEAR(grad[4], -0.25, 1e-7);
}

//===----------------------------------------------------------------------===//
// Dense layers, activations, whole nets
//===----------------------------------------------------------------------===//

TEST(DenseNet, BackwardMatchesPlainReference) {
  REQUIRE_BLAS(blas);
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const int64_t rows = draw(1, 40), in = draw(1, 50), out = draw(2, 20);
  const NetSpec spec = makeNet(in, out, {linear(ModuleKind::Dense, "fc", out)});
  std::unique_ptr<Net> net = buildDense(spec, blas);
  const std::vector<float> x = draw.values(rows * in);
  const std::vector<int32_t> labels = randomLabels(draw, rows, out);
  net->forward(x.data(), labels.data(), rows);
  net->backward();
  const TensorMap tensors = net->tensors();
  const std::vector<float> &w = tensors.at("fc.weight").data;
  const std::vector<float> &b = tensors.at("fc.bias").data;

  // The same in fp64, plainly: logits, softmax, (p − onehot)/rows, then
  // dW = dlᵀ·x and db = Σ dl.
  std::vector<double> dw(out * in, 0.0), db(out, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> z(out);
    double max = -INFINITY, sum = 0.0;
    for (int64_t o = 0; o < out; ++o) {
      z[o] = b[o];
      for (int64_t i = 0; i < in; ++i)
        z[o] += double(x[r * in + i]) * w[o * in + i];
      max = std::max(max, z[o]);
    }
    for (int64_t o = 0; o < out; ++o)
      sum += std::exp(z[o] - max);
    for (int64_t o = 0; o < out; ++o) {
      const double d = (std::exp(z[o] - max) / sum - (o == labels[r])) / rows;
      db[o] += d;
      for (int64_t i = 0; i < in; ++i)
        dw[o * in + i] += d * x[r * in + i];
    }
  }
  for (const Parameter &param : net->parameters()) {
    std::vector<float> grad(param.grad, param.grad + param.size);
    const std::vector<double> &want = param.name == "fc.weight" ? dw : db;
    EXPECT_LT(normwiseError(grad, want), 1e-5) << param.name;
    EXPECT_EQ(param.decay, param.name == "fc.weight") << param.name;
  }
}

/// Central differences of the mean loss against each parameter's gradient,
/// at `checks` random entries per parameter.
void checkGradients(Net &net, RandomDraws &draw, int64_t rows, int checks) {
  const NetSpec &spec = net.spec();
  const std::vector<float> x = draw.values(rows * spec.data.features);
  const std::vector<int32_t> labels =
      randomLabels(draw, rows, spec.data.classes);
  net.forward(x.data(), labels.data(), rows);
  net.backward();
  std::vector<Parameter> params = net.parameters();
  // The gradients, before the forwards below move anything.
  std::vector<std::vector<float>> grads;
  for (const Parameter &param : params)
    grads.emplace_back(param.grad, param.grad + param.size);
  auto meanLoss = [&] {
    std::string error;
    EXPECT_TRUE(net.parametersChanged(error)) << error;
    return net.forward(x.data(), labels.data(), rows).lossSum / rows;
  };
  const float h = 1e-2f;
  for (size_t p = 0; p < params.size(); ++p) {
    for (int c = 0; c < checks; ++c) {
      const int64_t i = draw(0, params[p].size - 1);
      const double numeric = centralDifference(params[p].value[i], h, meanLoss);
      EXPECT_NEAR(grads[p][i], numeric, 2e-3 + 2e-2 * std::abs(numeric))
          << params[p].name << "[" << i << "]";
    }
  }
  std::string error;
  EXPECT_TRUE(net.parametersChanged(error)) << error;
}

// GELU, not ReLU: central differences across ReLU's kink are wrong. ReLU's
// backward is checked in Activations.GeluAndReluMatchTheirFormulas.
TEST(DenseNet, GradientsMatchFiniteDifferences) {
  REQUIRE_BLAS(blas);
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const NetSpec spec = makeNet(
      13, 5,
      {linear(ModuleKind::Dense, "fc1", 16), activation(ModuleKind::Gelu),
       linear(ModuleKind::Dense, "fc2", 16, false),
       activation(ModuleKind::Gelu), linear(ModuleKind::Dense, "fc3", 5)});
  std::unique_ptr<Net> net = buildDense(spec, blas, draw(0, 1000));
  checkGradients(*net, draw, 7, 6);
}

TEST(DenseNet, InitialisesLikeNnLinear) {
  REQUIRE_BLAS(blas);
  const NetSpec spec = makeNet(100, 10, {linear(ModuleKind::Dense, "fc", 10)});
  std::unique_ptr<Net> a = buildDense(spec, blas, 7),
                       b = buildDense(spec, blas, 7),
                       c = buildDense(spec, blas, 8);
  const TensorMap ta = a->tensors(), tb = b->tensors(), tc = c->tensors();
  EXPECT_TRUE(sameBits(ta.at("fc.weight"), tb.at("fc.weight")));
  EXPECT_FALSE(sameBits(ta.at("fc.weight"), tc.at("fc.weight")));
  // kaiming_uniform_(a=√5) and the bias: both within ±1/√in.
  for (const char *name : {"fc.weight", "fc.bias"}) {
    float max = 0.0f;
    for (float v : ta.at(name).data)
      max = std::max(max, std::abs(v));
    EXPECT_LE(max, 0.1f) << name;
    EXPECT_GT(max, 0.09f) << name;
  }
  EXPECT_EQ(a->parameterCount(), 1010);
}

TEST(Activations, GeluAndReluMatchTheirFormulas) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const NetSpec spec = makeNet(64, 64, {activation(ModuleKind::Gelu)});
  std::string error;
  for (ModuleKind kind : {ModuleKind::Gelu, ModuleKind::Relu}) {
    NetSpec one = spec;
    one.modules[0].kind = kind;
    std::unique_ptr<Net> net = Net::create(one, nullptr, nullptr, 2, 0, error);
    ASSERT_TRUE(net) << error;
    Module &module = *net->modules()[0];
    const std::vector<float> x = draw.values(64 * 3, 4.0);
    const std::vector<float> dy = draw.values(64 * 3);
    std::vector<float> y(x.size()), dx(x.size());
    module.forward(x.data(), 3, y.data());
    module.backward(x.data(), y.data(), dy.data(), 3, dx.data());
    for (size_t i = 0; i < x.size(); ++i) {
      const double v = x[i];
      const double cdf = 0.5 * (1.0 + std::erf(v / std::sqrt(2.0)));
      const double pdf = std::exp(-0.5 * v * v) / std::sqrt(2.0 * M_PI);
      const double want = kind == ModuleKind::Gelu ? v * cdf : std::max(v, 0.0);
      const double slope =
          kind == ModuleKind::Gelu ? cdf + v * pdf : (v > 0.0 ? 1.0 : 0.0);
      EXPECT_NEAR(y[i], want, 1e-6 * std::max(1.0, std::abs(want)));
      EXPECT_NEAR(dx[i], dy[i] * slope, 1e-6);
    }
  }
}

//===----------------------------------------------------------------------===//
// Optimizers and schedules
//===----------------------------------------------------------------------===//

/// Two parameters: `w` (weight decay applies) and `b` (it does not).
struct Toy {
  std::vector<float> w = {0.5f, -1.0f, 2.0f}, b = {0.25f, -0.75f};
  std::vector<float> gw = {0.1f, -0.2f, 0.3f}, gb = {-0.5f, 0.05f};
  std::vector<Parameter> params() {
    return {{"w", {3}, w.data(), gw.data(), 3, true},
            {"b", {2}, b.data(), gb.data(), 2, false}};
  }
};

TEST(Optimizer, SgdMatchesHandComputedSteps) {
  OptimizerSpec spec;
  spec.kind = OptimizerKind::Sgd;
  spec.lr = 0.1;
  spec.momentum = 0.9;
  spec.weightDecay = 0.01;
  Toy toy;
  Optimizer optimizer(spec, toy.params(), 2);
  std::vector<double> w(toy.w.begin(), toy.w.end()),
      b(toy.b.begin(), toy.b.end()), bufW(3, 0.0), bufB(2, 0.0);
  for (int step = 0; step < 3; ++step) {
    // PyTorch: g += wd·w; buf = momentum·buf + g (buf = g at first); w -=
    // lr·buf.
    for (int i = 0; i < 3; ++i) {
      bufW[i] = 0.9 * bufW[i] + (toy.gw[i] + 0.01 * w[i]);
      w[i] -= 0.1 * bufW[i];
    }
    for (int i = 0; i < 2; ++i) {
      bufB[i] = 0.9 * bufB[i] + toy.gb[i];
      b[i] -= 0.1 * bufB[i];
    }
    optimizer.step(0.1, toy.params());
  }
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(toy.w[i], w[i], 1e-6);
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(toy.b[i], b[i], 1e-6);
  EXPECT_EQ(optimizer.steps(), 3);
  const TensorMap state = optimizer.state();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_NEAR(state.at("w.momentum_buffer").data[0], bufW[0], 1e-6);
  EXPECT_NEAR(state.at("b.momentum_buffer").data[1], bufB[1], 1e-6);

  // Without momentum there is nothing to keep.
  spec.momentum = 0.0;
  EXPECT_TRUE(Optimizer(spec, toy.params(), 1).state().empty());
}

TEST(Optimizer, AdamWMatchesHandComputedSteps) {
  OptimizerSpec spec;
  spec.kind = OptimizerKind::AdamW;
  spec.lr = 0.01;
  spec.beta1 = 0.8;
  spec.beta2 = 0.99;
  spec.eps = 1e-3;
  spec.weightDecay = 0.5;
  Toy toy;
  Optimizer optimizer(spec, toy.params(), 2);
  std::vector<double> w(toy.w.begin(), toy.w.end()),
      b(toy.b.begin(), toy.b.end());
  std::vector<double> mw(3, 0.0), vw(3, 0.0), mb(2, 0.0), vb(2, 0.0);
  auto reference = [&](std::vector<double> &p, const std::vector<float> &g,
                       std::vector<double> &m, std::vector<double> &v,
                       bool decay, double lr, int t) {
    for (size_t i = 0; i < p.size(); ++i) {
      if (decay)
        p[i] *= 1.0 - lr * 0.5;
      m[i] = 0.8 * m[i] + 0.2 * g[i];
      v[i] = 0.99 * v[i] + 0.01 * double(g[i]) * g[i];
      const double mHat = m[i] / (1.0 - std::pow(0.8, t));
      const double vHat = v[i] / (1.0 - std::pow(0.99, t));
      p[i] -= lr * mHat / (std::sqrt(vHat) + 1e-3);
    }
  };
  const double rates[] = {0.01, 0.005, 0.02};
  for (int t = 1; t <= 3; ++t) {
    reference(w, toy.gw, mw, vw, true, rates[t - 1], t);
    reference(b, toy.gb, mb, vb, false, rates[t - 1], t);
    optimizer.step(rates[t - 1], toy.params());
  }
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(toy.w[i], w[i], 1e-6) << i;
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(toy.b[i], b[i], 1e-6) << i;
  const TensorMap state = optimizer.state();
  EXPECT_EQ(state.size(), 4u);
  EXPECT_NEAR(state.at("w.exp_avg").data[2], mw[2], 1e-7);
  EXPECT_NEAR(state.at("b.exp_avg_sq").data[0], vb[0], 1e-7);

  // The state goes back in as it came out, checked.
  Optimizer copy(spec, toy.params(), 1);
  std::string error;
  ASSERT_TRUE(copy.setState(state, 3, error)) << error;
  EXPECT_EQ(copy.steps(), 3);
  TensorMap wrong = state;
  wrong.at("w.exp_avg").shape = {4};
  EXPECT_FALSE(copy.setState(wrong, 3, error));
  EXPECT_EQ(error, "optimizer state 'w.exp_avg' has shape [4] (expected [3])");
  wrong = state;
  wrong.erase("b.exp_avg");
  EXPECT_FALSE(copy.setState(wrong, 3, error));
  EXPECT_EQ(error, "no optimizer state 'b.exp_avg' (expected [2])");
}

TEST(LearningRate, WarmupThenSchedule) {
  TrainSpec train;
  train.optimizer.lr = 0.1;
  // 10 steps per epoch, 4 epochs, one epoch of warm-up.
  train.schedule.warmupEpochs = 1.0;
  train.schedule.kind = ScheduleKind::Constant;
  EXPECT_DOUBLE_EQ(learningRate(train, 0, 10, 4), 0.01);
  EXPECT_DOUBLE_EQ(learningRate(train, 4, 10, 4), 0.05);
  EXPECT_DOUBLE_EQ(learningRate(train, 9, 10, 4), 0.1);
  EXPECT_DOUBLE_EQ(learningRate(train, 39, 10, 4), 0.1);

  train.schedule.kind = ScheduleKind::Cosine;
  train.schedule.finalFraction = 0.1;
  // After the warm-up: 30 steps from lr down towards 0.1·lr.
  EXPECT_DOUBLE_EQ(learningRate(train, 10, 10, 4), 0.1);
  EXPECT_NEAR(learningRate(train, 25, 10, 4), 0.1 * (0.1 + 0.9 * 0.5), 1e-12);
  EXPECT_NEAR(learningRate(train, 39, 10, 4),
              0.1 * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 29 / 30))), 1e-12);

  train.schedule.kind = ScheduleKind::Step;
  train.schedule.warmupEpochs = 0.0;
  train.schedule.everyEpochs = 2.0;
  train.schedule.factor = 0.5;
  EXPECT_DOUBLE_EQ(learningRate(train, 0, 10, 6), 0.1);
  EXPECT_DOUBLE_EQ(learningRate(train, 19, 10, 6), 0.1);
  EXPECT_DOUBLE_EQ(learningRate(train, 20, 10, 6), 0.05);
  EXPECT_DOUBLE_EQ(learningRate(train, 59, 10, 6), 0.025);
}

//===----------------------------------------------------------------------===//
// Shuffling and metrics
//===----------------------------------------------------------------------===//

TEST(Shuffle, IsADeterministicPermutationPerEpoch) {
  const std::vector<int64_t> a = shuffledOrder(1000, 42, 3);
  EXPECT_EQ(a, shuffledOrder(1000, 42, 3));
  EXPECT_NE(a, shuffledOrder(1000, 42, 4));
  EXPECT_NE(a, shuffledOrder(1000, 43, 3));
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_TRUE(shuffledOrder(0, 1, 0).empty());
  EXPECT_EQ(shuffledOrder(1, 1, 0), std::vector<int64_t>{0});
}

TEST(Shuffle, SameOrderOnEveryPlatform) {
  // splitmix64 and integer arithmetic only: these values hold everywhere.
  EXPECT_EQ(shuffledOrder(10, 1, 0),
            (std::vector<int64_t>{4, 6, 5, 8, 3, 0, 7, 9, 1, 2}));
}

TEST(Metrics, RowsReadBack) {
  EpochMetrics m;
  m.epoch = 3;
  m.step = 705;
  m.trainLoss = 0.25;
  m.trainAccuracy = 0.875;
  m.testLoss = 0.5;
  m.testAccuracy = 0.75;
  m.seconds = 2.5;
  m.examplesPerSecond = 24000;
  m.lr = 1e-3;
  const std::string row = metricsRow(m);
  EXPECT_EQ(row, "3,705,0.250000,0.875000,0.500000,0.750000,2.500,24000.0,"
                 "0.001");
  EpochMetrics back;
  ASSERT_TRUE(readMetricsRow(row, back));
  EXPECT_EQ(metricsRow(back), row);
  EXPECT_FALSE(readMetricsRow("3,705,0.25", back));
  EXPECT_FALSE(readMetricsRow(row + ",1", back));
}

} // namespace
} // namespace pfc
