//===- Butterfly.h - Flat block-butterfly sparsity patterns -----*- C++ -*-===//
//
// The exact Pixelfly mask rule (DESIGN.md, "The mask"), shared by the
// compiler, the planner and the runtime. Free of LLVM and MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_PATTERN_BUTTERFLY_H
#define PFC_PATTERN_BUTTERFLY_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pfc {

/// The parameters of a flat block-butterfly pattern.
struct ButterflyPattern {
  /// Side S of the coarse grid; a power of two, at least 2.
  int64_t size = 2;
  /// Factor sizes k (the paper's B_k), powers of two in [2, S], ascending and
  /// distinct. A factor of size k connects coarse positions k/2 apart.
  std::vector<int64_t> strides = {2};
  /// Permute the coarse columns as the reference's channel shuffle does.
  bool shuffle = false;
  /// Leading rows and columns, in features, that are dense.
  int64_t global = 0;

  /// The reference's `n_factors = m`: strides {2, 4, ..., 2^m}.
  static std::vector<int64_t> stridesForFactors(int64_t factors);

  /// A short description such as "S=16 k=2,4 shuffle global=64".
  std::string str() const;

  /// Whether coarse cell (p, q) is nonzero, shuffle applied.
  bool coarseNonZero(int64_t p, int64_t q) const;

  bool operator==(const ButterflyPattern &other) const {
    return size == other.size && strides == other.strides &&
           shuffle == other.shuffle && global == other.global;
  }
};

/// A b×b block mask in BSR order (block-row major, columns ascending).
struct BlockMask {
  int64_t block = 0;
  int64_t rows = 0; ///< padded output features
  int64_t cols = 0; ///< padded input features
  int64_t blockRows = 0;
  int64_t blockCols = 0;
  /// rowStart[i]..rowStart[i+1] index `colIndex` for block-row i.
  std::vector<int64_t> rowStart;
  std::vector<int64_t> colIndex;

  int64_t nnzBlocks() const { return static_cast<int64_t>(colIndex.size()); }
  double density() const {
    return static_cast<double>(nnzBlocks()) /
           static_cast<double>(blockRows * blockCols);
  }
  bool contains(int64_t blockRow, int64_t blockCol) const;
  /// The nonzero blocks as (block-row, block-column) pairs, in BSR order.
  std::vector<std::pair<int64_t, int64_t>> blocks() const;
};

/// Why a pattern cannot be laid over a shape; empty when it can.
std::string checkPatternFits(const ButterflyPattern &pattern, int64_t paddedOut,
                             int64_t paddedIn);

/// Builds the block mask of `pattern` over an `outFeatures × inFeatures`
/// weight with b×b blocks. Both dimensions are first padded to multiples of
/// `block`; the coarse grid is stretched over the padded shape, so S must
/// divide both padded dimensions (see checkPatternFits).
BlockMask buildBlockMask(const ButterflyPattern &pattern, int64_t outFeatures,
                         int64_t inFeatures, int64_t block);

/// buildBlockMask(...).nnzBlocks() without building the mask: the planner
/// weighs dozens of candidate patterns per layer. With `lowerOnly`, only
/// the blocks at or left of the diagonal (a causal attention's support).
int64_t countMaskBlocks(const ButterflyPattern &pattern, int64_t outFeatures,
                        int64_t inFeatures, int64_t block,
                        bool lowerOnly = false);

} // namespace pfc

#endif // PFC_PATTERN_BUTTERFLY_H
