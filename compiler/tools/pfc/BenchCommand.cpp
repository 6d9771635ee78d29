//===- BenchCommand.cpp - `pfc bench`: a layer against its baselines ------===//
//
// Times pfc's JIT-compiled forward, the dense GEMM of the same shape (OpenBLAS
// sgemm) and a plain BSR loop in one run, and prints the ratios DESIGN.md
// defines ("Performance: how it is measured"): efficiency E = FLOP/s on the
// nonzero blocks ÷ dense FLOP/s, measured on the block-sparse part alone (the
// spec compiled again with rank 0 and no bias), and the whole layer's time,
// speed-up over dense and whole-layer ratio; the same for the backward pass
// (dX and every parameter's gradient) against the dense layer's two sgemms,
// dX = dY·W and dW = dYᵀ·X. `--sweep` runs issue 4's sweep
// instead (Sweep.cpp).
//
//===----------------------------------------------------------------------===//
#include "AttentionBench.h"
#include "Baselines.h"
#include "BenchLayer.h"
#include "Commands.h"
#include "Sweep.h"
#include "Timing.h"
#include "TrainBench.h"

#include "pfc/Cli/JsonOutput.h"
#include "pfc/Runtime/KernelCache.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <random>
#include <thread>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("bench",
                          "Time a layer's forward against dense sgemm and a "
                          "plain BSR loop, or an attention against dense "
                          "attention");
// Required unless --sweep: checked in run().
static SpecArgument specPath(sub, "<layer.yaml>", /*required=*/false);
// With --train: the net to compare with the first.
static SpecArgument secondPath(sub, "[<net.yaml>]", /*required=*/false);
static cl::opt<int64_t> tokens("tokens",
                               cl::desc("Tokens per forward call (rows of x)"),
                               cl::value_desc("T"), cl::sub(sub),
                               cl::cat(pfcCategory()));
static JsonFlag json(sub, "Print the results as one JSON "
                          "object");
static cl::opt<int64_t> batch(
    "batch", cl::desc("With an attention spec: sequences per call (default 1)"),
    cl::value_desc("B"), cl::init(1), cl::sub(sub), cl::cat(pfcCategory()));
static ThreadsOption threads(sub,
                             "Threads for pfc, OpenBLAS and the BSR loop alike "
                             "(default: every hardware thread)");
static ScheduleFlags scheduleFlags(sub);
static cl::opt<int64_t>
    repeat("repeat",
           cl::desc("Calls per timed batch (default: enough for about 0.3 s "
                    "per kernel over all batches)"),
           cl::value_desc("R"), cl::init(0), cl::sub(sub),
           cl::cat(pfcCategory()));
static cl::opt<bool>
    sweep("sweep",
          cl::desc("Instead of one spec: issue 4's sweep over shapes, block "
                   "sizes, densities and token counts; prints a table and "
                   "writes sweep.csv and sweep.svg to -o <dir>"),
          cl::sub(sub), cl::cat(pfcCategory()));
static OutputOption outputDir(sub,
                              "With --sweep: the directory for sweep.csv and "
                              "sweep.svg",
                              "dir", /*required=*/false);
static cl::opt<bool>
    train("train",
          cl::desc("Instead of a layer: time training steps of a net spec, "
                   "or of two (pfc bench --train dense.yaml pixelfly.yaml), "
                   "and print the first's step time over the second's"),
          cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<bool>
    quick("quick",
          cl::desc("With --sweep: one shape, block size and density at two "
                   "token counts; with --train: three short rounds (seconds, "
                   "for tests)"),
          cl::sub(sub), cl::cat(pfcCategory()));

namespace {

constexpr int kBatches = 5;
constexpr double kSecondsPerKernel = 0.3;
/// pfc against the BSR loop, both fp32: far above rounding, far below a bug.
constexpr double kTolerance = 1e-4;

struct Results {
  int64_t threads = 0;
  /// The spec was its own block-sparse part (rank 0, no bias): timed once.
  bool sparseOnly = false;
  double compileSeconds = 0.0, sparseCompileSeconds = 0.0;
  /// The layer compiled without the kernel cache, and loaded from it (NaN
  /// when the cache is off).
  double coldCompileSeconds = 0.0, cachedCompileSeconds = 0.0;
  double error = 0.0, sparseError = 0.0;
  Timing whole, sparse, bsrWhole, bsrSparse;
  /// Backward passes: pfc's whole layer and block-sparse part (each twice
  /// the forward's FLOPs).
  Timing wholeBackward, sparseBackward;
  /// Each dense library's forward sgemm and backward's two sgemms.
  struct Dense {
    std::string name;
    bool generic = false;
    Timing forward, backward;
  };
  std::vector<Dense> denseLibraries;
  /// The fastest library's forward and backward: what E and the speed-ups
  /// count against.
  Timing dense, denseBackward;
  std::string denseName, denseBackwardName;
  double nonzeroFlops = 0.0; ///< 2·T·nnz·b²: the block-sparse work
  double layerFlops = 0.0;   ///< plus the low-rank term, 2·T·r·(in+out)
  double denseFlops = 0.0;   ///< 2·T·in·out
  /// How the dense libraries were loaded, and those not found.
  std::vector<std::string> denseNotes;

  double gflops(double flops, const Timing &timing) const {
    return flops / timing.seconds * 1e-9;
  }
  /// E of a block-sparse-part timing: nonzero FLOP/s ÷ dense FLOP/s.
  double efficiency(const Timing &timing) const {
    return gflops(nonzeroFlops, timing) / gflops(denseFlops, dense);
  }
  double speedup(const Timing &timing) const {
    return dense.seconds / timing.seconds;
  }
  /// E of the block-sparse part's backward: its nonzero FLOP/s (dX and dB,
  /// 2·2·T·nnz·b²) ÷ the dense backward's FLOP/s.
  double backwardEfficiency() const {
    return gflops(2 * nonzeroFlops, sparseBackward) /
           gflops(2 * denseFlops, denseBackward);
  }
  /// The whole layer's time ÷ the time its FLOPs take at the block-sparse
  /// part's FLOP/s (issue 4's target: at most 1.10).
  double wholeLayerRatio() const {
    return whole.seconds / (layerFlops / (nonzeroFlops / sparse.seconds));
  }
};

void printText(const LayerSpec &spec, const BlockMask &mask, const Results &r,
               raw_ostream &os) {
  os << fmt::format("{}: {}x{}, {}, block {}, rank {}, gamma {}; {} tokens, "
                    "{} thread{}\n",
                    spec.name, spec.outFeatures, spec.inFeatures,
                    spec.butterfly.str(), spec.block, spec.rank,
                    toString(spec.gammaMode), tokens.getValue(), r.threads,
                    r.threads == 1 ? "" : "s");
  os << fmt::format("density {:.4f} ({} of {} blocks), JIT compile {:.1f} ms "
                    "cold, ",
                    mask.density(), mask.nnzBlocks(),
                    mask.blockRows * mask.blockCols,
                    r.coldCompileSeconds * 1e3);
  if (std::isfinite(r.cachedCompileSeconds))
    os << fmt::format("{:.1f} ms from the kernel cache ({:.0f}x faster)\n",
                      r.cachedCompileSeconds * 1e3,
                      r.coldCompileSeconds / r.cachedCompileSeconds);
  else
    os << "the kernel cache is off\n";
  os << fmt::format("{:<40} {:>9} {:>9} {:>6} {:>8}\n", "kernel", "ms/call",
                    "GFLOP/s", "E", "speedup");
  // Each dense library; the speed-up column is the fastest's time over its.
  auto denseRows = [&](const char *what, double flops, auto pass,
                       const Timing &fastest) {
    for (const Results::Dense &d : r.denseLibraries) {
      const Timing &timing = d.*pass;
      os << fmt::format(
          "{:<40} {:>9.3f} {:>9.1f} {:>6} {:>8.2f}\n",
          fmt::format("{}{}{}{}", what, d.name, d.generic ? " (generic)" : "",
                      timing.seconds == fastest.seconds ? " *" : ""),
          timing.seconds * 1e3, r.gflops(flops, timing), "-",
          fastest.seconds / timing.seconds);
    }
  };
  denseRows("dense sgemm ", r.denseFlops, &Results::Dense::forward, r.dense);
  auto sparseRow = [&](const std::string &name, const Timing &timing) {
    os << fmt::format("{:<40} {:>9.3f} {:>9.1f} {:>6.3f} {:>8.2f}\n", name,
                      timing.seconds * 1e3, r.gflops(r.nonzeroFlops, timing),
                      r.efficiency(timing), r.speedup(timing));
  };
  auto wholeRow = [&](const std::string &name, const Timing &timing) {
    os << fmt::format("{:<40} {:>9.3f} {:>9.1f} {:>6} {:>8.2f}\n", name,
                      timing.seconds * 1e3, r.gflops(r.layerFlops, timing), "-",
                      r.speedup(timing));
  };
  sparseRow("pfc, block-sparse part", r.sparse);
  sparseRow("BSR loop, block-sparse part", r.bsrSparse);
  wholeRow("pfc, whole layer", r.whole);
  wholeRow("BSR loop, whole layer", r.bsrWhole);
  denseRows("backward: ", 2 * r.denseFlops, &Results::Dense::backward,
            r.denseBackward);
  os << fmt::format(
      "{:<40} {:>9.3f} {:>9.1f} {:>6.3f} {:>8.2f}\n",
      "backward: pfc, block-sparse part", r.sparseBackward.seconds * 1e3,
      r.gflops(2 * r.nonzeroFlops, r.sparseBackward), r.backwardEfficiency(),
      r.denseBackward.seconds / r.sparseBackward.seconds);
  os << fmt::format("{:<40} {:>9.3f} {:>9.1f} {:>6} {:>8.2f}\n",
                    "backward: pfc, whole layer", r.wholeBackward.seconds * 1e3,
                    r.gflops(2 * r.layerFlops, r.wholeBackward), "-",
                    r.denseBackward.seconds / r.wholeBackward.seconds);
  os << fmt::format(
      "block-sparse part: the spec with rank 0 and no bias{}; its GFLOP/s and "
      "E count the nonzero blocks, 2*T*nnz*b^2 = {:.3f} GFLOP per call (dense "
      "2*T*in*out = {:.3f})\n",
      r.sparseOnly ? " (this spec itself)" : "", r.nonzeroFlops * 1e-9,
      r.denseFlops * 1e-9);
  os << fmt::format("whole layer: plus the low-rank term 2*T*r*(in+out), "
                    "{:.3f} GFLOP per call in all\n",
                    r.layerFlops * 1e-9);
  os << fmt::format("backward: dX and all gradients; its FLOPs are twice the "
                    "forward's, its E and speed-up against the dense "
                    "backward (dX = dY*W, dW = dY^T*X: 2 sgemm)\n");
  os << fmt::format("dense: E and speed-ups against the fastest library "
                    "(*), {} forward and {} backward\n",
                    r.denseName, r.denseBackwardName);
  os << fmt::format("whole-layer ratio {:.3f} (target <= 1.10): whole-layer "
                    "time / (its FLOPs at the block-sparse part's FLOP/s)\n",
                    r.wholeLayerRatio());
  os << fmt::format("times: best of {} batches of {} (pfc, whole), {} (pfc, "
                    "block-sparse), {} and {} (BSR loop), {} (sgemm) calls; "
                    "the BSR loop splits tokens over {} std::thread{}\n",
                    kBatches, r.whole.calls, r.sparse.calls, r.bsrWhole.calls,
                    r.bsrSparse.calls, r.dense.calls, r.threads,
                    r.threads == 1 ? "" : "s");
  os << fmt::format("pfc vs BSR loop: relative error {:.2e} (whole layer), "
                    "{:.2e} (block-sparse part), normwise\n",
                    r.error, r.sparseError);
  for (const std::string &note : r.denseNotes)
    os << note << "\n";
}

void printJson(const LayerSpec &spec, const BlockMask &mask, const Results &r,
               raw_ostream &os) {
  json::Array dense, notes;
  for (const Results::Dense &d : r.denseLibraries)
    dense.push_back(json::Object{
        {"name", d.name},
        {"generic_kernel", d.generic},
        {"ms", d.forward.seconds * 1e3},
        {"gflops", r.gflops(r.denseFlops, d.forward)},
        {"backward_ms", d.backward.seconds * 1e3},
        {"backward_gflops", r.gflops(2 * r.denseFlops, d.backward)}});
  for (const std::string &note : r.denseNotes)
    notes.push_back(note);
  json::Object object{
      {"name", spec.name},
      {"in_features", spec.inFeatures},
      {"out_features", spec.outFeatures},
      {"spec", toJson(spec)},
      {"tokens", tokens.getValue()},
      {"threads", r.threads},
      {"density", mask.density()},
      {"nnz_blocks", mask.nnzBlocks()},
      {"compile_ms", r.compileSeconds * 1e3},
      {"cold_compile_ms", r.coldCompileSeconds * 1e3},
      {"cached_compile_ms", std::isfinite(r.cachedCompileSeconds)
                                ? json::Value(r.cachedCompileSeconds * 1e3)
                                : json::Value(nullptr)},
      {"sparse_compile_ms", r.sparseCompileSeconds * 1e3},
      {"nonzero_gflop", r.nonzeroFlops * 1e-9},
      {"layer_gflop", r.layerFlops * 1e-9},
      {"dense_gflop", r.denseFlops * 1e-9},
      {"pfc_ms", r.whole.seconds * 1e3},
      {"whole_ms", r.whole.seconds * 1e3},
      {"sparse_ms", r.sparse.seconds * 1e3},
      {"bsr_ms", r.bsrWhole.seconds * 1e3},
      {"bsr_sparse_ms", r.bsrSparse.seconds * 1e3},
      {"dense_ms", r.dense.seconds * 1e3},
      {"pfc_gflops", r.gflops(r.nonzeroFlops, r.sparse)},
      {"pfc_layer_gflops", r.gflops(r.layerFlops, r.whole)},
      {"bsr_gflops", r.gflops(r.nonzeroFlops, r.bsrSparse)},
      {"bsr_layer_gflops", r.gflops(r.layerFlops, r.bsrWhole)},
      {"dense_gflops", r.gflops(r.denseFlops, r.dense)},
      {"efficiency", r.efficiency(r.sparse)},
      {"bsr_efficiency", r.efficiency(r.bsrSparse)},
      {"speedup", r.speedup(r.whole)},
      {"sparse_speedup", r.speedup(r.sparse)},
      {"bsr_speedup", r.speedup(r.bsrWhole)},
      {"whole_layer_ratio", r.wholeLayerRatio()},
      {"backward_ms", r.wholeBackward.seconds * 1e3},
      {"backward_sparse_ms", r.sparseBackward.seconds * 1e3},
      {"dense_backward_ms", r.denseBackward.seconds * 1e3},
      {"backward_efficiency", r.backwardEfficiency()},
      {"backward_speedup", r.denseBackward.seconds / r.wholeBackward.seconds},
      {"relative_error", r.error},
      {"sparse_relative_error", r.sparseError},
      {"timing", fmt::format("best of {} batches", kBatches)},
      {"calls_per_batch", json::Object{{"pfc", r.whole.calls},
                                       {"sparse", r.sparse.calls},
                                       {"bsr", r.bsrWhole.calls},
                                       {"bsr_sparse", r.bsrSparse.calls},
                                       {"dense", r.dense.calls}}},
      {"bsr_threading", "tokens split over std::threads"},
      {"efficiency_work",
       "the block-sparse part alone (the spec with rank 0 and no bias): "
       "2*T*nnz_blocks*b^2 over sparse_ms (bsr_sparse_ms for "
       "bsr_efficiency); pfc_ms, speedup and whole_layer_ratio are the whole "
       "layer's"},
      {"dense_library", r.denseName},
      {"dense_backward_library", r.denseBackwardName},
      {"dense_libraries", std::move(dense)},
      {"dense_notes", std::move(notes)}};
  os << formatv("{0:2}", json::Value(std::move(object))) << "\n";
}

/// `pfc bench SPEC --tokens T`.
int runLayer(int64_t threadCount) {
  if (tokens <= 0)
    return reportError("--tokens must be positive (got " +
                       Twine(tokens.getValue()) + ")");
  if (repeat < 0)
    return reportError("--repeat must not be negative (got " +
                       Twine(repeat.getValue()) + ")");
  std::optional<LoadedLayer> loaded = loadLayerSpec(specPath, /*cpu=*/true);
  if (!loaded)
    return ExitBadInput;
  const LayerSpec &layer = loaded->spec;
  // x, the dense weight, three outputs and the dense baseline's: f32 each.
  const double tokenCount = static_cast<double>(tokens.getValue());
  if (int code = checkFitsInMemory(
          4.0 * (tokenCount * layer.inFeatures +
                 double(layer.outFeatures) * layer.inFeatures +
                 4.0 * tokenCount * layer.outFeatures),
          "--tokens " + Twine(tokens.getValue()) + " with layer '" +
              layer.name + "': the arrays"))
    return code;

  Results r;
  r.threads = threadCount;
  // Loaded first, so that a missing library is reported before the work.
  const BlasLibraries denseLibraries = loadDenseBaselines(r.threads);
  if (denseLibraries.found.empty())
    return reportError("no dense library to compare with: " +
                       denseLibraries.whyMissing());
  for (const std::unique_ptr<Blas> &blas : denseLibraries.found)
    for (const std::string &note : blas->notes())
      r.denseNotes.push_back(blas->library() + std::string(": ") + note);
  for (const std::string &why : denseLibraries.missing)
    r.denseNotes.push_back("not compared: " + why);

  // The layer, and its block-sparse part alone for E.
  r.sparseOnly = isBlockSparseOnly(layer);
  const LayerSpec sparseSpec = r.sparseOnly ? layer : blockSparsePart(layer);
  auto whole = compileBenchLayer(
      layer, CompileOptions(r.threads, scheduleFlags.choice(), tokens));
  if (!whole)
    return reportError("cannot compile '" + layer.name +
                       "': " + toString(whole.takeError()));
  r.compileSeconds = whole->compileSeconds;
  // The compile time without the kernel cache, and from it (the layer is
  // stored by now, unless the cache is off).
  {
    CompileOptions options(r.threads, scheduleFlags.choice(), tokens);
    options.useCache = false;
    auto cold = compileLayer(layer, options, &r.coldCompileSeconds);
    if (!cold)
      return reportError(toString(cold.takeError()));
    auto cached = compileLayer(
        layer, CompileOptions(r.threads, scheduleFlags.choice(), tokens),
        &r.cachedCompileSeconds);
    if (!cached)
      return reportError(toString(cached.takeError()));
    if (!KernelCache::fromEnvironment())
      r.cachedCompileSeconds = std::numeric_limits<double>::quiet_NaN();
  }
  std::optional<BenchLayer> sparseOwned;
  if (!r.sparseOnly) {
    auto sparse = compileBenchLayer(
        sparseSpec, CompileOptions(r.threads, scheduleFlags.choice(), tokens));
    if (!sparse)
      return reportError("cannot compile the block-sparse part of '" +
                         layer.name + "': " + toString(sparse.takeError()));
    sparseOwned = std::move(*sparse);
  }
  const BenchLayer &sparse = r.sparseOnly ? *whole : *sparseOwned;
  r.sparseCompileSeconds = sparse.compileSeconds;
  const BlockMask &mask = whole->layer->mask();
  BsrLoopLayer bsrWhole(layer, mask, whole->params);
  BsrLoopLayer bsrSparse(sparseSpec, mask, sparse.params);

  const int64_t in = layer.inFeatures, out = layer.outFeatures, t = tokens;
  std::mt19937_64 engine(0);
  std::vector<float> x = uniformValues(engine, t * in);
  std::vector<float> w = uniformValues(engine, out * in);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> yPfc(t * out, nan), yBsr(t * out, nan), yDense(t * out);

  auto check = [&](const BenchLayer &pfc, const BsrLoopLayer &bsr,
                   double &relative, const char *what) {
    std::fill(yPfc.begin(), yPfc.end(), nan);
    std::fill(yBsr.begin(), yBsr.end(), nan);
    pfc.layer->forward(x.data(), t, yPfc.data());
    bsr.forward(x.data(), t, yBsr.data(), r.threads);
    relative = relativeError(yPfc, yBsr);
    if (relative <= kTolerance)
      return true;
    reportError(fmt::format("pfc's output differs from the BSR loop's{}: "
                            "relative error {:.3g} (tolerance {:g})",
                            what, relative, kTolerance));
    return false;
  };
  if (!check(*whole, bsrWhole, r.error, "") ||
      !check(sparse, bsrSparse, r.sparseError, " (block-sparse part)"))
    return ExitBadInput;

  // The dense libraries last: their workers spin for a while after each
  // call and would take a core from whatever ran next.
  const TimingPolicy policy{kSecondsPerKernel, kBatches, kBatches, repeat};
  r.whole = timeCalls([&] { whole->layer->forward(x.data(), t, yPfc.data()); },
                      policy);
  r.sparse =
      r.sparseOnly
          ? r.whole
          : timeCalls([&] { sparse.layer->forward(x.data(), t, yPfc.data()); },
                      policy);
  r.bsrWhole = timeCalls(
      [&] { bsrWhole.forward(x.data(), t, yBsr.data(), r.threads); }, policy);
  r.bsrSparse =
      r.sparseOnly
          ? r.bsrWhole
          : timeCalls(
                [&] { bsrSparse.forward(x.data(), t, yBsr.data(), r.threads); },
                policy);
  // Backward passes, dY drawn like x.
  std::vector<float> dy = uniformValues(engine, t * out), dx(t * in);
  std::vector<float> dw(out * in);
  LayerParams grads;
  r.wholeBackward = timeCalls(
      [&] { whole->layer->backward(x.data(), dy.data(), t, dx.data(), grads); },
      policy);
  r.sparseBackward = r.sparseOnly
                         ? r.wholeBackward
                         : timeCalls(
                               [&] {
                                 sparse.layer->backward(x.data(), dy.data(), t,
                                                        dx.data(), grads);
                               },
                               policy);
  for (const std::unique_ptr<Blas> &blas : denseLibraries.found) {
    Results::Dense d{blas->name(), blas->genericKernel(), {}, {}};
    d.forward = timeCalls(
        [&] {
          blas->denseForward(x.data(), w.data(), yDense.data(), t, in, out);
        },
        policy);
    d.backward = timeCalls(
        [&] {
          blas->sgemm(false, false, t, in, out, 1.0f, dy.data(), out, w.data(),
                      in, 0.0f, dx.data(), in);
          blas->sgemm(true, false, out, in, t, 1.0f, dy.data(), out, x.data(),
                      in, 0.0f, dw.data(), in);
        },
        policy);
    if (r.denseName.empty() || d.forward.seconds < r.dense.seconds) {
      r.dense = d.forward;
      r.denseName = d.name;
    }
    if (r.denseBackwardName.empty() ||
        d.backward.seconds < r.denseBackward.seconds) {
      r.denseBackward = d.backward;
      r.denseBackwardName = d.name;
    }
    r.denseLibraries.push_back(std::move(d));
  }

  const double b = static_cast<double>(mask.block);
  r.nonzeroFlops = 2.0 * t * mask.nnzBlocks() * b * b;
  r.layerFlops = r.nonzeroFlops + 2.0 * t * layer.rank * (in + out);
  r.denseFlops = 2.0 * t * in * out;
  if (json)
    printJson(layer, mask, r, outs());
  else
    printText(layer, mask, r, outs());
  return ExitOk;
}

/// `pfc bench --sweep -o DIR [--quick]`.
int runSweepCommand(int64_t threadCount) {
  if (!specPath.empty() || tokens.getNumOccurrences() ||
      repeat.getNumOccurrences() || json) {
    reportError("--sweep builds its own layers and token counts: it "
                "takes no spec, --tokens, --repeat or --json");
    return ExitUsage;
  }
  if (outputDir.empty()) {
    reportError("--sweep needs -o <dir> for sweep.csv and sweep.svg");
    return ExitUsage;
  }
  SweepOptions options;
  options.outputDir = outputDir;
  options.quick = quick;
  options.threads = threadCount;
  return runSweep(options);
}

} // namespace

static int run() {
  if (threads < 0)
    return reportError("--threads must not be negative (got " +
                       Twine(threads.getValue()) + ")");
  const int64_t threadCount =
      threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  if (sweep && train) {
    reportError("--sweep and --train are two benchmarks: give one");
    return ExitUsage;
  }
  if (sweep)
    return runSweepCommand(threadCount);
  if (train) {
    if (specPath.empty() || tokens.getNumOccurrences() ||
        repeat.getNumOccurrences() || !outputDir.empty()) {
      reportError("--train takes one or two net specs, and no --tokens, "
                  "--repeat or -o");
      return ExitUsage;
    }
    TrainBenchOptions options;
    if (quick) {
      options.rounds = 3;
      options.secondsPerRound = 0.02;
    }
    options.nets.push_back(specPath);
    if (!secondPath.empty())
      options.nets.push_back(secondPath);
    options.threads = threadCount;
    options.json = json;
    return runTrainBench(options);
  }
  if (!secondPath.empty()) {
    reportError("one layer spec at a time (two net specs go with --train)");
    return ExitUsage;
  }
  if (!outputDir.empty() || quick) {
    reportError("-o and --quick go with --sweep (--quick also with --train)");
    return ExitUsage;
  }
  if (specPath.empty()) {
    reportError("no layer spec given (pfc bench <layer.yaml> --tokens "
                "T, or pfc bench --sweep -o <dir>)");
    return ExitUsage;
  }
  std::optional<Spec> spec =
      parseSpecFile(specPath, diagnostics(),
                    SpecKind::Layer | SpecKind::Attention, "the CPU target");
  if (!spec)
    return ExitBadInput;
  if (const auto *attention = std::get_if<AttentionSpec>(&*spec)) {
    if (batch < 1 || repeat < 0)
      return reportError("--batch must be positive and --repeat not "
                         "negative");
    AttentionBenchOptions options;
    if (tokens.getNumOccurrences())
      options.tokens.push_back(tokens);
    options.batch = batch;
    options.threads = threadCount;
    options.repeat = repeat;
    options.json = json;
    return runAttentionBench(*attention, options);
  }
  if (batch.getNumOccurrences())
    return reportError("--batch goes with an attention spec");
  if (!tokens.getNumOccurrences()) {
    reportError("--tokens is required with a layer spec");
    return ExitUsage;
  }
  return runLayer(threadCount);
}

Command &benchCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc
