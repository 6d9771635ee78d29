//===- BenchCommand.cpp - `pfc bench`: a layer against its baselines ------===//
//
// Times pfc's JIT-compiled forward, the dense GEMM of the same shape (OpenBLAS
// sgemm) and a plain BSR loop in one run, and prints the ratios DESIGN.md
// defines ("Performance: how it is measured"): efficiency E = FLOP/s on the
// nonzero blocks ÷ dense FLOP/s, and the speed-up over dense.
//
//===----------------------------------------------------------------------===//
#include "Baselines.h"
#include "Commands.h"
#include "JsonOutput.h"

#include "pfc/Runtime/Params.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <thread>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("bench", "Time a layer's forward against dense "
                                   "sgemm and a plain BSR loop");
static cl::opt<std::string> specPath(cl::Positional, cl::Required,
                                     cl::desc("<layer.yaml>"), cl::sub(sub),
                                     cl::cat(pfcCategory()));
static cl::opt<int64_t> tokens("tokens", cl::Required,
                               cl::desc("Tokens per forward call (rows of x)"),
                               cl::value_desc("T"), cl::sub(sub),
                               cl::cat(pfcCategory()));
static cl::opt<bool> json("json",
                          cl::desc("Print the results as one JSON "
                                   "object"),
                          cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<int64_t>
    threads("threads",
            cl::desc("Threads for pfc, OpenBLAS and the BSR loop alike "
                     "(default: every hardware thread)"),
            cl::value_desc("N"), cl::init(0), cl::sub(sub),
            cl::cat(pfcCategory()));
static cl::opt<int64_t>
    repeat("repeat",
           cl::desc("Calls per timed batch (default: enough for about 0.3 s "
                    "per kernel over all batches)"),
           cl::value_desc("R"), cl::init(0), cl::sub(sub),
           cl::cat(pfcCategory()));

namespace {

constexpr int kBatches = 5;
constexpr double kSecondsPerKernel = 0.3;
/// pfc against the BSR loop, both fp32: far above rounding, far below a bug.
constexpr double kTolerance = 1e-4;

/// The time of one call: the best of kBatches batches of `calls` calls each.
struct Timing {
  double seconds = 0.0;
  int64_t calls = 0;
};

Timing timeCalls(const std::function<void()> &call, int64_t callsPerBatch) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  call(); // warm-up: first-touch page faults, thread start-up, caches
  Clock::time_point start = Clock::now();
  call();
  const double once = std::max(since(start), 1e-9);
  Timing timing;
  timing.calls =
      callsPerBatch > 0
          ? callsPerBatch
          : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(
                                     kSecondsPerKernel / kBatches / once)));
  timing.seconds = std::numeric_limits<double>::infinity();
  for (int batch = 0; batch < kBatches; ++batch) {
    start = Clock::now();
    for (int64_t i = 0; i < timing.calls; ++i)
      call();
    timing.seconds = std::min(timing.seconds, since(start) / timing.calls);
  }
  return timing;
}

std::vector<float> uniformValues(std::mt19937_64 &engine, size_t count) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float &value : values)
    value = uniform(engine);
  return values;
}

/// ||got − want||₂ / ||want||₂; NaN when `got` holds a NaN.
double relativeError(const std::vector<float> &got,
                     const std::vector<float> &want) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = double(got[i]) - double(want[i]);
    diff += d * d;
    norm += double(want[i]) * double(want[i]);
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

struct Results {
  int64_t threads = 0;
  double compileSeconds = 0.0;
  double error = 0.0;
  Timing pfc, bsr, dense;
  double nonzeroFlops = 0.0; ///< 2·T·nnz·b²: the block-sparse work
  double layerFlops = 0.0;   ///< plus the low-rank term, 2·T·r·(in+out)
  double denseFlops = 0.0;   ///< 2·T·in·out
  std::string openBlasCore;
  std::vector<std::string> unsetVariables;

  double gflops(double flops, const Timing &timing) const {
    return flops / timing.seconds * 1e-9;
  }
  double efficiency(const Timing &timing) const {
    return gflops(nonzeroFlops, timing) / gflops(denseFlops, dense);
  }
  double speedup(const Timing &timing) const {
    return dense.seconds / timing.seconds;
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
  os << fmt::format("density {:.4f} ({} of {} blocks), JIT compile {:.1f} ms\n",
                    mask.density(), mask.nnzBlocks(),
                    mask.blockRows * mask.blockCols, r.compileSeconds * 1e3);
  os << fmt::format("{:<34} {:>9} {:>9} {:>6} {:>8}\n", "kernel", "ms/call",
                    "GFLOP/s", "E", "speedup");
  os << fmt::format("{:<34} {:>9.3f} {:>9.1f} {:>6} {:>8.2f}\n",
                    "dense sgemm (OpenBLAS " + r.openBlasCore + ")",
                    r.dense.seconds * 1e3, r.gflops(r.denseFlops, r.dense), "-",
                    1.0);
  auto row = [&](const std::string &name, const Timing &timing) {
    os << fmt::format("{:<34} {:>9.3f} {:>9.1f} {:>6.3f} {:>8.2f}\n", name,
                      timing.seconds * 1e3, r.gflops(r.nonzeroFlops, timing),
                      r.efficiency(timing), r.speedup(timing));
  };
  row("pfc", r.pfc);
  row(fmt::format("BSR loop ({} std::thread{})", r.threads,
                  r.threads == 1 ? "" : "s"),
      r.bsr);
  os << fmt::format(
      "GFLOP/s and E count the nonzero blocks only, 2*T*nnz*b^2 = {:.3f} "
      "GFLOP per call (dense 2*T*in*out = {:.3f})\n",
      r.nonzeroFlops * 1e-9, r.denseFlops * 1e-9);
  os << fmt::format("pfc on the whole layer, with the low-rank term "
                    "2*T*r*(in+out): {:.3f} GFLOP, {:.1f} GFLOP/s\n",
                    r.layerFlops * 1e-9, r.gflops(r.layerFlops, r.pfc));
  os << fmt::format("times: best of {} batches of {} (pfc), {} (BSR loop), "
                    "{} (sgemm) calls\n",
                    kBatches, r.pfc.calls, r.bsr.calls, r.dense.calls);
  os << fmt::format("pfc vs BSR loop: relative error {:.2e} (normwise)\n",
                    r.error);
  if (!r.unsetVariables.empty()) {
    os << "OpenBLAS loaded without";
    for (const std::string &variable : r.unsetVariables)
      os << " " << variable;
    os << "\n";
  }
}

void printJson(const LayerSpec &spec, const BlockMask &mask, const Results &r,
               raw_ostream &os) {
  json::Array unset;
  for (const std::string &variable : r.unsetVariables)
    unset.push_back(variable);
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
      {"nonzero_gflop", r.nonzeroFlops * 1e-9},
      {"layer_gflop", r.layerFlops * 1e-9},
      {"dense_gflop", r.denseFlops * 1e-9},
      {"pfc_ms", r.pfc.seconds * 1e3},
      {"bsr_ms", r.bsr.seconds * 1e3},
      {"dense_ms", r.dense.seconds * 1e3},
      {"pfc_gflops", r.gflops(r.nonzeroFlops, r.pfc)},
      {"pfc_layer_gflops", r.gflops(r.layerFlops, r.pfc)},
      {"bsr_gflops", r.gflops(r.nonzeroFlops, r.bsr)},
      {"dense_gflops", r.gflops(r.denseFlops, r.dense)},
      {"efficiency", r.efficiency(r.pfc)},
      {"bsr_efficiency", r.efficiency(r.bsr)},
      {"speedup", r.speedup(r.pfc)},
      {"bsr_speedup", r.speedup(r.bsr)},
      {"relative_error", r.error},
      {"timing", fmt::format("best of {} batches", kBatches)},
      {"calls_per_batch", json::Object{{"pfc", r.pfc.calls},
                                       {"bsr", r.bsr.calls},
                                       {"dense", r.dense.calls}}},
      {"bsr_threading", "tokens split over std::threads"},
      {"efficiency_work", "nonzero blocks only: 2*T*nnz_blocks*b^2"},
      {"openblas_core", r.openBlasCore},
      {"openblas_unset", std::move(unset)}};
  os << formatv("{0:2}", json::Value(std::move(object))) << "\n";
}

} // namespace

static int run() {
  if (tokens <= 0)
    return reportError("--tokens must be positive (got " +
                       Twine(tokens.getValue()) + ")");
  if (threads < 0)
    return reportError("--threads must not be negative (got " +
                       Twine(threads.getValue()) + ")");
  if (repeat < 0)
    return reportError("--repeat must not be negative (got " +
                       Twine(repeat.getValue()) + ")");
  std::optional<LoadedLayer> loaded = loadLayerSpec(specPath);
  if (!loaded)
    return ExitBadInput;
  const LayerSpec &layer = loaded->spec;

  Results r;
  r.threads =
      threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  // Loaded first, so that a missing OpenBLAS is reported before the work.
  std::string error;
  std::unique_ptr<OpenBlas> blas = OpenBlas::load(r.threads, error);
  if (!blas)
    return reportError(error);
  if (blas->loadedEarlier())
    WithColor::warning(errs(), "pfc")
        << "OpenBLAS was loaded before pfc bench could unset "
           "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE; its kernel may not be "
           "the best for this machine\n";
  r.openBlasCore = blas->coreName();
  r.unsetVariables = blas->unsetVariables();

  auto compiled =
      compileLayer(layer, CompileOptions{r.threads}, &r.compileSeconds);
  if (!compiled)
    return reportError("cannot compile '" + layer.name +
                       "': " + toString(compiled.takeError()));
  Layer &pfcLayer = **compiled;
  const BlockMask &mask = pfcLayer.mask();
  LayerParams params = initParams(layer, mask, /*seed=*/0);
  if (!pfcLayer.setParams(params, error))
    return reportError(error);
  BsrLoopLayer bsrLayer(layer, mask, params);

  const int64_t in = layer.inFeatures, out = layer.outFeatures, t = tokens;
  std::mt19937_64 engine(0);
  std::vector<float> x = uniformValues(engine, t * in);
  std::vector<float> w = uniformValues(engine, out * in);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> yPfc(t * out, nan), yBsr(t * out, nan), yDense(t * out);

  pfcLayer.forward(x.data(), t, yPfc.data());
  bsrLayer.forward(x.data(), t, yBsr.data(), r.threads);
  r.error = relativeError(yPfc, yBsr);
  if (!(r.error <= kTolerance))
    return reportError(fmt::format(
        "pfc's output differs from the BSR loop's: relative error {:.3g} "
        "(tolerance {:g})",
        r.error, kTolerance));

  // OpenBLAS last: its workers spin for a while after each call and would
  // take a core from whatever ran next.
  r.pfc =
      timeCalls([&] { pfcLayer.forward(x.data(), t, yPfc.data()); }, repeat);
  r.bsr = timeCalls(
      [&] { bsrLayer.forward(x.data(), t, yBsr.data(), r.threads); }, repeat);
  r.dense = timeCalls(
      [&] {
        blas->denseForward(x.data(), w.data(), yDense.data(), t, in, out);
      },
      repeat);

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

Command &benchCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc
