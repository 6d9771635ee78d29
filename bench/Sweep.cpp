//===- Sweep.cpp - `pfc bench --sweep`: block sizes × densities × tokens --===//
//
// Every layer is built here, in C++: for each shape and block size, the
// butterfly patterns (S, factor count) whose block density is nearest each
// target density. Each is compiled once and timed at every token count;
// OpenBLAS sgemm is timed once per shape and token count, after the layers
// of that shape (its workers spin after a call and would take a core from
// whatever ran next).
//
//===----------------------------------------------------------------------===//
#include "Sweep.h"

#include "Baselines.h"
#include "BenchLayer.h"
#include "Timing.h"

#include "pfc/Cli/Cli.h"
#include "pfc/Pattern/Butterfly.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <thread>

using namespace llvm;

namespace pfc {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// pfc against the BSR loop, both fp32: far above rounding, far below a bug.
constexpr double kTolerance = 1e-4;
constexpr size_t kMiB = size_t{1} << 20;
/// Outputs are checked up to here (the BSR loop is slow at more tokens).
constexpr int64_t kCheckedTokens = 256;

struct Shape {
  int64_t in = 0, out = 0;
};

/// A whole layer (low-rank term and bias) timed beside its block-sparse part.
struct WholeCheck {
  Shape shape;
  int64_t block = 32;
  ButterflyPattern pattern;
  int64_t rank = 0;
  std::vector<int64_t> tokens;
};

struct SweepConfig {
  std::vector<Shape> shapes;
  std::vector<int64_t> blocks;
  std::vector<double> targetDensities;
  std::vector<int64_t> tokens;
  std::vector<WholeCheck> wholeChecks;
  size_t bandwidthBytes = 0;
  int bandwidthRepeats = 0;
  size_t flushBytes = 0;
  int64_t coldCalls = 0;
  TimingPolicy policy;
};

ButterflyPattern factorPattern(int64_t size, int64_t factors) {
  ButterflyPattern pattern;
  pattern.size = size;
  pattern.strides = ButterflyPattern::stridesForFactors(factors);
  return pattern;
}

SweepConfig fullConfig() {
  SweepConfig config;
  config.shapes = {
      {1024, 1024}, {2048, 2048}, {4096, 4096}, {768, 3072}, {3072, 768}};
  config.blocks = {16, 32, 64};
  config.targetDensities = {0.05, 0.10, 0.20, 0.30};
  config.tokens = {1, 16, 256, 1024, 4096};
  // specs/layers/mlp_fc1.yaml and mlp_fc2.yaml.
  for (Shape shape : {Shape{768, 3072}, Shape{3072, 768}})
    config.wholeChecks.push_back(
        {shape, 32, factorPattern(16, 2), 32, {1024, 4096}});
  config.bandwidthBytes = 512 * kMiB;
  config.bandwidthRepeats = 3;
  config.flushBytes = 256 * kMiB; // 8x this machine's 32 MiB L3
  config.coldCalls = 10;
  // About 0.5 s a kernel; calls longer than 0.1 s (4096 tokens on the
  // larger shapes) get 3 to 5 batches of one call. The whole sweep takes
  // about three minutes on two cores.
  config.policy = TimingPolicy{0.5, 5, 3, 0};
  return config;
}

/// Enough to run every path of the sweep in a few seconds (the lit test).
SweepConfig quickConfig() {
  SweepConfig config;
  config.shapes = {{1024, 1024}};
  config.blocks = {32};
  config.targetDensities = {0.10};
  config.tokens = {1, 256};
  config.wholeChecks.push_back(
      {{1024, 1024}, 32, factorPattern(16, 2), 32, {256}});
  config.bandwidthBytes = 64 * kMiB;
  config.bandwidthRepeats = 2;
  config.flushBytes = 64 * kMiB;
  config.coldCalls = 3;
  config.policy = TimingPolicy{0.03, 3, 2, 0};
  return config;
}

struct PatternChoice {
  ButterflyPattern pattern;
  BlockMask mask;
  double target = 0.0;
};

/// The patterns (power-of-two S dividing both padded dimensions, S ≤ dim/b,
/// strides {2, …, 2^m}) nearest each target density in ratio. A density
/// chosen twice is measured once, under the nearer target; of two patterns
/// with one density, the one with the smaller S.
std::vector<PatternChoice> choosePatterns(Shape shape, int64_t block,
                                          const std::vector<double> &targets) {
  const int64_t out = padTo(shape.out, block), in = padTo(shape.in, block);
  std::vector<PatternChoice> candidates;
  for (int64_t size = 2; size <= std::min(out, in) / block; size *= 2)
    for (int64_t factors = 1; (int64_t{1} << factors) <= size; ++factors) {
      ButterflyPattern pattern = factorPattern(size, factors);
      if (checkPatternFits(pattern, out, in).empty())
        candidates.push_back(
            {pattern, buildBlockMask(pattern, shape.out, shape.in, block)});
    }
  auto distance = [](const PatternChoice &choice, double target) {
    return std::abs(std::log(choice.mask.density() / target));
  };
  std::vector<PatternChoice> chosen;
  for (double target : targets) {
    const PatternChoice *best = nullptr;
    for (const PatternChoice &candidate : candidates)
      if (!best || distance(candidate, target) < distance(*best, target))
        best = &candidate;
    if (!best)
      continue;
    auto same = std::find_if(chosen.begin(), chosen.end(), [&](auto &choice) {
      return choice.mask.nnzBlocks() == best->mask.nnzBlocks();
    });
    if (same == chosen.end()) {
      chosen.push_back(*best);
      chosen.back().target = target;
    } else if (distance(*same, target) < distance(*same, same->target)) {
      same->target = target;
    }
  }
  std::sort(chosen.begin(), chosen.end(), [](auto &a, auto &b) {
    return a.mask.nnzBlocks() < b.mask.nnzBlocks();
  });
  return chosen;
}

LayerSpec makeSpec(Shape shape, int64_t block, const ButterflyPattern &pattern,
                   int64_t rank, bool bias) {
  LayerSpec spec;
  spec.name = fmt::format("sweep_{}_{}_b{}_s{}_m{}_r{}", shape.in, shape.out,
                          block, pattern.size, pattern.strides.size(), rank);
  spec.inFeatures = shape.in;
  spec.outFeatures = shape.out;
  spec.block = block;
  spec.butterfly = pattern;
  spec.rank = rank;
  spec.bias = bias;
  return spec;
}

/// The sweep's state: the baseline, buffers, and the rows measured so far.
class Sweep {
public:
  Sweep(const SweepConfig &config, int64_t threads, const BlasLibraries &dense)
      : config(config), threads(threads), dense(dense),
        flusher(config.flushBytes, threads) {}

  /// Measured again for each shape: on this virtual machine it changes
  /// during a run (41 or 72 GB/s copy, by the minute).
  void measureBandwidth() {
    bandwidth = measureMemoryBandwidth(config.bandwidthBytes, threads,
                                       config.bandwidthRepeats);
    errs() << fmt::format("sweep: memory: copy {:.1f} GB/s, read {:.1f} "
                          "GB/s\n",
                          bandwidth.copy * 1e-9, bandwidth.read * 1e-9);
  }
  const std::vector<SweepRow> &results() const { return rows; }
  const std::vector<JitRecord> &compiles() const { return jits; }

  /// Times every layer of `shape`, then dense sgemm; false after reporting.
  bool runShape(Shape shape);

private:
  /// x and y for up to `tokens` tokens of `shape`.
  void prepareBuffers(Shape shape, int64_t tokens);
  std::optional<BenchLayer> compile(const LayerSpec &spec);
  /// pfc against the BSR loop at the sweep's smaller token counts.
  bool checkOutput(const LayerSpec &spec, const BenchLayer &layer);
  SweepRow describe(const LayerSpec &spec, const BlockMask &mask,
                    const char *kind, double target) const;
  bool runSparse(Shape shape, int64_t block, const PatternChoice &choice);
  bool runWhole(const WholeCheck &check);
  void runDense(Shape shape, size_t firstRow);

  const SweepConfig &config;
  int64_t threads;
  const BlasLibraries &dense;
  CacheFlusher flusher;
  MemoryBandwidth bandwidth;
  std::mt19937_64 engine{0};
  std::vector<float> x, y;
  std::vector<SweepRow> rows;
  std::vector<JitRecord> jits;
};

void Sweep::prepareBuffers(Shape shape, int64_t tokens) {
  x = uniformValues(engine, tokens * shape.in);
  y.assign(tokens * shape.out, 0.0f);
}

std::optional<BenchLayer> Sweep::compile(const LayerSpec &spec) {
  CompileOptions options(threads);
  // The sweep measures the default schedules of the forward kernels, and
  // their cold compile time.
  options.useTuned = false;
  options.useCache = false;
  options.backward = false;
  auto compiled = compileBenchLayer(spec, options);
  if (!compiled) {
    reportError("cannot compile '" + spec.name +
                "': " + toString(compiled.takeError()));
    return std::nullopt;
  }
  jits.push_back(
      {fmt::format("{}->{} b={} {} rank {}", spec.inFeatures, spec.outFeatures,
                   spec.block, spec.butterfly.str(), spec.rank),
       compiled->compileSeconds});
  errs() << fmt::format("sweep: [{}] {}: density {:.4f}, JIT {:.0f} ms\n",
                        jits.size(), jits.back().layer,
                        compiled->layer->mask().density(),
                        compiled->compileSeconds * 1e3);
  return std::move(*compiled);
}

bool Sweep::checkOutput(const LayerSpec &spec, const BenchLayer &layer) {
  const BsrLoopLayer bsr(spec, layer.layer->mask(), layer.params);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Every token count up to kCheckedTokens: one token takes the block-row
  // split between threads, more the token split.
  for (int64_t tokens : config.tokens) {
    if (tokens > kCheckedTokens)
      continue;
    std::vector<float> got(tokens * spec.outFeatures, nan),
        want(tokens * spec.outFeatures, nan);
    layer.layer->forward(x.data(), tokens, got.data());
    bsr.forward(x.data(), tokens, want.data(), threads);
    const double error = relativeError(got, want);
    if (!(error <= kTolerance)) {
      reportError(fmt::format("{}: pfc's output differs from the BSR loop's "
                              "at {} tokens: relative error {:.3g} (tolerance "
                              "{:g})",
                              spec.name, tokens, error, kTolerance));
      return false;
    }
  }
  return true;
}

SweepRow Sweep::describe(const LayerSpec &spec, const BlockMask &mask,
                         const char *kind, double target) const {
  SweepRow row;
  row.kind = kind;
  row.inFeatures = spec.inFeatures;
  row.outFeatures = spec.outFeatures;
  row.block = spec.block;
  row.butterflySize = spec.butterfly.size;
  row.strides = spec.butterfly.strides;
  row.targetDensity = target;
  row.density = mask.density();
  row.nnzBlocks = mask.nnzBlocks();
  row.rank = spec.rank;
  row.bias = spec.bias;
  row.threads = threads;
  row.coldSeconds = kNaN;
  row.copyBandwidth = bandwidth.copy;
  row.readBandwidth = bandwidth.read;
  return row;
}

bool Sweep::runSparse(Shape shape, int64_t block, const PatternChoice &choice) {
  const LayerSpec spec =
      makeSpec(shape, block, choice.pattern, /*rank=*/0, /*bias=*/false);
  std::optional<BenchLayer> layer = compile(spec);
  if (!layer || !checkOutput(spec, *layer))
    return false;
  const Layer &pfcLayer = *layer->layer;
  for (int64_t tokens : config.tokens) {
    SweepRow row = describe(spec, pfcLayer.mask(), "sparse", choice.target);
    row.tokens = tokens;
    row.jitSeconds = layer->compileSeconds;
    auto call = [&] { pfcLayer.forward(x.data(), tokens, y.data()); };
    Timing timing = timeCalls(call, config.policy);
    row.pfcSeconds = row.sparseSeconds = timing.seconds;
    row.pfcCalls = timing.calls;
    row.pfcBatches = timing.batches;
    if (tokens <= kSweepSmallTokens)
      row.coldSeconds = timeColdCalls(call, flusher, config.coldCalls).seconds;
    rows.push_back(row);
  }
  return true;
}

bool Sweep::runWhole(const WholeCheck &check) {
  const LayerSpec wholeSpec = makeSpec(check.shape, check.block, check.pattern,
                                       check.rank, /*bias=*/true);
  const LayerSpec sparseSpec = blockSparsePart(wholeSpec);
  std::optional<BenchLayer> whole = compile(wholeSpec);
  if (!whole || !checkOutput(wholeSpec, *whole))
    return false;
  std::optional<BenchLayer> sparse = compile(sparseSpec);
  if (!sparse || !checkOutput(sparseSpec, *sparse))
    return false;
  for (int64_t tokens : check.tokens) {
    SweepRow row = describe(wholeSpec, whole->layer->mask(), "whole", kNaN);
    row.tokens = tokens;
    row.jitSeconds = whole->compileSeconds;
    Timing wholeTiming =
        timeCalls([&] { whole->layer->forward(x.data(), tokens, y.data()); },
                  config.policy);
    Timing sparseTiming =
        timeCalls([&] { sparse->layer->forward(x.data(), tokens, y.data()); },
                  config.policy);
    row.pfcSeconds = wholeTiming.seconds;
    row.sparseSeconds = sparseTiming.seconds;
    row.pfcCalls = wholeTiming.calls;
    row.pfcBatches = wholeTiming.batches;
    rows.push_back(row);
  }
  return true;
}

void Sweep::runDense(Shape shape, size_t firstRow) {
  std::vector<float> w = uniformValues(engine, shape.out * shape.in);
  /// Per token count: the fastest library's timing, its name, and all;
  /// at T ≤ 16 the fastest on cold caches too.
  struct Dense {
    Timing fastest;
    std::string library, all;
    double cold = kNaN;
  };
  std::map<int64_t, Dense> byTokens;
  for (size_t i = firstRow; i < rows.size(); ++i) {
    SweepRow &row = rows[i];
    auto [it, inserted] = byTokens.try_emplace(row.tokens);
    Dense &d = it->second;
    if (inserted)
      for (const std::unique_ptr<Blas> &blas : dense.found) {
        const Timing timing = timeCalls(
            [&] {
              blas->denseForward(x.data(), w.data(), y.data(), row.tokens,
                                 shape.in, shape.out);
            },
            config.policy);
        d.all += fmt::format("{}{}={:.4f}", d.all.empty() ? "" : ";",
                             blas->name(), timing.seconds * 1e3);
        if (d.library.empty() || timing.seconds < d.fastest.seconds) {
          d.fastest = timing;
          d.library = blas->name();
        }
        if (row.tokens <= kSweepSmallTokens) {
          const double cold =
              timeColdCalls(
                  [&] {
                    blas->denseForward(x.data(), w.data(), y.data(), row.tokens,
                                       shape.in, shape.out);
                  },
                  flusher, config.coldCalls)
                  .seconds;
          d.cold = std::isnan(d.cold) ? cold : std::min(d.cold, cold);
        }
      }
    row.denseSeconds = d.fastest.seconds;
    row.denseCalls = d.fastest.calls;
    row.denseBatches = d.fastest.batches;
    row.denseLibrary = d.library;
    row.denseAll = d.all;
    row.denseColdSeconds = d.cold;
  }
}

bool Sweep::runShape(Shape shape) {
  int64_t maxTokens =
      *std::max_element(config.tokens.begin(), config.tokens.end());
  for (const WholeCheck &check : config.wholeChecks)
    if (check.shape.in == shape.in && check.shape.out == shape.out)
      maxTokens = std::max(maxTokens, *std::max_element(check.tokens.begin(),
                                                        check.tokens.end()));
  measureBandwidth();
  prepareBuffers(shape, maxTokens);
  const size_t firstRow = rows.size();
  for (int64_t block : config.blocks)
    for (const PatternChoice &choice :
         choosePatterns(shape, block, config.targetDensities))
      if (!runSparse(shape, block, choice))
        return false;
  for (const WholeCheck &check : config.wholeChecks)
    if (check.shape.in == shape.in && check.shape.out == shape.out &&
        !runWhole(check))
      return false;
  runDense(shape, firstRow);
  // Let the dense libraries' workers stop spinning before the next shape's
  // layers.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return true;
}

} // namespace

int runSweep(const SweepOptions &options) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const SweepConfig config = options.quick ? quickConfig() : fullConfig();
  // Checked before the work, which takes minutes.
  if (int code = makeOutputDirectory(options.outputDir, "sweep.csv and "
                                                        "sweep.svg"))
    return code;
  const BlasLibraries dense = loadDenseBaselines(options.threads);
  if (dense.found.empty())
    return reportError("no dense library to compare with: " +
                       dense.whyMissing());

  raw_ostream &os = outs();
  os << fmt::format("pfc bench --sweep{}: {} thread{}; dense baseline: the "
                    "fastest of {} for each shape and token count\n",
                    options.quick ? " --quick" : "", options.threads,
                    options.threads == 1 ? "" : "s", describe(dense));
  os.flush();
  Sweep sweep(config, options.threads, dense);
  for (Shape shape : config.shapes)
    if (!sweep.runShape(shape))
      return ExitBadInput;
  const std::vector<SweepRow> &rows = sweep.results();

  printBandwidthRange(rows, config.bandwidthBytes, os);
  os << "\nblock-sparse part alone (rank 0, no bias); E = its FLOP/s on the "
        "nonzero blocks / dense FLOP/s; bw frac (T <= 16) = packed weight "
        "bytes / time on cold caches / copy bandwidth; cold spd (T <= 16) = "
        "the fastest dense library's time over pfc's, both on cold caches\n";
  printSweepTable(rows, os);
  os << "\nwhole layer (low-rank term, bias) beside its block-sparse part; "
        "ratio = whole ms / (its FLOPs at the block-sparse part's FLOP/s)\n";
  printWholeLayerTable(rows, os);
  os << "\ntargets:\n";
  printSweepSummary(rows, sweep.compiles(), os);

  SmallString<256> csvPath(options.outputDir), svgPath(options.outputDir);
  sys::path::append(csvPath, "sweep.csv");
  sys::path::append(svgPath, "sweep.svg");
  if (int code = writeOutput(
          csvPath, [&](raw_ostream &file) { writeSweepCsv(rows, file); }))
    return code;
  if (int code = writeOutput(
          svgPath, [&](raw_ostream &file) { writeSweepSvg(rows, file); }))
    return code;
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  os << fmt::format("\nwrote {} and {} ({} rows); {:.0f} s\n", csvPath.str(),
                    svgPath.str(), rows.size(), elapsed);
  return ExitOk;
}

} // namespace pfc
