//===- Trainer.cpp - Epochs of shuffled mini-batches, metrics -------------===//
#include "pfc/Train/Trainer.h"

#include "Random.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pfc {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The shuffle's stream: unrelated to the streams initialisation draws from.
constexpr uint64_t kShuffleStream = 0x73687566666c65ull; // "shuffle"

} // namespace

std::string metricsHeader() {
  return "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,"
         "seconds,examples_per_second,lr";
}

std::string metricsRow(const EpochMetrics &m) {
  char text[256];
  std::snprintf(text, sizeof(text),
                "%" PRId64 ",%" PRId64 ",%.6f,%.6f,%.6f,%.6f,%.3f,%.1f,%.6g",
                m.epoch, m.step, m.trainLoss, m.trainAccuracy, m.testLoss,
                m.testAccuracy, m.seconds, m.examplesPerSecond, m.lr);
  return text;
}

bool readMetricsRow(const std::string &row, EpochMetrics &m) {
  double values[9];
  const char *p = row.c_str();
  for (int i = 0; i < 9; ++i) {
    char *end = nullptr;
    values[i] = std::strtod(p, &end);
    if (end == p || (i < 8 ? *end != ',' : *end != '\0'))
      return false;
    p = end + 1;
  }
  m.epoch = static_cast<int64_t>(values[0]);
  m.step = static_cast<int64_t>(values[1]);
  m.trainLoss = values[2];
  m.trainAccuracy = values[3];
  m.testLoss = values[4];
  m.testAccuracy = values[5];
  m.seconds = values[6];
  m.examplesPerSecond = values[7];
  m.lr = values[8];
  return true;
}

std::vector<int64_t> shuffledOrder(int64_t count, uint64_t seed,
                                   int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(0, count)));
  for (int64_t i = 0; i < count; ++i)
    order[i] = i;
  SplitMix64 random(streamSeed(streamSeed(seed, kShuffleStream),
                               static_cast<uint64_t>(epoch)));
  for (int64_t i = count - 1; i > 0; --i)
    std::swap(order[i], order[random.below(static_cast<uint64_t>(i) + 1)]);
  return order;
}

Trainer::Trainer(Net &net, const Dataset &train, const Dataset &test,
                 int64_t epochs)
    : net(net),
      optimizer(net.spec().train.optimizer, net.parameters(), net.threads()),
      trainSet(train), testSet(test), totalEpochs(epochs) {}

int64_t Trainer::stepsPerEpoch() const {
  const int64_t batch = net.spec().train.batch;
  return (trainSet.count + batch - 1) / batch;
}

/// The index of the first value of `values` that is not finite, or -1.
static int64_t firstNonFinite(const float *values, int64_t size) {
  // x·0 is 0 for every finite x and NaN otherwise: one vectorizable pass.
  float probe = 0.0f;
  for (int64_t i = 0; i < size; ++i)
    probe += values[i] * 0.0f;
  if (probe == 0.0f)
    return -1;
  for (int64_t i = 0; i < size; ++i)
    if (!std::isfinite(values[i]))
      return i;
  return -1;
}

void Trainer::checkFinite(double lossSum) {
  auto fail = [&](const std::string &what) {
    failureText = "step " + std::to_string(stepCount + 1) + " (epoch " +
                  std::to_string(completed + 1) + "): " + what +
                  " is not finite (training diverged: lower the learning "
                  "rate, or resume from the last checkpoint with another "
                  "setup)";
  };
  if (!std::isfinite(lossSum)) {
    fail("the loss");
    return;
  }
  for (const Parameter &p : net.parameters())
    if (int64_t at = firstNonFinite(p.value, p.size); at >= 0) {
      char value[32];
      std::snprintf(value, sizeof(value), "%g", p.value[at]);
      fail("parameter " + p.name + " (value " + value + " at index " +
           std::to_string(at) + ")");
      return;
    }
}

BatchResult Trainer::step(const float *x, const int32_t *labels, int64_t rows,
                          StepTimes *times) {
  if (failed())
    return BatchResult();
  const double lr =
      learningRate(net.spec().train, stepCount, stepsPerEpoch(), totalEpochs);
  Clock::time_point start = Clock::now();
  BatchResult result = net.forward(x, labels, rows);
  Clock::time_point forwardEnd = Clock::now();
  net.backward();
  Clock::time_point backwardEnd = Clock::now();
  optimizer.step(lr, net.parameters());
  std::string error;
  if (!net.parametersChanged(error)) {
    // The shapes never change: a failure here is a bug, not bad input.
    std::fprintf(stderr, "pfc: internal error after an update: %s\n",
                 error.c_str());
    std::abort();
  }
  checkFinite(result.lossSum);
  if (failed())
    return result;
  if (times) {
    using Seconds = std::chrono::duration<double>;
    times->forward += Seconds(forwardEnd - start).count();
    times->backward += Seconds(backwardEnd - forwardEnd).count();
    times->update += secondsSince(backwardEnd);
    ++times->steps;
  }
  ++stepCount;
  return result;
}

EpochMetrics
Trainer::runEpoch(const std::function<void(const StepProgress &)> &progress) {
  const NetSpec &spec = net.spec();
  const int64_t batch = spec.train.batch, features = trainSet.features;
  const int64_t steps = stepsPerEpoch();
  const std::vector<int64_t> order =
      shuffledOrder(trainSet.count, spec.train.seed, completed);
  batchInputs.resize(static_cast<size_t>(batch * features));
  batchLabels.resize(static_cast<size_t>(batch));

  EpochMetrics metrics;
  metrics.epoch = completed + 1;
  epochTimes = StepTimes();
  double lossSum = 0.0;
  int64_t correct = 0, seen = 0;
  const Clock::time_point start = Clock::now();
  for (int64_t s = 0; s < steps && !failed(); ++s) {
    const int64_t first = s * batch;
    const int64_t rows = std::min(batch, trainSet.count - first);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t example = order[first + r];
      std::memcpy(&batchInputs[r * features],
                  &trainSet.inputs[example * features],
                  sizeof(float) * features);
      batchLabels[r] = trainSet.labels[example];
    }
    metrics.lr = learningRate(spec.train, stepCount, steps, totalEpochs);
    const BatchResult result =
        step(batchInputs.data(), batchLabels.data(), rows, &epochTimes);
    lossSum += result.lossSum;
    correct += result.correct;
    seen += rows;
    if (progress) {
      StepProgress now;
      now.epoch = metrics.epoch;
      now.step = s + 1;
      now.steps = steps;
      now.loss = lossSum / static_cast<double>(seen);
      now.examplesPerSecond = static_cast<double>(seen) / secondsSince(start);
      now.lr = metrics.lr;
      progress(now);
    }
  }
  if (failed())
    return metrics;
  metrics.seconds = secondsSince(start);
  metrics.step = stepCount;
  metrics.trainLoss = seen ? lossSum / static_cast<double>(seen) : 0.0;
  metrics.trainAccuracy =
      seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
  metrics.examplesPerSecond =
      metrics.seconds > 0.0 ? static_cast<double>(seen) / metrics.seconds : 0.0;
  evaluate(testSet, metrics.testLoss, metrics.testAccuracy);
  ++completed;
  rows.push_back(metricsRow(metrics));
  return metrics;
}

void Trainer::evaluate(const Dataset &data, double &loss, double &accuracy) {
  const int64_t batch = net.spec().train.batch;
  double lossSum = 0.0;
  int64_t correct = 0;
  for (int64_t first = 0; first < data.count; first += batch) {
    const int64_t rows = std::min(batch, data.count - first);
    const BatchResult result = net.forward(&data.inputs[first * data.features],
                                           &data.labels[first], rows);
    lossSum += result.lossSum;
    correct += result.correct;
  }
  const double count = static_cast<double>(std::max<int64_t>(1, data.count));
  loss = lossSum / count;
  accuracy = static_cast<double>(correct) / count;
}

std::string Trainer::netHash() const {
  return hashText(describeNet(net.spec()));
}

std::string Trainer::trainHash() const {
  return hashText(describeTraining(net.spec()) + "examples " +
                  std::to_string(trainSet.count) + " test " +
                  std::to_string(testSet.count) + "\n");
}

} // namespace pfc
