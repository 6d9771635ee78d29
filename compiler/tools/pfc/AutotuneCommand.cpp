//===- AutotuneCommand.cpp - `pfc autotune`: a layer's fastest schedule ---===//
#include "Commands.h"

#include "pfc/Tune/Autotuner.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cmath>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("autotune",
                          "Find a layer's fastest schedule and remember it");
static SpecArgument specPath(sub, "<layer.yaml>");
static cl::opt<int64_t> tokens("tokens",
                               cl::desc("Tokens per call to tune for "
                                        "(default 1024)"),
                               cl::init(1024), cl::sub(sub),
                               cl::cat(pfcCategory()));
static cl::opt<double> budget("budget",
                              cl::desc("Seconds to spend at most (default 20)"),
                              cl::init(20.0), cl::sub(sub),
                              cl::cat(pfcCategory()));
static ThreadsOption threads(sub, "Threads a call is split over "
                                  "(default: all)");
static JsonFlag json(sub, "Print every candidate's median time and "
                          "the choice as JSON");

static json::Value milliseconds(double ms) {
  return std::isfinite(ms) ? json::Value(ms) : json::Value(nullptr);
}

static int run() {
  if (tokens <= 0)
    return reportError("--tokens must be positive (got " +
                       Twine(tokens.getValue()) + ")");
  if (!(budget > 0))
    return reportError("--budget must be positive");
  std::optional<LoadedLayer> loaded = loadLayerSpec(specPath, /*cpu=*/true);
  if (!loaded)
    return ExitBadInput;
  TuneOptions options;
  options.tokens = tokens;
  options.budgetSeconds = budget;
  options.threads = threads;
  options.progress = [](size_t done, size_t total, const TuningResult &r) {
    errs() << fmt::format("[{}/{}] {:<52} {}\n", done, total, r.label,
                          std::isfinite(r.medianMs)
                              ? fmt::format("{:.4f} ms", r.medianMs)
                              : r.failure);
  };
  auto report = autotune(loaded->spec, options);
  if (!report)
    return reportError(toString(report.takeError()));
  const TuningResult &best = report->results[report->best];
  const TuningResult &base = report->results.front();
  if (json) {
    json::Array candidates;
    for (const TuningResult &result : report->results)
      candidates.push_back(json::Object{
          {"schedule", result.label},
          {"median_ms", milliseconds(result.medianMs)},
          {"failure", result.failure.empty() ? json::Value(nullptr)
                                             : json::Value(result.failure)}});
    outs() << formatv(
        "{0:2}\n",
        json::Value(json::Object{{"layer", loaded->spec.name},
                                 {"tokens", tokens.getValue()},
                                 {"candidates", std::move(candidates)},
                                 {"chosen", best.label},
                                 {"chosen_ms", best.medianMs},
                                 {"default", base.label},
                                 {"default_ms", milliseconds(base.medianMs)},
                                 {"speedup", base.medianMs / best.medianMs},
                                 {"skipped", report->skipped},
                                 {"seconds", report->seconds},
                                 {"key", report->key}}));
    return ExitOk;
  }
  outs() << fmt::format("{}: {} schedules in {:.1f} s ({} skipped); at {} "
                        "tokens the fastest is {}: {:.4f} ms, {:.2f}x the "
                        "default ({:.4f} ms)\n",
                        loaded->spec.name, report->results.size(),
                        report->seconds, report->skipped, tokens.getValue(),
                        best.label, best.medianMs,
                        base.medianMs / best.medianMs, base.medianMs);
  return ExitOk;
}

Command &autotuneCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc
