//===- NetSpec.h - A small network and how to train it ----------*- C++ -*-===//
//
// The validated, in-memory form of a `pfc: 1` net spec: the data it learns
// from, its modules (Pixelfly or dense linear layers, activations), its loss,
// and the training setup (epochs, batch, optimizer, learning-rate schedule).
// Free of LLVM and MLIR so that the runtime can use it.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_SPEC_NETSPEC_H
#define PFC_SPEC_NETSPEC_H

#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pfc {

enum class ModuleKind {
  Pixelfly, ///< a Pixelfly layer (JIT-compiled kernels)
  Dense,    ///< nn.Linear (OpenBLAS sgemm)
  Relu,
  Gelu, ///< the exact form, x·Φ(x)
};

inline constexpr std::pair<std::string_view, ModuleKind> kActivationNames[] = {
    {"relu", ModuleKind::Relu}, {"gelu", ModuleKind::Gelu}};

/// One module of a net. A linear module's name and shape are in `layer`
/// (name, inFeatures, outFeatures, bias); a Pixelfly one uses the rest of
/// the layer spec too. An activation keeps its width in `layer`'s features.
struct NetModule {
  ModuleKind kind = ModuleKind::Dense;
  LayerSpec layer;

  bool isLinear() const {
    return kind == ModuleKind::Pixelfly || kind == ModuleKind::Dense;
  }
};

enum class LossKind { SoftmaxCrossEntropy };

inline constexpr std::pair<std::string_view, LossKind> kLossNames[] = {
    {"softmax_cross_entropy", LossKind::SoftmaxCrossEntropy}};

/// Where the examples come from.
struct DataSpec {
  enum class Kind {
    FashionMnist, ///< 60000 + 10000 images of 28×28, 10 classes
    Synthetic,    ///< a small generated problem, for tests
  };
  Kind kind = Kind::FashionMnist;
  int64_t features = 0; ///< inputs per example
  int64_t classes = 0;
  /// Synthetic data: `count + testCount` examples drawn with `seed`, the
  /// last `testCount` held out for testing.
  int64_t count = 0, testCount = 0;
  uint64_t seed = 0;
};

enum class OptimizerKind { Sgd, AdamW };

/// SGD: PyTorch's, momentum with dampening 0, weight decay added to the
/// gradient. AdamW: PyTorch's, weight decay decoupled (w -= lr·wd·w).
/// Neither decays biases, γ or the gate's bias.
struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::AdamW;
  double lr = 1e-3;
  double momentum = 0.0;             ///< SGD
  double beta1 = 0.9, beta2 = 0.999; ///< AdamW
  double eps = 1e-8;                 ///< AdamW
  double weightDecay = 0.0;
};

enum class ScheduleKind {
  Constant,
  Cosine, ///< from lr down to lr·finalFraction over the steps after warm-up
  Step,   ///< lr·factor^⌊epoch / everyEpochs⌋
};

/// The learning rate per step: a linear warm-up from lr/warmupSteps over
/// `warmupEpochs`, then the schedule.
struct ScheduleSpec {
  ScheduleKind kind = ScheduleKind::Constant;
  double warmupEpochs = 0.0;
  double finalFraction = 0.0; ///< cosine
  double everyEpochs = 1.0;   ///< step
  double factor = 0.1;        ///< step
};

struct TrainSpec {
  int64_t epochs = 1;
  int64_t batch = 64;
  uint64_t seed = 0; ///< initialisation and shuffling
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
};

/// A whole net: the modules run in order on [batch, data.features] inputs;
/// the last one gives data.classes scores per example.
struct NetSpec {
  std::string name;
  DataSpec data;
  std::vector<NetModule> modules;
  LossKind loss = LossKind::SoftmaxCrossEntropy;
  TrainSpec train;
};

std::string_view toString(ModuleKind kind);
std::string_view toString(OptimizerKind kind);
std::string_view toString(ScheduleKind kind);

/// A canonical text of what defines the net's parameters (modules, shapes,
/// patterns, ranks, γ modes, biases, data shape): two nets whose
/// checkpoints are interchangeable have the same text.
std::string describeNet(const NetSpec &net);
/// A canonical text of the training setup except the epoch count (data,
/// batch, seed, loss, optimizer, schedule): a run resumes bit for bit only
/// under the same one.
std::string describeTraining(const NetSpec &net);
/// FNV-1a, 64 bits, as 16 hex digits.
std::string hashText(std::string_view text);

} // namespace pfc

#endif // PFC_SPEC_NETSPEC_H
