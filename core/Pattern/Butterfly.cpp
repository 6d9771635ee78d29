//===- Butterfly.cpp - The flat block-butterfly mask rule -----------------===//
//
// Mirrors the reference's FlatBlockButterflySparsityConfig.make_layout: the
// coarse S×S pattern (a sum of butterfly factors), an optional column
// shuffle, a stretch onto the padded weight, dense global rows/columns, and
// an OR-reduction onto b×b blocks. The construction here never materializes
// the element-level mask: it maps each coarse nonzero to the blocks it covers.
//
//===----------------------------------------------------------------------===//
#include "pfc/Pattern/Butterfly.h"

#include <algorithm>

namespace pfc {

static bool isPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

std::vector<int64_t> ButterflyPattern::stridesForFactors(int64_t factors) {
  std::vector<int64_t> strides;
  for (int64_t i = 1; i <= factors; ++i)
    strides.push_back(int64_t{1} << i);
  return strides;
}

std::string ButterflyPattern::str() const {
  std::string text = "S=" + std::to_string(size) + " k=";
  for (size_t i = 0; i < strides.size(); ++i)
    text += (i ? "," : "") + std::to_string(strides[i]);
  if (shuffle)
    text += " shuffle";
  if (global)
    text += " global=" + std::to_string(global);
  return text;
}

/// The reference shuffles coarse columns with
/// `rearrange(l, 'm (group c) -> m (c group)')`, groups = S / max stride.
/// Returns the shuffled position of original column `q`.
static int64_t shuffledColumn(const ButterflyPattern &p, int64_t q) {
  if (!p.shuffle)
    return q;
  int64_t groups = p.size / p.strides.back();
  int64_t perGroup = p.size / groups;
  return (q % perGroup) * groups + q / perGroup;
}

/// Inverse of shuffledColumn.
static int64_t originalColumn(const ButterflyPattern &p, int64_t shuffled) {
  if (!p.shuffle)
    return shuffled;
  int64_t groups = p.size / p.strides.back();
  int64_t perGroup = p.size / groups;
  return (shuffled % groups) * perGroup + shuffled / groups;
}

bool ButterflyPattern::coarseNonZero(int64_t p, int64_t q) const {
  int64_t diff = p ^ originalColumn(*this, q);
  if (diff == 0)
    return true;
  return std::any_of(strides.begin(), strides.end(),
                     [&](int64_t k) { return diff == k / 2; });
}

bool BlockMask::contains(int64_t blockRow, int64_t blockCol) const {
  auto begin = colIndex.begin() + rowStart[blockRow];
  auto end = colIndex.begin() + rowStart[blockRow + 1];
  return std::binary_search(begin, end, blockCol);
}

std::vector<std::pair<int64_t, int64_t>> BlockMask::blocks() const {
  std::vector<std::pair<int64_t, int64_t>> result;
  result.reserve(colIndex.size());
  for (int64_t r = 0; r < blockRows; ++r)
    for (int64_t i = rowStart[r]; i < rowStart[r + 1]; ++i)
      result.emplace_back(r, colIndex[i]);
  return result;
}

std::string checkPatternFits(const ButterflyPattern &pattern, int64_t paddedOut,
                             int64_t paddedIn) {
  const int64_t s = pattern.size;
  if (!isPowerOfTwo(s) || s < 2)
    return "butterfly size " + std::to_string(s) +
           " is not a power of two >= 2";
  if (pattern.strides.empty())
    return "the pattern has no butterfly factor";
  for (size_t i = 0; i < pattern.strides.size(); ++i) {
    int64_t k = pattern.strides[i];
    if (!isPowerOfTwo(k) || k < 2 || k > s)
      return "stride " + std::to_string(k) + " is not a power of two in [2, " +
             std::to_string(s) + "]";
    if (i > 0 && k <= pattern.strides[i - 1])
      return "strides are not strictly ascending";
  }
  if (pattern.global < 0)
    return "global is negative";
  if (paddedOut % s != 0 || paddedIn % s != 0)
    return "butterfly size " + std::to_string(s) +
           " does not divide the padded shape " + std::to_string(paddedOut) +
           "x" + std::to_string(paddedIn);
  return {};
}

namespace {
/// The shape of a mask: its grid and how its rows meet the coarse cells.
struct MaskGeometry {
  int64_t blockRows, blockCols, rowsPerCell, colsPerCell, globalBlockCols;
  std::vector<int64_t> offsets;

  MaskGeometry(const ButterflyPattern &pattern, int64_t outFeatures,
               int64_t inFeatures, int64_t block)
      : blockRows((outFeatures + block - 1) / block),
        blockCols((inFeatures + block - 1) / block),
        rowsPerCell(blockRows * block / pattern.size),
        colsPerCell(blockCols * block / pattern.size),
        globalBlockCols(
            std::min(blockCols, (pattern.global + block - 1) / block)),
        offsets({0}) {
    // Coarse column offsets p XOR q for the nonzero cells of a coarse row.
    for (int64_t k : pattern.strides)
      offsets.push_back(k / 2);
  }

  /// Block-row `br`'s nonzero block columns as intervals [first, last],
  /// sorted by their starts (they may overlap). The work is the row's
  /// intervals, not the layer's width: a marks array cleared and scanned
  /// per row made `pfc plan` take seconds per large layer.
  void rowSpans(const ButterflyPattern &pattern, int64_t block, int64_t br,
                std::vector<std::pair<int64_t, int64_t>> &spans) const {
    const int64_t firstRow = br * block, lastRow = firstRow + block - 1;
    spans.clear();
    if (firstRow < pattern.global) {
      spans.push_back({0, blockCols - 1});
      return;
    }
    if (globalBlockCols > 0)
      spans.push_back({0, globalBlockCols - 1});
    for (int64_t p = firstRow / rowsPerCell; p <= lastRow / rowsPerCell; ++p)
      for (int64_t offset : offsets) {
        int64_t q = shuffledColumn(pattern, p ^ offset);
        int64_t firstCol = q * colsPerCell;
        int64_t lastCol = firstCol + colsPerCell - 1;
        spans.push_back({firstCol / block, lastCol / block});
      }
    std::sort(spans.begin(), spans.end());
  }
};

/// Calls `visit(first, last)` for the disjoint column ranges that `spans`
/// (sorted by their starts) cover, in order.
template <typename Visit>
void forEachMerged(const std::vector<std::pair<int64_t, int64_t>> &spans,
                   Visit visit) {
  int64_t next = 0; // columns below it are visited
  for (auto [first, last] : spans) {
    first = std::max(first, next);
    if (first <= last)
      visit(first, last);
    next = std::max(next, last + 1);
  }
}
} // namespace

BlockMask buildBlockMask(const ButterflyPattern &pattern, int64_t outFeatures,
                         int64_t inFeatures, int64_t block) {
  const MaskGeometry geometry(pattern, outFeatures, inFeatures, block);
  BlockMask mask;
  mask.block = block;
  mask.blockRows = geometry.blockRows;
  mask.blockCols = geometry.blockCols;
  mask.rows = mask.blockRows * block;
  mask.cols = mask.blockCols * block;
  std::vector<std::pair<int64_t, int64_t>> spans;
  mask.rowStart.reserve(mask.blockRows + 1);
  mask.rowStart.push_back(0);
  for (int64_t br = 0; br < mask.blockRows; ++br) {
    geometry.rowSpans(pattern, block, br, spans);
    forEachMerged(spans, [&](int64_t first, int64_t last) {
      for (int64_t bc = first; bc <= last; ++bc)
        mask.colIndex.push_back(bc);
    });
    mask.rowStart.push_back(static_cast<int64_t>(mask.colIndex.size()));
  }
  return mask;
}

int64_t countMaskBlocks(const ButterflyPattern &pattern, int64_t outFeatures,
                        int64_t inFeatures, int64_t block, bool lowerOnly) {
  const MaskGeometry geometry(pattern, outFeatures, inFeatures, block);
  std::vector<std::pair<int64_t, int64_t>> spans;
  int64_t count = 0;
  for (int64_t br = 0; br < geometry.blockRows; ++br) {
    geometry.rowSpans(pattern, block, br, spans);
    forEachMerged(spans, [&](int64_t first, int64_t last) {
      if (lowerOnly)
        last = std::min(last, br);
      count += std::max<int64_t>(0, last - first + 1);
    });
  }
  return count;
}

} // namespace pfc
