//===- Net.h - A small network of layers, trained on batches ----*- C++ -*-===//
//
// The modules of a net spec (pfc/Spec/NetSpec.h) with their parameters and
// gradients: Pixelfly layers run their compiled kernels (pfc::Layer), dense
// layers OpenBLAS sgemm, activations and the softmax cross-entropy loss plain
// loops. A batch's forward keeps every module's output for the backward.
// Free of LLVM and MLIR: Pixelfly layers are compiled by the caller (for
// example with pfc::compileLayer from pfc/Target/Jit.h) and handed in.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TRAIN_NET_H
#define PFC_TRAIN_NET_H

#include "pfc/Runtime/Blas.h"
#include "pfc/Runtime/Layer.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/NetSpec.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pfc {

/// One trainable tensor of a module, and its gradient.
struct Parameter {
  std::string name; ///< "<module>.<tensor>": fc1.blocks, fc3.weight, ...
  std::vector<int64_t> shape;
  float *value = nullptr;
  float *grad = nullptr;
  int64_t size = 0;
  /// Whether weight decay applies: to weights, not to biases or γ.
  bool decay = true;
};

/// One stage of a net: a linear layer or an activation.
class Module {
public:
  virtual ~Module();

  const NetModule &spec() const { return moduleSpec; }
  const std::string &name() const { return moduleSpec.layer.name; }
  int64_t inFeatures() const { return moduleSpec.layer.inFeatures; }
  int64_t outFeatures() const { return moduleSpec.layer.outFeatures; }

  /// y [rows, out] = the module applied to x [rows, in].
  virtual void forward(const float *x, int64_t rows, float *y) = 0;
  /// Given the forward's x and y and dy = d(loss)/dy: dx = d(loss)/dx
  /// (skipped when null) and every parameter's gradient, summed over the
  /// rows and overwritten.
  virtual void backward(const float *x, const float *y, const float *dy,
                        int64_t rows, float *dx) = 0;
  /// The trainable tensors. Value pointers stay valid for the module's life;
  /// gradient pointers until the next backward (a Pixelfly layer's backward
  /// may hand back new buffers), so callers ask again after each.
  virtual std::vector<Parameter> parameters() { return {}; }
  /// Called after the parameters' values changed (an optimizer step, a
  /// checkpoint): a Pixelfly layer clamps γ to [0, 1] and re-packs.
  virtual bool parametersChanged(std::string &error) { return true; }
  /// The module's parameters as named tensors (`<name>.<tensor>`), in the
  /// layout `pfc init` writes for a Pixelfly layer; empty for activations.
  virtual TensorMap tensors() const { return {}; }
  /// Sets the parameters from `tensors`, which must hold exactly tensors()'s
  /// names and shapes (others are ignored); on failure sets `error` to
  /// `<what> (expected <what>)`.
  virtual bool setTensors(const TensorMap &tensors, std::string &error) {
    return true;
  }
  /// Parameters as `pfc plan` counts them (no padding).
  virtual int64_t parameterCount() const { return 0; }

protected:
  explicit Module(NetModule spec) : moduleSpec(std::move(spec)) {}
  NetModule moduleSpec;
};

/// Compiles a Pixelfly layer for the net, or sets `error`.
using LayerCompiler = std::function<std::unique_ptr<Layer>(
    const LayerSpec &spec, std::string &error)>;

/// What one batch gave: the loss summed over its rows and how many rows the
/// top-scoring class got right.
struct BatchResult {
  double lossSum = 0.0;
  int64_t correct = 0;
};

class Net {
public:
  /// Builds `spec`'s modules, parameters drawn from `seed`: a Pixelfly
  /// layer with initParams (compiled by `compile`), a dense one as PyTorch's
  /// nn.Linear (Kaiming-uniform, a = √5; bias ±1/√in), each from its own
  /// stream. `blas` runs the dense layers (it may be null for a net without
  /// one) and must outlive the net; `threads` splits elementwise work.
  static std::unique_ptr<Net> create(const NetSpec &spec,
                                     const LayerCompiler &compile,
                                     const Blas *blas, int64_t threads,
                                     uint64_t seed, std::string &error);

  const NetSpec &spec() const { return netSpec; }
  const std::vector<std::unique_ptr<Module>> &modules() const { return stages; }
  int64_t threads() const { return threadCount; }

  /// Runs x [rows, features] through the modules and scores the result
  /// against `labels` (each in [0, classes)); keeps what backward needs.
  BatchResult forward(const float *x, const int32_t *labels, int64_t rows);
  /// The gradients of the mean loss of the last forward's batch.
  void backward();

  /// Every trainable tensor, modules in order (see Module::parameters).
  std::vector<Parameter> parameters();
  /// Tells the modules that parameters changed (see Module).
  bool parametersChanged(std::string &error);
  /// Parameters as `pfc plan` counts them.
  int64_t parameterCount() const;

  /// Every module's tensors (Module::tensors), in one map.
  TensorMap tensors() const;
  /// Sets every module's parameters from `tensors`; on failure sets `error`.
  bool setTensors(const TensorMap &tensors, std::string &error);

private:
  Net() = default;
  float *buffer(std::vector<float> &storage, size_t size);

  NetSpec netSpec;
  std::vector<std::unique_ptr<Module>> stages;
  int64_t threadCount = 1;
  /// The last forward's batch: x, each module's output, the loss gradient.
  const float *input = nullptr;
  int64_t batchRows = 0;
  std::vector<std::vector<float>> outputs;
  std::vector<float> gradient[2];
};

/// Runs body(begin, end) over [0, count) split into up to `threads` parts
/// on the shared pool (ThreadPool::shared); small counts run on the caller.
void parallelFor(int64_t count, int64_t threads,
                 const std::function<void(int64_t, int64_t)> &body);

/// The softmax cross-entropy of logits [rows, classes] against labels, with
/// a numerically stable log-sum-exp: returns the loss summed over the rows
/// and the number of rows whose largest logit is at their label (the first,
/// on ties), and, when `dlogits` is not null, sets it to d(mean loss)/d
/// logits = (softmax − onehot) / rows.
BatchResult softmaxCrossEntropy(const float *logits, const int32_t *labels,
                                int64_t rows, int64_t classes, float *dlogits);

} // namespace pfc

#endif // PFC_TRAIN_NET_H
