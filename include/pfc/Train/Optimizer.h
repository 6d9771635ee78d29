//===- Optimizer.h - SGD, AdamW and the learning-rate schedule --*- C++ -*-===//
//
// The updates PyTorch's torch.optim.SGD and AdamW make, step for step, over
// a net's parameters (pfc/Train/Net.h), and the learning rate of each step.
// The loops are plain and elementwise, split over threads: every element's
// arithmetic is the same however they are split, so a run gives the same
// bits on any thread count. Free of LLVM and MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TRAIN_OPTIMIZER_H
#define PFC_TRAIN_OPTIMIZER_H

#include "pfc/Train/Net.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/NetSpec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pfc {

class Optimizer {
public:
  /// Keeps state for `params` (names, shapes, sizes; not their pointers).
  Optimizer(const OptimizerSpec &spec, const std::vector<Parameter> &params,
            int64_t threads);

  /// One update of every parameter of `params` (the same tensors, in the
  /// same order, as at construction) at learning rate `lr`:
  ///  - SGD: g += wd·w (parameters with `decay`); b = momentum·b + g (b
  ///    starts at 0, which is PyTorch's b = g on the first step); w -= lr·b.
  ///  - AdamW: w *= 1 − lr·wd (parameters with `decay`); m = β1·m + (1−β1)·g;
  ///    v = β2·v + (1−β2)·g²; w -= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
  void step(double lr, const std::vector<Parameter> &params);
  /// Steps taken (t).
  int64_t steps() const { return stepCount; }

  /// The state under PyTorch's names, `<parameter>.momentum_buffer` (SGD
  /// with momentum) or `<parameter>.exp_avg` and `.exp_avg_sq` (AdamW).
  TensorMap state() const;
  /// Sets the state from exactly state()'s tensors and the step count; on
  /// failure sets `error` to `<what> (expected <what>)`.
  bool setState(const TensorMap &tensors, int64_t steps, std::string &error);

private:
  struct Slot {
    std::string name;
    std::vector<int64_t> shape;
    int64_t size = 0;
    std::vector<float> first, second; ///< momentum, or m and v
  };
  std::vector<std::string> stateNames() const;

  OptimizerSpec spec;
  std::vector<Slot> slots;
  int64_t threads;
  int64_t stepCount = 0;
};

/// The learning rate of step `step` (from 0) of a run of `epochs` epochs of
/// `stepsPerEpoch` steps: the warm-up rises linearly, lr·(step+1)/W over the
/// first W = round(warmupEpochs·stepsPerEpoch) steps; then constant lr;
/// cosine lr·(f + (1−f)·(1 + cos(π·p))/2), p the fraction of the steps
/// after the warm-up done; step lr·factor^⌊epoch/everyEpochs⌋.
double learningRate(const TrainSpec &train, int64_t step, int64_t stepsPerEpoch,
                    int64_t epochs);

} // namespace pfc

#endif // PFC_TRAIN_OPTIMIZER_H
