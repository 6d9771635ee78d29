//===- Net.cpp - A net's forward and backward over a batch, and its loss --===//
#include "pfc/Train/Net.h"

#include "Modules.h"
#include "Random.h"

#include "pfc/Runtime/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace pfc {

namespace {
/// Elementwise loops shorter than this run on the calling thread: waking
/// the pool costs more than the loop.
constexpr int64_t kParallelGrain = 1 << 15;
} // namespace

void parallelFor(int64_t count, int64_t threads,
                 const std::function<void(int64_t, int64_t)> &body) {
  const int64_t parts =
      std::clamp<int64_t>(std::min(threads, count / kParallelGrain), 1,
                          ThreadPool::shared().size());
  if (parts == 1) {
    body(0, count);
    return;
  }
  // Part boundaries on multiples of 16 floats (a cache line): no two
  // threads write one line.
  const int64_t units = (count + 15) / 16;
  ThreadPool::shared().run(parts, [&](int64_t i) {
    const int64_t begin = std::min(count, units * i / parts * 16);
    const int64_t end = std::min(count, units * (i + 1) / parts * 16);
    if (begin < end)
      body(begin, end);
  });
}

BatchResult softmaxCrossEntropy(const float *logits, const int32_t *labels,
                                int64_t rows, int64_t classes, float *dlogits) {
  BatchResult result;
  const float scale = 1.0f / static_cast<float>(rows);
  std::vector<float> exps(static_cast<size_t>(classes));
  for (int64_t r = 0; r < rows; ++r) {
    const float *z = logits + r * classes;
    const int64_t label = labels[r];
    int64_t best = 0;
    for (int64_t j = 1; j < classes; ++j)
      if (z[j] > z[best])
        best = j;
    result.correct += best == label;
    // log Σ exp(z) = max + log Σ exp(z − max): no overflow, and the largest
    // term is exactly 1.
    const float max = z[best];
    double sum = 0.0;
    for (int64_t j = 0; j < classes; ++j) {
      exps[j] = std::exp(z[j] - max);
      sum += exps[j];
    }
    const double logSumExp = static_cast<double>(max) + std::log(sum);
    result.lossSum += logSumExp - static_cast<double>(z[label]);
    if (!dlogits)
      continue;
    float *d = dlogits + r * classes;
    const float norm = static_cast<float>(1.0 / sum) * scale;
    for (int64_t j = 0; j < classes; ++j)
      d[j] = exps[j] * norm;
    d[label] -= scale;
  }
  return result;
}

std::unique_ptr<Net> Net::create(const NetSpec &spec,
                                 const LayerCompiler &compile, const Blas *blas,
                                 int64_t threads, uint64_t seed,
                                 std::string &error) {
  std::unique_ptr<Net> net(new Net());
  net->netSpec = spec;
  net->threadCount = std::max<int64_t>(1, threads);
  for (size_t i = 0; i < spec.modules.size(); ++i) {
    const NetModule &module = spec.modules[i];
    // One stream per module: a layer's initial weights do not change when
    // another layer does.
    const uint64_t moduleSeed = streamSeed(seed, i + 1);
    std::unique_ptr<Module> built;
    switch (module.kind) {
    case ModuleKind::Dense:
      if (!blas) {
        error = "dense layer '" + module.layer.name + "' needs OpenBLAS";
        return nullptr;
      }
      built = makeDenseModule(module, *blas, moduleSeed);
      break;
    case ModuleKind::Pixelfly: {
      std::unique_ptr<Layer> layer = compile(module.layer, error);
      if (!layer) {
        error = "cannot compile Pixelfly layer '" + module.layer.name +
                "': " + error;
        return nullptr;
      }
      built = makePixelflyModule(module, std::move(layer), moduleSeed, error);
      if (!built)
        return nullptr;
      break;
    }
    case ModuleKind::Relu:
    case ModuleKind::Gelu:
      built = makeActivationModule(module, net->threadCount);
      break;
    }
    net->stages.push_back(std::move(built));
  }
  net->outputs.resize(net->stages.size());
  return net;
}

float *Net::buffer(std::vector<float> &storage, size_t size) {
  if (storage.size() < size)
    storage.resize(size);
  return storage.data();
}

BatchResult Net::forward(const float *x, const int32_t *labels, int64_t rows) {
  input = x;
  batchRows = rows;
  const float *current = x;
  for (size_t i = 0; i < stages.size(); ++i) {
    float *y = buffer(outputs[i], rows * stages[i]->outFeatures());
    stages[i]->forward(current, rows, y);
    current = y;
  }
  const int64_t classes = netSpec.data.classes;
  return softmaxCrossEntropy(current, labels, rows, classes,
                             buffer(gradient[0], rows * classes));
}

void Net::backward() {
  const int64_t rows = batchRows;
  int current = 0; // gradient[current] holds d(loss)/d(the module's output)
  for (size_t i = stages.size(); i-- > 0;) {
    const float *x = i > 0 ? outputs[i - 1].data() : input;
    // The first module's dx is d(loss)/d(data): nobody needs it.
    float *dx =
        i > 0 ? buffer(gradient[1 - current], rows * stages[i]->inFeatures())
              : nullptr;
    stages[i]->backward(x, outputs[i].data(), gradient[current].data(), rows,
                        dx);
    current = 1 - current;
  }
}

std::vector<Parameter> Net::parameters() {
  std::vector<Parameter> all;
  for (const std::unique_ptr<Module> &module : stages)
    for (Parameter &param : module->parameters())
      all.push_back(std::move(param));
  return all;
}

bool Net::parametersChanged(std::string &error) {
  for (const std::unique_ptr<Module> &module : stages)
    if (!module->parametersChanged(error))
      return false;
  return true;
}

int64_t Net::parameterCount() const {
  int64_t count = 0;
  for (const std::unique_ptr<Module> &module : stages)
    count += module->parameterCount();
  return count;
}

TensorMap Net::tensors() const {
  TensorMap all;
  for (const std::unique_ptr<Module> &module : stages)
    all.merge(module->tensors());
  return all;
}

bool Net::setTensors(const TensorMap &tensors, std::string &error) {
  std::set<std::string> known;
  for (const auto &[name, tensor] : this->tensors())
    known.insert(name);
  for (const auto &[name, tensor] : tensors)
    if (!known.count(name)) {
      error = "unknown tensor '" + name + "' (expected the tensors of net '" +
              netSpec.name + "')";
      return false;
    }
  for (const std::unique_ptr<Module> &module : stages)
    if (!module->setTensors(tensors, error))
      return false;
  return parametersChanged(error);
}

} // namespace pfc
