//===- Trainer.h - Epochs of mini-batch training, and checkpoints -*- C++ -*-=//
//
// Trains a Net (pfc/Train/Net.h) on a Dataset (pfc/Train/Dataset.h) as
// its spec's `train:` says: each epoch visits the examples in a shuffled
// order drawn from the seed and the epoch's number, in batches (the last one
// smaller when the batch does not divide the count), one optimizer step per
// batch at the schedule's learning rate; then the test set is scored.
// Checkpoints hold the parameters, the optimizer's state, the counters and
// the metrics so far: a run resumed from one continues bit for bit as the
// uninterrupted run would have (on the same thread count). Free of LLVM and
// MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TRAIN_TRAINER_H
#define PFC_TRAIN_TRAINER_H

#include "pfc/Train/Dataset.h"
#include "pfc/Train/Net.h"
#include "pfc/Train/Optimizer.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pfc {

/// One row of metrics.csv: an epoch's results.
struct EpochMetrics {
  int64_t epoch = 0; ///< from 1
  int64_t step = 0;  ///< optimizer steps taken by its end
  double trainLoss = 0.0, trainAccuracy = 0.0; ///< over its batches
  double testLoss = 0.0, testAccuracy = 0.0;   ///< after it
  double seconds = 0.0; ///< its training steps (not the test)
  double examplesPerSecond = 0.0;
  double lr = 0.0; ///< at its last step
};

/// metrics.csv's header line and one row (no newline); readMetricsRow reads
/// a row back.
std::string metricsHeader();
std::string metricsRow(const EpochMetrics &metrics);
bool readMetricsRow(const std::string &row, EpochMetrics &metrics);

/// Seconds spent in each part of training steps.
struct StepTimes {
  double forward = 0.0;  ///< the modules' forward and the loss
  double backward = 0.0; ///< every module's gradients
  double update = 0.0;   ///< the optimizer and re-packing
  int64_t steps = 0;

  double total() const { return forward + backward + update; }
};

/// Where an epoch stands, after each of its steps.
struct StepProgress {
  int64_t epoch = 0; ///< from 1
  int64_t step = 0;  ///< steps done in this epoch, from 1
  int64_t steps = 0; ///< steps in the epoch
  double loss = 0.0; ///< mean loss of the epoch's batches so far
  double examplesPerSecond = 0.0;
  double lr = 0.0;
};

/// The order in which epoch `epoch` (from 0) visits [0, count): a
/// Fisher-Yates shuffle driven by splitmix64 from `seed` and the epoch, the
/// same on every platform and independent of earlier epochs.
std::vector<int64_t> shuffledOrder(int64_t count, uint64_t seed, int64_t epoch);

/// The checksum a checkpoint carries in pfc.checksum: FNV-1a 64 over every
/// tensor's name, shape and values, in name order, as 16 hex digits.
std::string checkpointChecksum(const TensorMap &tensors);

class Trainer {
public:
  /// Trains `net` on `train` (`test` scores each epoch) for `epochs` epochs
  /// in all. The net and the data sets must outlive the trainer.
  Trainer(Net &net, const Dataset &train, const Dataset &test, int64_t epochs);

  int64_t epochsDone() const { return completed; }
  int64_t epochs() const { return totalEpochs; }
  /// The total; the learning-rate schedule spans it.
  void setEpochs(int64_t epochs) { totalEpochs = epochs; }
  int64_t stepsPerEpoch() const;
  int64_t stepsDone() const { return stepCount; }

  /// One optimizer step on a batch x [rows, features] with `labels`: forward,
  /// loss, backward, update at the schedule's rate for the next step. Adds
  /// the time of each part to `times` when given. A non-finite loss or
  /// parameter stops training: failed() turns true, and failure() names the
  /// step and the tensor; later steps and epochs do nothing.
  BatchResult step(const float *x, const int32_t *labels, int64_t rows,
                   StepTimes *times = nullptr);

  /// Trains the next epoch and scores the test set; calls `progress` after
  /// each step (when set) and returns the epoch's metrics.
  EpochMetrics
  runEpoch(const std::function<void(const StepProgress &)> &progress = nullptr);

  /// Whether training diverged (a NaN or an infinity in the loss or in a
  /// parameter); the net then holds the bad values and must not be saved.
  bool failed() const { return !failureText.empty(); }
  /// `step N (epoch E): <what> is not finite (…)`, when failed().
  const std::string &failure() const { return failureText; }

  /// Mean loss and accuracy of the net on `data`, in batches.
  void evaluate(const Dataset &data, double &loss, double &accuracy);

  /// The metrics of every epoch done so far, as metrics.csv rows (resumed
  /// runs keep the rows of the run they continue, exactly).
  const std::vector<std::string> &history() const { return rows; }
  /// Where the last runEpoch's steps went.
  const StepTimes &lastEpochTimes() const { return epochTimes; }

  /// A hash of what must not change when a run is resumed: the net, the
  /// training setup, the data sets' sizes.
  std::string netHash() const;
  std::string trainHash() const;

  /// Writes the parameters, the optimizer's state, the counters and the
  /// metrics so far (safetensors, atomically). On failure sets `error` to
  /// `<path>: error: …`.
  bool saveCheckpoint(const std::string &path, std::string &error) const;
  /// Continues from a checkpoint of this net and training setup, after
  /// checking the checksum of its tensors, its counters' ranges and that
  /// every value is finite. On failure
  /// sets `error` to `<path>: error: …`; `warning`, when given, gets a note
  /// that the checkpoint was written with another thread count (the run then
  /// continues, but may differ from an uninterrupted one in the last bits).
  bool loadCheckpoint(const std::string &path, std::string &error,
                      std::string *warning = nullptr);
  /// Writes the net's parameters alone, `<layer>.<tensor>` (a Pixelfly
  /// layer's tensors as `pfc init` names them), with the net's name, hash
  /// and epochs as metadata.
  bool saveWeights(const std::string &path, std::string &error) const;

  /// The largest number of epochs a run may have (the net spec's bound).
  static constexpr int64_t maxEpochs = 100000;

private:
  /// Sets failureText when the loss or a parameter is not finite.
  void checkFinite(double lossSum);

  Net &net;
  Optimizer optimizer;
  const Dataset &trainSet, &testSet;
  int64_t totalEpochs;
  int64_t completed = 0, stepCount = 0;
  std::string failureText;
  std::vector<std::string> rows;
  StepTimes epochTimes;
  std::vector<float> batchInputs;
  std::vector<int32_t> batchLabels;
};

} // namespace pfc

#endif // PFC_TRAIN_TRAINER_H
