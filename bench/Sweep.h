//===- Sweep.h - `pfc bench --sweep`: block sizes × densities × tokens -*- C++
//-*-===//
//
// The benchmark sweep of issue 4: square 1024-4096 and the 768↔3072 MLP
// shapes, b ∈ {16, 32, 64}, block densities near 5-30 %, tokens 1 to 4096,
// against OpenBLAS sgemm in the same run; the table on stdout, sweep.csv and
// sweep.svg in a directory.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_BENCH_SWEEP_H
#define PFC_BENCH_SWEEP_H

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pfc {

/// Issue 4's targets, and the token counts they apply to.
inline constexpr int64_t kSweepLargeTokens = 1024; ///< E targets: T ≥ this
inline constexpr int64_t kSweepSmallTokens = 16;   ///< bandwidth: T ≤ this
inline constexpr double kTargetEfficiency = 0.8;   ///< b ≥ 32
inline constexpr double kTargetEfficiency16 = 0.6; ///< b = 16
/// Weight bytes ÷ time on cold caches, as a fraction of copy bandwidth.
inline constexpr double kTargetBandwidthFraction = 0.7;
inline constexpr double kTargetWholeLayerRatio = 1.10;
inline constexpr double kTargetJitSeconds = 0.3;

struct SweepOptions {
  std::string outputDir;
  bool quick = false; ///< one shape, one b, one density, T ∈ {1, 256}
  int64_t threads = 1;
};

/// Runs the sweep; returns the exit code.
int runSweep(const SweepOptions &options);

/// One measured configuration: a layer at one token count. Times in
/// seconds; NaN where a quantity does not apply.
struct SweepRow {
  /// "sparse": the block-sparse part alone (rank 0, no bias), which E
  /// measures; "whole": a whole layer (low-rank term and bias) beside its
  /// block-sparse part.
  std::string kind;
  int64_t inFeatures = 0, outFeatures = 0, block = 0;
  int64_t butterflySize = 0;
  std::vector<int64_t> strides;
  double targetDensity = 0.0, density = 0.0;
  int64_t nnzBlocks = 0, rank = 0;
  bool bias = false;
  int64_t tokens = 0, threads = 0;
  double jitSeconds = 0.0;
  double pfcSeconds = 0.0;    ///< the layer of this row
  double sparseSeconds = 0.0; ///< its block-sparse part
  double denseSeconds = 0.0;  ///< the fastest dense library's
  std::string denseLibrary;   ///< its name, e.g. "MKL avx512"
  /// Every dense library's time, "NAME=ms;NAME=ms".
  std::string denseAll;
  int64_t pfcCalls = 0, denseCalls = 0;
  int pfcBatches = 0, denseBatches = 0;
  double coldSeconds = 0.0; ///< block-sparse part on cold caches (T ≤ 16)
  /// The fastest dense library on cold caches (T ≤ 16).
  double denseColdSeconds = 0.0;
  double copyBandwidth = 0.0, readBandwidth = 0.0; ///< bytes/s

  double nonzeroFlops() const;
  double layerFlops() const;
  double denseFlops() const;
  /// Bytes of the packed blocks, nnz·b²·4.
  double weightBytes() const;
  /// Block-sparse FLOP/s ÷ dense FLOP/s.
  double efficiency() const;
  /// Dense time ÷ this row's layer time.
  double speedup() const;
  /// pfcSeconds ÷ (layer FLOPs ÷ block-sparse FLOP/s); NaN for "sparse".
  double wholeLayerRatio() const;
  /// Weight bytes ÷ cold time, bytes/s; NaN unless measured.
  double weightBandwidth() const;
  std::string shape() const;   ///< "in->out"
  std::string pattern() const; ///< "S=16 k=2,4"
};

/// One JIT compile: the layer and its time.
struct JitRecord {
  std::string layer;
  double seconds = 0.0;
};

// The report (SweepReport.cpp).

/// The copy and read bandwidths the rows were measured against (once per
/// shape), lowest and highest, on buffers of `bytes`.
void printBandwidthRange(const std::vector<SweepRow> &rows, size_t bytes,
                         llvm::raw_ostream &os);
/// One line per block-sparse row: shape, b, pattern, density, T, JIT ms, pfc
/// ms, dense ms, E, speed-up, ideal speed-up, bandwidth fraction (T ≤ 16).
void printSweepTable(const std::vector<SweepRow> &rows, llvm::raw_ostream &os);
/// One line per whole-layer row, with its whole-layer ratio.
void printWholeLayerTable(const std::vector<SweepRow> &rows,
                          llvm::raw_ostream &os);
/// How many configurations meet each target, and the worst of each.
void printSweepSummary(const std::vector<SweepRow> &rows,
                       const std::vector<JitRecord> &jits,
                       llvm::raw_ostream &os);
/// Every column of every row, one header line; empty cells where a quantity
/// does not apply.
void writeSweepCsv(const std::vector<SweepRow> &rows, llvm::raw_ostream &os);

/// Draws E and speed-up against density for the largest token counts
/// (T ≥ 1024, or the largest T measured when none is that large): two panels,
/// one colour per block size, the targets and the ideal 1/density.
void writeSweepSvg(const std::vector<SweepRow> &rows, llvm::raw_ostream &os);

} // namespace pfc

#endif // PFC_BENCH_SWEEP_H
