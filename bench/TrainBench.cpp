//===- TrainBench.cpp - Training steps of nets, timed in one run ----------===//
//
// Each net takes steps on one batch of its own size drawn from a synthetic
// set of its shape: the step does the same work on any data. After a
// warm-up, the nets take turns, a round of steps each, so that they see the
// same machine; each part's time per step is the median over the rounds.
//
//===----------------------------------------------------------------------===//
#include "TrainBench.h"

#include "pfc/Cli/Cli.h"
#include "pfc/Cli/TrainSupport.h"

#include "pfc/Train/Dataset.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

using namespace llvm;

namespace pfc {

namespace {

constexpr int kWarmupSteps = 3;
/// Issue 3's target: a Pixelfly step at least this much faster than dense.
constexpr double kTargetRatio = 2.5;

struct BenchNet {
  NetSpec spec;
  std::unique_ptr<Net> net;
  Dataset batch;
  std::unique_ptr<Trainer> trainer;
  double compileSeconds = 0.0;
  int64_t stepsPerRound = 1;
  /// Per step, one entry per round.
  std::vector<double> forward, backward, update, total;

  double median(std::vector<double> values) const {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  }
  StepTimes run(int64_t steps) {
    StepTimes times;
    for (int64_t i = 0; i < steps; ++i)
      trainer->step(batch.inputs.data(), batch.labels.data(), batch.count,
                    &times);
    return times;
  }
};

} // namespace

int runTrainBench(const TrainBenchOptions &options) {
  std::vector<BenchNet> nets;
  for (const std::string &path : options.nets) {
    std::optional<NetSpec> spec = loadNetSpec(path);
    if (!spec)
      return ExitBadInput;
    nets.emplace_back();
    nets.back().spec = std::move(*spec);
  }
  std::string error;
  // The dense layers run on the preferred dense library, as in pfc train.
  BlasLibraries dense;
  for (const BenchNet &b : nets)
    if (!dense.preferred && needsDenseLibrary(b.spec)) {
      dense = loadDenseLibrariesFor(b.spec, options.threads);
      if (!dense.preferred)
        return reportError("no dense library for the dense layers: " +
                           dense.whyMissing());
    }
  for (size_t i = 0; i < nets.size(); ++i) {
    BenchNet &b = nets[i];
    b.net = buildNet(b.spec, dense.preferred, options.threads, error,
                     &b.compileSeconds);
    if (!b.net)
      return reportError(options.nets[i] + ": " + error);
    b.batch = syntheticDataset(b.spec.train.batch, b.spec.data.features,
                               b.spec.data.classes, 1);
    b.trainer = std::make_unique<Trainer>(*b.net, b.batch, b.batch,
                                          b.spec.train.epochs);
  }

  // Warm-up (first-touch page faults, thread start-up, caches), then as many
  // steps per round as fill about secondsPerRound.
  for (BenchNet &b : nets) {
    b.run(kWarmupSteps);
    const StepTimes once = b.run(kWarmupSteps);
    const double step = std::max(once.total() / kWarmupSteps, 1e-6);
    b.stepsPerRound = std::max<int64_t>(
        3, static_cast<int64_t>(options.secondsPerRound / step));
  }
  for (int round = 0; round < options.rounds; ++round)
    for (BenchNet &b : nets) {
      const StepTimes t = b.run(b.stepsPerRound);
      const double n = static_cast<double>(t.steps);
      b.forward.push_back(t.forward / n);
      b.backward.push_back(t.backward / n);
      b.update.push_back(t.update / n);
      b.total.push_back(t.total() / n);
    }

  const double baseline = nets[0].median(nets[0].total);
  const std::string library =
      dense.preferred ? dense.preferred->name() : "not loaded";
  if (options.json) {
    json::Array rows;
    for (const BenchNet &b : nets) {
      const double total = b.median(b.total);
      rows.push_back(
          json::Object{{"name", b.spec.name},
                       {"params", b.net->parameterCount()},
                       {"batch", b.spec.train.batch},
                       {"compile_ms", b.compileSeconds * 1e3},
                       {"forward_ms", b.median(b.forward) * 1e3},
                       {"backward_ms", b.median(b.backward) * 1e3},
                       {"update_ms", b.median(b.update) * 1e3},
                       {"step_ms", total * 1e3},
                       {"examples_per_second", b.spec.train.batch / total},
                       {"steps_per_round", b.stepsPerRound},
                       {"speedup", baseline / total}});
    }
    json::Object object{
        {"threads", options.threads},
        {"dense_library", library},
        {"rounds", options.rounds},
        {"timing", "median over interleaved rounds of steps per net"},
        {"nets", std::move(rows)},
        {"target_speedup", kTargetRatio}};
    if (nets.size() > 1)
      object["speedup"] = baseline / nets[1].median(nets[1].total);
    outs() << formatv("{0:2}", json::Value(std::move(object))) << "\n";
    return ExitOk;
  }
  raw_ostream &os = outs();
  os << fmt::format(
      "pfc bench --train: training steps (forward, loss, "
      "backward, optimizer update), {} thread{}, dense layers on {}\n",
      options.threads, options.threads == 1 ? "" : "s", library);
  os << fmt::format("{:<28} {:>10} {:>6} {:>11} {:>11} {:>10} {:>9} {:>11} "
                    "{:>8}\n",
                    "net", "params", "batch", "forward ms", "backward ms",
                    "update ms", "step ms", "examples/s", "speedup");
  for (const BenchNet &b : nets) {
    const double total = b.median(b.total);
    os << fmt::format("{:<28} {:>10} {:>6} {:>11.3f} {:>11.3f} {:>10.3f} "
                      "{:>9.3f} {:>11.0f} {:>8.2f}\n",
                      b.spec.name, b.net->parameterCount(), b.spec.train.batch,
                      b.median(b.forward) * 1e3, b.median(b.backward) * 1e3,
                      b.median(b.update) * 1e3, total * 1e3,
                      b.spec.train.batch / total, baseline / total);
  }
  for (size_t i = 1; i < nets.size(); ++i) {
    const double ratio = baseline / nets[i].median(nets[i].total);
    os << fmt::format("step time {} / {}: {:.2f} (target >= {}: {})\n",
                      nets[0].spec.name, nets[i].spec.name, ratio, kTargetRatio,
                      ratio >= kTargetRatio ? "met" : "missed");
  }
  os << fmt::format(
      "times: median over {} interleaved rounds of {} steps "
      "per net, after {} warm-up steps\n",
      options.rounds,
      [&] {
        std::string counts;
        for (const BenchNet &b : nets)
          counts +=
              (counts.empty() ? "" : "/") + std::to_string(b.stepsPerRound);
        return counts;
      }(),
      2 * kWarmupSteps);
  return ExitOk;
}

} // namespace pfc
