//===- SweepReport.cpp - The sweep's table, target summary and CSV --------===//
#include "Sweep.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

using namespace llvm;

namespace pfc {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string cell(double value, const char *format = "{:.6g}") {
  return std::isnan(value) ? std::string()
                           : fmt::format(fmt::runtime(format), value);
}

std::string joinStrides(const std::vector<int64_t> &strides, char separator) {
  std::string text;
  for (size_t i = 0; i < strides.size(); ++i)
    text += (i ? std::string(1, separator) : "") + std::to_string(strides[i]);
  return text;
}

/// The rows a target applies to: how many meet it, and the worst of them.
struct TargetCount {
  double target = 0.0;
  bool atLeast = true; ///< the target is a minimum (else a maximum)
  int64_t met = 0, total = 0;
  const SweepRow *worst = nullptr;
  double worstValue = kNaN;

  void add(const SweepRow &row, double value) {
    ++total;
    met += atLeast ? value >= target : value <= target;
    if (!worst || (atLeast ? value < worstValue : value > worstValue)) {
      worst = &row;
      worstValue = value;
    }
  }
  std::string str(const char *format) const {
    if (!total)
      return "no configurations";
    return fmt::format("{} of {} met; worst {} ({} b={} {}, T={})", met, total,
                       fmt::format(fmt::runtime(format), worstValue),
                       worst->shape(), worst->block, worst->pattern(),
                       worst->tokens);
  }
};

} // namespace

double SweepRow::nonzeroFlops() const {
  return 2.0 * tokens * nnzBlocks * double(block) * double(block);
}
double SweepRow::layerFlops() const {
  return nonzeroFlops() +
         2.0 * tokens * rank * double(inFeatures + outFeatures);
}
double SweepRow::denseFlops() const {
  return 2.0 * tokens * double(inFeatures) * double(outFeatures);
}
double SweepRow::weightBytes() const {
  return double(nnzBlocks) * double(block) * double(block) * sizeof(float);
}
double SweepRow::efficiency() const {
  return (nonzeroFlops() / sparseSeconds) / (denseFlops() / denseSeconds);
}
double SweepRow::speedup() const { return denseSeconds / pfcSeconds; }
double SweepRow::wholeLayerRatio() const {
  if (kind != "whole")
    return kNaN;
  return pfcSeconds / (layerFlops() / (nonzeroFlops() / sparseSeconds));
}
double SweepRow::weightBandwidth() const {
  return weightBytes() / coldSeconds; // NaN when not measured
}
std::string SweepRow::shape() const {
  return fmt::format("{}->{}", inFeatures, outFeatures);
}
std::string SweepRow::pattern() const {
  return fmt::format("S={} k={}", butterflySize, joinStrides(strides, ','));
}

void writeSweepCsv(const std::vector<SweepRow> &rows, raw_ostream &os) {
  os << "kind,in_features,out_features,block,butterfly_size,strides,"
        "target_density,density,nnz_blocks,rank,bias,tokens,threads,jit_ms,"
        "pfc_ms,sparse_ms,dense_ms,nonzero_gflop,layer_gflop,dense_gflop,"
        "sparse_gflops,layer_gflops,dense_gflops,efficiency,speedup,"
        "ideal_speedup,whole_layer_ratio,weight_bytes,cold_ms,weight_gbs,"
        "copy_gbs,read_gbs,bandwidth_fraction,bandwidth_fraction_read,"
        "pfc_calls,pfc_batches,dense_calls,dense_batches,dense_library,"
        "dense_all_ms,dense_cold_ms,cold_speedup\n";
  for (const SweepRow &r : rows) {
    const double bandwidth = r.weightBandwidth();
    os << fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
        r.kind, r.inFeatures, r.outFeatures, r.block, r.butterflySize,
        joinStrides(r.strides, ';'), cell(r.targetDensity), cell(r.density),
        r.nnzBlocks, r.rank, r.bias ? 1 : 0, r.tokens, r.threads,
        cell(r.jitSeconds * 1e3), cell(r.pfcSeconds * 1e3),
        cell(r.sparseSeconds * 1e3), cell(r.denseSeconds * 1e3),
        cell(r.nonzeroFlops() * 1e-9), cell(r.layerFlops() * 1e-9),
        cell(r.denseFlops() * 1e-9),
        cell(r.nonzeroFlops() / r.sparseSeconds * 1e-9),
        cell(r.layerFlops() / r.pfcSeconds * 1e-9),
        cell(r.denseFlops() / r.denseSeconds * 1e-9), cell(r.efficiency()),
        cell(r.speedup()), cell(1.0 / r.density), cell(r.wholeLayerRatio()),
        cell(r.weightBytes()), cell(r.coldSeconds * 1e3),
        cell(bandwidth * 1e-9), cell(r.copyBandwidth * 1e-9),
        cell(r.readBandwidth * 1e-9), cell(bandwidth / r.copyBandwidth),
        cell(bandwidth / r.readBandwidth), r.pfcCalls, r.pfcBatches,
        r.denseCalls, r.denseBatches, r.denseLibrary, r.denseAll,
        cell(r.denseColdSeconds * 1e3),
        cell(r.denseColdSeconds / r.coldSeconds));
  }
}

void printBandwidthRange(const std::vector<SweepRow> &rows, size_t bytes,
                         raw_ostream &os) {
  double copy[2] = {kNaN, kNaN}, read[2] = {kNaN, kNaN};
  for (const SweepRow &r : rows) {
    copy[0] = std::fmin(copy[0], r.copyBandwidth);
    copy[1] = std::fmax(copy[1], r.copyBandwidth);
    read[0] = std::fmin(read[0], r.readBandwidth);
    read[1] = std::fmax(read[1], r.readBandwidth);
  }
  os << fmt::format("memory, measured before each shape: copy {:.1f}-{:.1f} "
                    "GB/s (memcpy of {} MiB split over the threads, bytes "
                    "read + written), read {:.1f}-{:.1f} GB/s\n",
                    copy[0] * 1e-9, copy[1] * 1e-9, bytes >> 20, read[0] * 1e-9,
                    read[1] * 1e-9);
}

void printSweepTable(const std::vector<SweepRow> &rows, raw_ostream &os) {
  os << fmt::format("{:<11} {:>3} {:<12} {:>7} {:>5} {:>7} {:>9} {:>9} {:>6} "
                    "{:>7} {:>6} {:>7} {:>8}\n",
                    "in->out", "b", "pattern", "density", "T", "JIT ms",
                    "pfc ms", "dense ms", "E", "speedup", "ideal", "bw frac",
                    "cold spd");
  for (const SweepRow &r : rows) {
    if (r.kind != "sparse")
      continue;
    os << fmt::format("{:<11} {:>3} {:<12} {:>7.4f} {:>5} {:>7.0f} {:>9.4f} "
                      "{:>9.4f} {:>6.3f} {:>7.2f} {:>6.2f} {:>7} {:>8}\n",
                      r.shape(), r.block, r.pattern(), r.density, r.tokens,
                      r.jitSeconds * 1e3, r.pfcSeconds * 1e3,
                      r.denseSeconds * 1e3, r.efficiency(), r.speedup(),
                      1.0 / r.density,
                      cell(r.weightBandwidth() / r.copyBandwidth, "{:.2f}"),
                      cell(r.denseColdSeconds / r.coldSeconds, "{:.2f}"));
  }
}

void printWholeLayerTable(const std::vector<SweepRow> &rows, raw_ostream &os) {
  os << fmt::format("{:<11} {:>3} {:<12} {:>4} {:>7} {:>5} {:>9} {:>9} "
                    "{:>9} {:>6} {:>7} {:>6}\n",
                    "in->out", "b", "pattern", "rank", "density", "T",
                    "sparse ms", "whole ms", "dense ms", "E", "speedup",
                    "ratio");
  for (const SweepRow &r : rows) {
    if (r.kind != "whole")
      continue;
    os << fmt::format("{:<11} {:>3} {:<12} {:>4} {:>7.4f} {:>5} {:>9.4f} "
                      "{:>9.4f} {:>9.4f} {:>6.3f} {:>7.2f} {:>6.3f}\n",
                      r.shape(), r.block, r.pattern(), r.rank, r.density,
                      r.tokens, r.sparseSeconds * 1e3, r.pfcSeconds * 1e3,
                      r.denseSeconds * 1e3, r.efficiency(), r.speedup(),
                      r.wholeLayerRatio());
  }
}

void printSweepSummary(const std::vector<SweepRow> &rows,
                       const std::vector<JitRecord> &jits, raw_ostream &os) {
  TargetCount large{kTargetEfficiency}, large16{kTargetEfficiency16};
  TargetCount small{kTargetBandwidthFraction};
  TargetCount whole{kTargetWholeLayerRatio, /*atLeast=*/false};
  for (const SweepRow &r : rows) {
    if (r.kind == "sparse" && r.tokens >= kSweepLargeTokens)
      (r.block >= 32 ? large : large16).add(r, r.efficiency());
    if (r.kind == "sparse" && r.tokens <= kSweepSmallTokens)
      small.add(r, r.weightBandwidth() / r.copyBandwidth);
    if (r.kind == "whole")
      whole.add(r, r.wholeLayerRatio());
  }
  const JitRecord *slowest = nullptr;
  int64_t jitMet = 0;
  for (const JitRecord &jit : jits) {
    jitMet += jit.seconds <= kTargetJitSeconds;
    if (!slowest || jit.seconds > slowest->seconds)
      slowest = &jit;
  }
  os << fmt::format("  E >= {} (b >= 32, T >= {}): {}\n", kTargetEfficiency,
                    kSweepLargeTokens, large.str("{:.3f}"));
  os << fmt::format("  E >= {} (b = 16, T >= {}): {}\n", kTargetEfficiency16,
                    kSweepLargeTokens, large16.str("{:.3f}"));
  os << fmt::format("  weight bandwidth >= {} of copy bandwidth (T <= {}): "
                    "{}\n",
                    kTargetBandwidthFraction, kSweepSmallTokens,
                    small.str("{:.2f}"));
  os << fmt::format("  whole-layer ratio <= {:.2f}: {}\n",
                    kTargetWholeLayerRatio, whole.str("{:.3f}"));
  if (slowest)
    os << fmt::format("  JIT compile <= {:.0f} ms: {} of {} layers met; worst "
                      "{:.0f} ms ({})\n",
                      kTargetJitSeconds * 1e3, jitMet, jits.size(),
                      slowest->seconds * 1e3, slowest->layer);
}

} // namespace pfc
