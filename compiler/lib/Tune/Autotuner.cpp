//===- Autotuner.cpp - Finding a layer's fastest schedule -----------------===//
#include "pfc/Tune/Autotuner.h"
#include "pfc/Runtime/Reference.h"
#include "pfc/Target/CpuTarget.h"
#include "pfc/Tune/TuningDatabase.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace pfc {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The median of five batches of calls, each batch at least 20 ms.
double medianMilliseconds(Layer &layer, const std::vector<float> &x,
                          int64_t tokens) {
  std::vector<float> y(tokens * layer.spec().outFeatures);
  auto call = [&] { layer.forward(x.data(), tokens, y.data()); };
  call(); // warm-up
  auto start = Clock::now();
  call();
  double once = std::max(secondsSince(start), 1e-7);
  int64_t calls =
      std::clamp<int64_t>(static_cast<int64_t>(0.02 / once), 1, 10000);
  std::vector<double> perCall;
  for (int batch = 0; batch < 5; ++batch) {
    start = Clock::now();
    for (int64_t i = 0; i < calls; ++i)
      call();
    perCall.push_back(secondsSince(start) / calls * 1e3);
  }
  std::nth_element(perCall.begin(), perCall.begin() + 2, perCall.end());
  return perCall[2];
}

/// Random parameters and inputs, and the fp64 reference output on them.
struct Check {
  LayerParams params;
  std::vector<float> x;
  int64_t tokens;
  std::vector<double> want;
};

Check makeCheck(const LayerSpec &spec, int64_t tokens) {
  Check check;
  BlockMask mask = spec.blockMask();
  check.params = initParams(spec, mask, /*seed=*/1);
  check.tokens = tokens;
  std::mt19937 engine(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  check.x.resize(tokens * spec.inFeatures);
  for (float &value : check.x)
    value = uniform(engine);
  check.want = referenceForward(spec, mask, check.params, check.x, tokens);
  return check;
}

/// Why `layer` disagrees with the reference, or an empty string.
std::string checkLayer(Layer &layer, const Check &check) {
  std::string error;
  if (!layer.setParams(check.params, error))
    return error;
  std::vector<float> y(check.want.size(),
                       std::numeric_limits<float>::quiet_NaN());
  layer.forward(check.x.data(), check.tokens, y.data());
  double relative = relativeError(y, check.want);
  if (!(relative <= 1e-4))
    return "differs from the fp64 reference by " + std::to_string(relative);
  return {};
}

} // namespace

std::string describe(const Schedule &s) {
  return "tile=" + std::to_string(s.tile) +
         " vector=" + std::to_string(s.vector) +
         " chunk=" + std::to_string(s.chunk) +
         " unroll=" + std::to_string(s.unroll) +
         (s.unrolled.value_or(false) ? " unrolled" : "") +
         " prefetch=" + std::to_string(s.prefetch.value_or(0));
}

std::vector<Schedule> candidateSchedules(const LayerSpec &spec,
                                         const CpuTargetInfo &target) {
  const Schedule base = defaultSchedule(spec, target);
  const int64_t vectors = spec.block / std::min(base.vector, spec.block);
  std::vector<int64_t> tiles = {base.tile};
  for (int64_t tile : {2, 4, 6, 8, 10, 12, 14, 16})
    if (tile * vectors >= 8 && tile * vectors <= 28 && tile != base.tile)
      tiles.push_back(tile);
  std::vector<Schedule> candidates = {base};
  std::set<std::string> seen = {describe(base)};
  for (int64_t tile : tiles) {
    for (int64_t chunk : {base.chunk, base.chunk / 2, base.chunk * 2,
                          int64_t{24}, int64_t{252}}) {
      chunk =
          std::clamp<int64_t>(chunk / tile * tile, 2 * tile, 504 / tile * tile);
      for (int64_t prefetch : {*base.prefetch, int64_t{0}}) {
        Schedule candidate = base;
        candidate.tile = tile;
        candidate.chunk = chunk;
        candidate.prefetch = prefetch;
        if (seen.insert(describe(candidate)).second)
          candidates.push_back(candidate);
      }
    }
  }
  // Full unrolling only pays, if ever, for a handful of blocks.
  if (spec.blockMask().nnzBlocks() <= 32) {
    Schedule unrolled = base;
    unrolled.unrolled = true;
    candidates.push_back(unrolled);
  }
  // Nearest the default first: the fewest knobs changed.
  auto changed = [&](const Schedule &c) {
    return (c.tile != base.tile) + (c.chunk != base.chunk) +
           (c.prefetch != base.prefetch) + (c.unrolled != base.unrolled);
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const Schedule &a, const Schedule &b) {
                     return changed(a) < changed(b);
                   });
  if (candidates.size() > 40)
    candidates.resize(40);
  return candidates;
}

llvm::Expected<TuningReport> autotune(const LayerSpec &spec,
                                      const TuneOptions &options) {
  auto start = Clock::now();
  TuningReport report;
  report.key = tuningKey(spec, options.tokens);
  std::vector<Schedule> candidates = options.candidates;
  if (candidates.empty())
    candidates = candidateSchedules(spec, hostTargetInfo(options.threads));
  report.results.resize(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    report.results[i].schedule = candidates[i];
    report.results[i].label = describe(candidates[i]);
  }

  // LLVM's target registration is not meant to race: done before the
  // threads start.
  if (auto machine = createHostTargetMachine(/*pic=*/true); !machine)
    return machine.takeError();
  // Compile two at a time, within half the budget; the default first.
  std::vector<std::unique_ptr<Layer>> layers(candidates.size());
  std::atomic<size_t> next = 0;
  std::mutex failures;
  auto compileSome = [&] {
    for (size_t i; (i = next++) < candidates.size();) {
      if (i > 0 && secondsSince(start) > options.budgetSeconds / 2)
        return;
      // The tuner times the forward kernel.
      CompileOptions compile(options.threads, candidates[i], options.tokens);
      compile.backward = false;
      auto layer = compileLayer(spec, compile);
      if (layer) {
        layers[i] = std::move(*layer);
        continue;
      }
      std::lock_guard<std::mutex> lock(failures);
      report.results[i].failure = llvm::toString(layer.takeError());
    }
  };
  std::thread helper(compileSome);
  compileSome();
  helper.join();

  // Enough tokens for full tiles of every candidate (up to 16 rows), for
  // chunks to end inside the check, and for the runtime's split by tokens
  // (4 tiles a thread); the fp64 reference's cost grows with them.
  Check check = makeCheck(spec, std::min<int64_t>(options.tokens, 64));
  std::vector<float> x(options.tokens * spec.inFeatures, 0.5f);
  for (size_t i = 0; i < candidates.size(); ++i) {
    TuningResult &result = report.results[i];
    if (!layers[i] && result.failure.empty()) {
      ++report.skipped;
      result.failure = "skipped: over the budget";
    } else if (layers[i] && i > 0 &&
               secondsSince(start) > options.budgetSeconds) {
      ++report.skipped;
      result.failure = "skipped: over the budget";
    } else if (layers[i]) {
      result.failure = checkLayer(*layers[i], check);
      if (result.failure.empty())
        result.medianMs =
            options.measure
                ? options.measure(candidates[i], *layers[i], x, options.tokens)
                : medianMilliseconds(*layers[i], x, options.tokens);
    }
    if (options.progress)
      options.progress(i + 1, candidates.size(), result);
  }
  for (size_t i = 1; i < report.results.size(); ++i)
    if (report.results[i].medianMs < report.results[report.best].medianMs)
      report.best = i;
  report.seconds = secondsSince(start);
  if (!std::isfinite(report.results[report.best].medianMs))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "no schedule of '" + spec.name +
            "' compiled and passed its check: " + report.results[0].failure);
  if (std::optional<TuningDatabase> database =
          TuningDatabase::fromEnvironment()) {
    std::string error;
    if (!database->record(report.key, report.results[report.best].schedule,
                          spec.name + " T=" + std::to_string(options.tokens),
                          error))
      return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  }
  return std::move(report);
}

} // namespace pfc
