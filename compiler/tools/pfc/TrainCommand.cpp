//===- TrainCommand.cpp - `pfc train`: train a net on its data set --------===//
//
// Reads a net spec, builds the net (Pixelfly layers JIT-compiled, dense
// layers on OpenBLAS), loads its data and trains it epoch by epoch, showing
// progress on stderr. After every epoch it rewrites metrics.csv and
// curves.svg and writes a checkpoint; at the end, model.safetensors. Every
// file is written to a temporary file and renamed.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "pfc/Cli/TrainSupport.h"
#include "pfc/Runtime/AtomicFile.h"
#include "pfc/Train/Dataset.h"
#include "pfc/Train/Trainer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <thread>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("train", "Train a net of Pixelfly and dense layers "
                                   "on its data set");
static SpecArgument netPath(sub, "<net.yaml>");
static OutputOption
    outputDir(sub,
              "Directory for metrics.csv, curves.svg, the checkpoints and "
              "model.safetensors (default: runs/<net name>)",
              "dir", /*required=*/false);
static cl::opt<int64_t> epochCount(
    "epochs",
    cl::desc("Epochs in all, which the learning-rate schedule spans "
             "(default: the spec's; with --resume, the checkpoint's)"),
    cl::value_desc("N"), cl::init(0), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<std::string>
    resumePath("resume",
               cl::desc("Continue from a checkpoint of this net: the run "
                        "goes on exactly as if it had not stopped"),
               cl::value_desc("checkpoint.safetensors"), cl::sub(sub),
               cl::cat(pfcCategory()));
static cl::opt<int64_t> stopAfter(
    "stop-after",
    cl::desc("End this run after N epochs, as if interrupted (continue it "
             "with --resume DIR/last.safetensors)"),
    cl::value_desc("N"), cl::init(0), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<int64_t> checkpointEvery(
    "checkpoint-every",
    cl::desc("Keep checkpoint-epoch-N.safetensors every N epochs (0: only "
             "last.safetensors, which every epoch rewrites; default 1)"),
    cl::value_desc("N"), cl::init(1), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<int64_t> limit(
    "limit", cl::desc("Train and test on the first N examples of each set"),
    cl::value_desc("N"), cl::init(0), cl::sub(sub), cl::cat(pfcCategory()));
static ThreadsOption
    threads(sub,
            "Threads for the Pixelfly kernels, OpenBLAS and the elementwise "
            "loops alike (default: every hardware thread)");
static JsonFlag json(sub, "Print a summary of the run as one JSON "
                          "object on stdout");

namespace {

using Clock = std::chrono::steady_clock;

void truncate(Dataset &data, int64_t count) {
  if (count <= 0 || count >= data.count)
    return;
  data.count = count;
  data.inputs.resize(static_cast<size_t>(count * data.features));
  data.labels.resize(static_cast<size_t>(count));
}

/// The train and test sets the spec names, each cut to --limit.
bool loadData(const NetSpec &spec, Dataset &train, Dataset &test,
              std::string &error) {
  const DataSpec &data = spec.data;
  if (data.kind == DataSpec::Kind::FashionMnist) {
    if (!loadFashionMnist(fashionMnistDir(), train, test, error))
      return false;
  } else {
    Dataset all = syntheticDataset(data.count + data.testCount, data.features,
                                   data.classes, data.seed);
    train = all;
    truncate(train, data.count);
    test.count = data.testCount;
    test.features = all.features;
    test.classes = all.classes;
    test.inputs.assign(all.inputs.begin() + data.count * data.features,
                       all.inputs.end());
    test.labels.assign(all.labels.begin() + data.count, all.labels.end());
  }
  truncate(train, limit);
  truncate(test, limit);
  for (const Dataset *set : {&train, &test}) {
    if (set->features != data.features || set->classes > data.classes) {
      error = fmt::format("{}: error: the data has {} features and {} classes "
                          "(expected {} features and at most {} classes)",
                          netPath.getValue(), set->features, set->classes,
                          data.features, data.classes);
      return false;
    }
  }
  return true;
}

std::string describeModules(const Net &net) {
  std::string text;
  for (const auto &module : net.modules()) {
    const NetModule &m = module->spec();
    text += text.empty() ? "" : ", ";
    if (m.isLinear())
      text += fmt::format("{} {} {}->{}", m.layer.name, toString(m.kind),
                          m.layer.inFeatures, m.layer.outFeatures);
    else
      text += toString(m.kind);
  }
  return text;
}

/// Progress on stderr: a bar redrawn in place on a terminal, else a line
/// per epoch.
class Progress {
public:
  explicit Progress(int64_t epochs)
      : epochs(epochs), terminal(sys::Process::StandardErrIsDisplayed()) {}

  void step(const StepProgress &p) {
    if (!terminal)
      return;
    const Clock::time_point now = Clock::now();
    if (p.step != p.steps && now - lastDraw < std::chrono::milliseconds(100))
      return;
    lastDraw = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * p.step / p.steps);
    errs() << fmt::format("\repoch {}/{} [{}{}] {}/{}  loss {:.4f}  {:.0f} "
                          "examples/s ",
                          p.epoch, epochs, std::string(filled, '#'),
                          std::string(kWidth - filled, '.'), p.step, p.steps,
                          p.loss, p.examplesPerSecond);
  }

  void epoch(const EpochMetrics &m) {
    if (terminal)
      errs() << "\r\x1b[K";
    errs() << fmt::format(
        "epoch {}/{}: train loss {:.4f} accuracy {:.2f}%, test loss {:.4f} "
        "accuracy {:.2f}%, {:.1f} s, {:.0f} examples/s, lr {:.3g}\n",
        m.epoch, epochs, m.trainLoss, 100 * m.trainAccuracy, m.testLoss,
        100 * m.testAccuracy, m.seconds, m.examplesPerSecond, m.lr);
  }

private:
  int64_t epochs;
  bool terminal;
  Clock::time_point lastDraw;
};

std::vector<EpochMetrics> parseHistory(const std::vector<std::string> &rows) {
  std::vector<EpochMetrics> metrics;
  for (const std::string &row : rows) {
    EpochMetrics m;
    if (readMetricsRow(row, m))
      metrics.push_back(m);
  }
  return metrics;
}

/// metrics.csv and curves.svg, from every epoch so far.
bool writeReports(const std::string &dir, const NetSpec &spec,
                  const Trainer &trainer, std::string &error) {
  std::string csv = metricsHeader() + "\n";
  for (const std::string &row : trainer.history())
    csv += row + "\n";
  SmallString<256> csvPath(dir), svgPath(dir);
  sys::path::append(csvPath, "metrics.csv");
  sys::path::append(svgPath, "curves.svg");
  return writeFileAtomically(std::string(csvPath), csv, error) &&
         writeFileAtomically(
             std::string(svgPath),
             curvesSvg(spec.name, parseHistory(trainer.history())), error);
}

json::Value millis(double seconds, int64_t steps) {
  if (steps == 0)
    return nullptr;
  return seconds / static_cast<double>(steps) * 1e3;
}

int run() {
  const Clock::time_point started = Clock::now();
  for (cl::opt<int64_t> *option : std::initializer_list<cl::opt<int64_t> *>{
           &epochCount, &stopAfter, &checkpointEvery, &limit, &threads})
    if (*option < 0)
      return reportError("--" + option->ArgStr + " must not be negative (got " +
                         Twine(option->getValue()) + ")");
  std::optional<NetSpec> loaded = loadNetSpec(netPath);
  if (!loaded)
    return ExitBadInput;
  const NetSpec &spec = *loaded;
  const int64_t threadCount =
      threads > 0 ? threads
                  : std::max<int64_t>(1, std::thread::hardware_concurrency());

  std::string error;
  Dataset train, test;
  if (!loadData(spec, train, test, error))
    return reportFileError(error);
  const BlasLibraries dense = loadDenseLibrariesFor(spec, threadCount);
  if (needsDenseLibrary(spec) && !dense.preferred)
    return reportError("no dense library for the dense layers: " +
                       dense.whyMissing());
  double compileSeconds = 0.0;
  std::unique_ptr<Net> net =
      buildNet(spec, dense.preferred, threadCount, error, &compileSeconds);
  if (!net)
    return reportError(netPath + ": " + error);

  Trainer trainer(*net, train, test, spec.train.epochs);
  if (!resumePath.empty()) {
    std::string warning;
    if (!trainer.loadCheckpoint(resumePath, error, &warning))
      return reportFileError(error);
    if (!warning.empty())
      errs() << warning << "\n";
  }
  if (epochCount > 0) {
    if (epochCount < trainer.epochsDone())
      return reportError(fmt::format(
          "--epochs {} is fewer than the {} epochs the checkpoint has done",
          epochCount.getValue(), trainer.epochsDone()));
    trainer.setEpochs(epochCount);
  }

  const std::string dir =
      outputDir.empty() ? "runs/" + spec.name : std::string(outputDir);
  if (int code = makeOutputDirectory(dir, "the run's metrics, curves and "
                                          "checkpoints"))
    return code;
  // What a killed run was writing when it died.
  removeStaleTemporariesIn(dir);
  auto inDir = [&](const std::string &name) {
    SmallString<256> path(dir);
    sys::path::append(path, name);
    return std::string(path);
  };

  bool hasPixelfly = false;
  for (const NetModule &module : spec.modules)
    hasPixelfly |= module.kind == ModuleKind::Pixelfly;
  std::string engines;
  if (dense.preferred)
    engines += "; dense layers on " + dense.preferred->name();
  if (hasPixelfly)
    engines +=
        fmt::format("; Pixelfly layers compiled in {:.2f} s", compileSeconds);
  errs() << fmt::format(
      "{}: {} parameters ({}); {} train and {} test examples; batch {}, {} "
      "steps per epoch; {} thread{}{}\n",
      spec.name, net->parameterCount(), describeModules(*net), train.count,
      test.count, spec.train.batch, trainer.stepsPerEpoch(), threadCount,
      threadCount == 1 ? "" : "s", engines);
  if (trainer.epochsDone() > 0)
    errs() << fmt::format("resuming after epoch {} of {}, step {}\n",
                          trainer.epochsDone(), trainer.epochs(),
                          trainer.stepsDone());

  Progress progress(trainer.epochs());
  StepTimes times;
  int64_t epochsRun = 0, examplesRun = 0;
  double secondsRun = 0.0;
  EpochMetrics last;
  while (trainer.epochsDone() < trainer.epochs() &&
         (stopAfter == 0 || epochsRun < stopAfter)) {
    last = trainer.runEpoch([&](const StepProgress &p) { progress.step(p); });
    // A diverged run saves nothing: the checkpoints already written are the
    // last good ones.
    if (trainer.failed())
      return reportError(netPath + ": " + trainer.failure());
    progress.epoch(last);
    const StepTimes &epochTimes = trainer.lastEpochTimes();
    times.forward += epochTimes.forward;
    times.backward += epochTimes.backward;
    times.update += epochTimes.update;
    times.steps += epochTimes.steps;
    secondsRun += last.seconds;
    examplesRun += train.count;
    ++epochsRun;
    const int64_t done = trainer.epochsDone();
    if (!writeReports(dir, spec, trainer, error) ||
        (checkpointEvery > 0 &&
         (done % checkpointEvery == 0 || done == trainer.epochs()) &&
         !trainer.saveCheckpoint(
             inDir(fmt::format("checkpoint-epoch-{}.safetensors", done)),
             error)) ||
        !trainer.saveCheckpoint(inDir("last.safetensors"), error))
      return reportFileError(error);
  }
  if (!writeReports(dir, spec, trainer, error) ||
      !trainer.saveWeights(inDir("model.safetensors"), error))
    return reportFileError(error);

  // Epochs of earlier runs (a resumed one) count as metrics.csv has them;
  // this run's, as measured.
  const std::vector<EpochMetrics> history = parseHistory(trainer.history());
  double trainSeconds = secondsRun, bestTest = 0.0;
  for (const EpochMetrics &m : history) {
    if (m.epoch <= trainer.epochsDone() - epochsRun)
      trainSeconds += m.seconds;
    bestTest = std::max(bestTest, m.testAccuracy);
  }
  const EpochMetrics latest =
      epochsRun > 0 ? last
                    : (history.empty() ? EpochMetrics() : history.back());
  const double wallSeconds =
      std::chrono::duration<double>(Clock::now() - started).count();
  if (json) {
    json::Object summary{{"net", spec.name},
                         {"params", net->parameterCount()},
                         {"epochs", trainer.epochsDone()},
                         {"epochs_planned", trainer.epochs()},
                         {"epochs_run", epochsRun},
                         {"steps", trainer.stepsDone()},
                         {"batch", spec.train.batch},
                         {"threads", threadCount},
                         {"train_examples", train.count},
                         {"test_examples", test.count},
                         {"train_loss", latest.trainLoss},
                         {"train_accuracy", latest.trainAccuracy},
                         {"test_loss", latest.testLoss},
                         {"test_accuracy", latest.testAccuracy},
                         {"best_test_accuracy", bestTest},
                         {"train_seconds", trainSeconds},
                         {"run_train_seconds", secondsRun},
                         {"wall_seconds", wallSeconds},
                         {"compile_seconds", compileSeconds},
                         {"examples_per_second",
                          secondsRun > 0 ? json::Value(examplesRun / secondsRun)
                                         : json::Value(nullptr)},
                         {"step_ms", millis(times.total(), times.steps)},
                         {"forward_ms", millis(times.forward, times.steps)},
                         {"backward_ms", millis(times.backward, times.steps)},
                         {"update_ms", millis(times.update, times.steps)},
                         {"output_dir", dir},
                         {"checkpoint", inDir("last.safetensors")},
                         {"model", inDir("model.safetensors")}};
    outs() << formatv("{0:2}", json::Value(std::move(summary))) << "\n";
  } else {
    outs() << fmt::format(
        "{}: {} of {} epochs, test accuracy {:.2f}% (best {:.2f}%), {:.1f} s "
        "of training; metrics.csv, curves.svg, last.safetensors and "
        "model.safetensors in {}\n",
        spec.name, trainer.epochsDone(), trainer.epochs(),
        100 * latest.testAccuracy, 100 * bestTest, trainSeconds, dir);
  }
  return ExitOk;
}

} // namespace

Command &trainCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc
