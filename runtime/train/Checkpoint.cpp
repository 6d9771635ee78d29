//===- Checkpoint.cpp - Saving and resuming a training run ----------------===//
//
// A checkpoint is a safetensors file: the net's tensors under their own names
// (`fc1.blocks`, `fc3.weight`, ...), the optimizer's state under
// `optimizer.<parameter>.<state>`, and metadata: the net's name and hashes
// (a checkpoint of another net, or of another training setup, is refused),
// the epochs done and planned, the step counts, the thread count, and the
// metrics.csv rows so far.
//
//===----------------------------------------------------------------------===//
#include "pfc/Train/Trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace pfc {

namespace {

constexpr const char *kFormat = "pfc.checkpoint";
// Version 2 added pfc.checksum.
constexpr const char *kFormatVersion = "2";
constexpr const char *kChecksum = "pfc.checksum";
constexpr const char *kOptimizerPrefix = "optimizer.";

/// Reads metadata `key` as a non-negative integer.
bool readCount(const TensorMetadata &metadata, const std::string &key,
               int64_t &value) {
  auto it = metadata.find(key);
  if (it == metadata.end() || it->second.empty() ||
      it->second.find_first_not_of("0123456789") != std::string::npos ||
      it->second.size() > 18)
    return false;
  value = std::strtoll(it->second.c_str(), nullptr, 10);
  return true;
}

} // namespace

std::string checkpointChecksum(const TensorMap &tensors) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto add = [&](const void *data, size_t size) {
    const unsigned char *bytes = static_cast<const unsigned char *>(data);
    for (size_t i = 0; i < size; ++i)
      hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
  };
  for (const auto &[name, tensor] : tensors) {
    add(name.data(), name.size() + 1);
    add(tensor.shape.data(), tensor.shape.size() * sizeof(int64_t));
    add(tensor.data.data(), tensor.data.size() * sizeof(float));
  }
  char digits[17];
  std::snprintf(digits, sizeof(digits), "%016llx",
                static_cast<unsigned long long>(hash));
  return digits;
}

namespace {

std::string joinRows(const std::vector<std::string> &rows) {
  std::string text;
  for (const std::string &row : rows)
    text += row + "\n";
  return text;
}

} // namespace

bool Trainer::saveCheckpoint(const std::string &path,
                             std::string &error) const {
  TensorMap tensors = net.tensors();
  for (auto &[name, tensor] : optimizer.state())
    tensors.emplace(kOptimizerPrefix + name, std::move(tensor));
  const TensorMetadata metadata = {
      {kFormat, kFormatVersion},
      {"pfc.net", net.spec().name},
      {"pfc.net_hash", netHash()},
      {"pfc.train_hash", trainHash()},
      {"pfc.epoch", std::to_string(completed)},
      {"pfc.epochs", std::to_string(totalEpochs)},
      {"pfc.step", std::to_string(stepCount)},
      {"pfc.optimizer_steps", std::to_string(optimizer.steps())},
      {"pfc.threads", std::to_string(net.threads())},
      {"pfc.metrics", metricsHeader() + "\n" + joinRows(rows)},
      {kChecksum, checkpointChecksum(tensors)}};
  return writeSafetensors(path, tensors, metadata, error);
}

bool Trainer::loadCheckpoint(const std::string &path, std::string &error,
                             std::string *warning) {
  TensorMap tensors;
  TensorMetadata metadata;
  if (!readSafetensors(path, tensors, metadata, error))
    return false;
  auto fail = [&](const std::string &message) {
    error = path + ": error: " + message;
    return false;
  };
  auto value = [&](const std::string &key) {
    auto it = metadata.find(key);
    return it == metadata.end() ? std::string() : it->second;
  };
  if (value(kFormat) != kFormatVersion)
    return fail("not a pfc training checkpoint (expected a file written by "
                "pfc train, with metadata " +
                std::string(kFormat) + " = " + kFormatVersion + ")");
  if (value(kChecksum) != checkpointChecksum(tensors))
    return fail("the checkpoint's tensors do not match their checksum (" +
                std::string(kChecksum) +
                "): the file is damaged (expected the bytes pfc train "
                "wrote)");
  for (const auto &[name, tensor] : tensors)
    for (float v : tensor.data)
      if (!std::isfinite(v))
        return fail("tensor '" + name +
                    "' holds a value that is not finite (expected a "
                    "checkpoint of a run that had not diverged)");
  if (value("pfc.net_hash") != netHash())
    return fail("the checkpoint is of net '" + value("pfc.net") + "' (hash " +
                value("pfc.net_hash") + "), not of this net '" +
                net.spec().name + "' (hash " + netHash() +
                ") (expected a checkpoint of a net with the same layers)");
  if (value("pfc.train_hash") != trainHash())
    return fail("the checkpoint was trained with another data set, batch, "
                "seed, loss, optimizer or schedule (expected the training "
                "setup it was written with, so that the run continues "
                "exactly)");
  int64_t epoch = 0, epochs = 0, steps = 0, optimizerSteps = 0;
  if (!readCount(metadata, "pfc.epoch", epoch) ||
      !readCount(metadata, "pfc.epochs", epochs) ||
      !readCount(metadata, "pfc.step", steps) ||
      !readCount(metadata, "pfc.optimizer_steps", optimizerSteps) ||
      epochs < 1 || epochs > maxEpochs || epoch > epochs ||
      steps != epoch * stepsPerEpoch() || optimizerSteps != steps)
    return fail("the checkpoint's counters are damaged (expected pfc.epoch, "
                "pfc.epochs, pfc.step and pfc.optimizer_steps that agree, "
                "with at most " +
                std::to_string(maxEpochs) + " epochs)");
  // The rows of metrics.csv, after its header.
  std::vector<std::string> history;
  const std::string text = value("pfc.metrics");
  size_t start = text.find('\n');
  if (start == std::string::npos || text.compare(0, start, metricsHeader()))
    return fail("the checkpoint's metrics are damaged (expected metrics.csv "
                "in pfc.metrics)");
  for (++start; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    history.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  EpochMetrics row;
  if (static_cast<int64_t>(history.size()) != epoch ||
      !std::all_of(history.begin(), history.end(), [&](const std::string &r) {
        return readMetricsRow(r, row);
      }))
    return fail("the checkpoint's metrics are damaged (expected one "
                "metrics.csv row per epoch done)");

  TensorMap netTensors, stateTensors;
  for (auto &[name, tensor] : tensors) {
    if (name.compare(0, std::string(kOptimizerPrefix).size(),
                     kOptimizerPrefix) == 0)
      stateTensors.emplace(name.substr(std::string(kOptimizerPrefix).size()),
                           std::move(tensor));
    else
      netTensors.emplace(name, std::move(tensor));
  }
  // All or nothing: a refused checkpoint leaves the net as it was.
  const TensorMap before = net.tensors();
  if (!net.setTensors(netTensors, error) ||
      !optimizer.setState(stateTensors, optimizerSteps, error)) {
    std::string ignored;
    net.setTensors(before, ignored);
    return fail(error);
  }
  completed = epoch;
  totalEpochs = epochs;
  stepCount = steps;
  rows = std::move(history);
  if (warning && value("pfc.threads") != std::to_string(net.threads()))
    *warning = path + ": warning: the checkpoint was written with " +
               value("pfc.threads") + " threads, this run has " +
               std::to_string(net.threads()) +
               "; it continues, but may differ from an uninterrupted run in "
               "the last bits";
  return true;
}

bool Trainer::saveWeights(const std::string &path, std::string &error) const {
  const TensorMetadata metadata = {{"pfc.net", net.spec().name},
                                   {"pfc.net_hash", netHash()},
                                   {"pfc.epoch", std::to_string(completed)}};
  return writeSafetensors(path, net.tensors(), metadata, error);
}

} // namespace pfc
