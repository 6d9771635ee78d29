//===- ButterflyMaskTest.cpp - Butterfly block masks vs. brute force -----===//
//
// Tests buildBlockMask, coarseNonZero and checkPatternFits against a
// brute-force port of the reference's make_layout (HazyResearch `fly`): a sum
// of explicit butterfly factor matrices, the einops column shuffle, stretch,
// global rows/columns, OR-reduction onto b×b blocks. No XOR closed form.
//
//===----------------------------------------------------------------------===//

#include "pfc/Pattern/Butterfly.h"

#include "RandomDraws.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace pfc {
namespace {

/// A dense row-major integer matrix.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<int> cells;

  Matrix(int64_t rows, int64_t cols)
      : rows(rows), cols(cols), cells(static_cast<size_t>(rows * cols), 0) {}
  int &at(int64_t i, int64_t j) { return cells[i * cols + j]; }
  int at(int64_t i, int64_t j) const { return cells[i * cols + j]; }
};

int64_t roundUp(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

/// `butterfly_factor_to_matrix` for the factor of size k: S/k diagonal blocks,
/// each [[I, I], [I, I]] with I the (k/2)×(k/2) identity.
Matrix butterflyFactorMatrix(int64_t size, int64_t k) {
  Matrix factor(size, size);
  const int64_t half = k / 2;
  for (int64_t base = 0; base < size; base += k)
    for (int64_t quadRow = 0; quadRow < 2; ++quadRow)
      for (int64_t quadCol = 0; quadCol < 2; ++quadCol)
        for (int64_t d = 0; d < half; ++d)
          factor.at(base + quadRow * half + d, base + quadCol * half + d) = 1;
  return factor;
}

/// einops `rearrange(l, 'm (group c_per_group) -> m (c_per_group group)')`.
Matrix shuffleColumns(const Matrix &layout, int64_t groups) {
  const int64_t perGroup = layout.cols / groups;
  Matrix shuffled(layout.rows, layout.cols);
  for (int64_t m = 0; m < layout.rows; ++m)
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t c = 0; c < perGroup; ++c)
        shuffled.at(m, c * groups + g) = layout.at(m, g * perGroup + c);
  return shuffled;
}

/// The coarse S×S layout: (sum of the selected factors) > 0, then shuffled.
Matrix referenceCoarse(const ButterflyPattern &pattern) {
  const int64_t size = pattern.size;
  Matrix sum(size, size);
  for (int64_t k : pattern.strides) {
    Matrix factor = butterflyFactorMatrix(size, k);
    for (size_t i = 0; i < sum.cells.size(); ++i)
      sum.cells[i] += factor.cells[i];
  }
  for (int &cell : sum.cells) // layout.bool().int()
    cell = cell > 0 ? 1 : 0;
  if (!pattern.shuffle)
    return sum;
  const int64_t largest =
      *std::max_element(pattern.strides.begin(), pattern.strides.end());
  return shuffleColumns(sum, size / largest);
}

/// The expected block mask, with the dense block grid kept for contains().
struct ReferenceMask {
  int64_t rows = 0, cols = 0, blockRows = 0, blockCols = 0;
  Matrix blockGrid{0, 0};
  std::vector<int64_t> rowStart, colIndex;
  std::vector<std::pair<int64_t, int64_t>> blocks;
};

ReferenceMask referenceMask(const ButterflyPattern &pattern,
                            int64_t outFeatures, int64_t inFeatures,
                            int64_t block) {
  ReferenceMask ref;
  ref.rows = roundUp(outFeatures, block);
  ref.cols = roundUp(inFeatures, block);
  ref.blockRows = ref.rows / block;
  ref.blockCols = ref.cols / block;
  // Stretch the coarse layout over the padded element-level weight.
  const Matrix coarse = referenceCoarse(pattern);
  const int64_t cellRows = ref.rows / pattern.size;
  const int64_t cellCols = ref.cols / pattern.size;
  Matrix elements(ref.rows, ref.cols);
  for (int64_t i = 0; i < ref.rows; ++i)
    for (int64_t j = 0; j < ref.cols; ++j)
      elements.at(i, j) = coarse.at(i / cellRows, j / cellCols) ||
                          i < pattern.global || j < pattern.global;
  // OR-reduce every b×b tile, then list the nonzero blocks in BSR order.
  ref.blockGrid = Matrix(ref.blockRows, ref.blockCols);
  for (int64_t i = 0; i < ref.rows; ++i)
    for (int64_t j = 0; j < ref.cols; ++j)
      ref.blockGrid.at(i / block, j / block) |= elements.at(i, j);
  ref.rowStart.push_back(0);
  for (int64_t r = 0; r < ref.blockRows; ++r) {
    for (int64_t c = 0; c < ref.blockCols; ++c) {
      if (!ref.blockGrid.at(r, c))
        continue;
      ref.colIndex.push_back(c);
      ref.blocks.emplace_back(r, c);
    }
    ref.rowStart.push_back(static_cast<int64_t>(ref.colIndex.size()));
  }
  return ref;
}

std::string describe(const ButterflyPattern &pattern) {
  std::ostringstream os;
  os << "S=" << pattern.size << " strides={";
  for (size_t i = 0; i < pattern.strides.size(); ++i)
    os << (i ? "," : "") << pattern.strides[i];
  os << "} shuffle=" << pattern.shuffle << " global=" << pattern.global;
  return os.str();
}

std::string describe(const ButterflyPattern &pattern, int64_t outFeatures,
                     int64_t inFeatures, int64_t block) {
  return describe(pattern) + " out=" + std::to_string(outFeatures) +
         " in=" + std::to_string(inFeatures) + " b=" + std::to_string(block);
}

/// Index of the first difference between two vectors, or -1.
template <typename T>
int64_t firstDifference(const std::vector<T> &a, const std::vector<T> &b) {
  if (a == b)
    return -1;
  return std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first -
         a.begin();
}

ButterflyPattern makePattern(int64_t size, std::vector<int64_t> strides,
                             bool shuffle = false, int64_t global = 0) {
  ButterflyPattern pattern;
  pattern.size = size;
  pattern.strides = std::move(strides);
  pattern.shuffle = shuffle;
  pattern.global = global;
  return pattern;
}

/// Checks coarseNonZero against the explicit coarse layout, cell by cell.
::testing::AssertionResult coarseMatchesReference(const ButterflyPattern &p) {
  const Matrix coarse = referenceCoarse(p);
  for (int64_t i = 0; i < p.size; ++i)
    for (int64_t j = 0; j < p.size; ++j)
      if (p.coarseNonZero(i, j) != (coarse.at(i, j) != 0))
        return ::testing::AssertionFailure()
               << describe(p) << ": coarse cell (" << i << ", " << j
               << ") should be " << coarse.at(i, j);
  return ::testing::AssertionSuccess();
}

/// Compares every observable of buildBlockMask with the brute force.
::testing::AssertionResult maskMatchesReference(const ButterflyPattern &p,
                                                int64_t outFeatures,
                                                int64_t inFeatures,
                                                int64_t block) {
  const BlockMask mask = buildBlockMask(p, outFeatures, inFeatures, block);
  const ReferenceMask ref = referenceMask(p, outFeatures, inFeatures, block);
  auto failure = [&]() {
    return ::testing::AssertionFailure()
           << describe(p, outFeatures, inFeatures, block) << ": ";
  };
  if (mask.block != block || mask.rows != ref.rows || mask.cols != ref.cols ||
      mask.blockRows != ref.blockRows || mask.blockCols != ref.blockCols)
    return failure() << "shape " << mask.rows << "x" << mask.cols << " in "
                     << mask.blockRows << "x" << mask.blockCols
                     << " blocks, expected " << ref.rows << "x" << ref.cols
                     << " in " << ref.blockRows << "x" << ref.blockCols;
  if (int64_t at = firstDifference(mask.rowStart, ref.rowStart); at >= 0)
    return failure() << "rowStart differs at index " << at;
  if (int64_t at = firstDifference(mask.colIndex, ref.colIndex); at >= 0)
    return failure() << "colIndex differs at index " << at;
  if (int64_t at = firstDifference(mask.blocks(), ref.blocks); at >= 0)
    return failure() << "blocks() differs at index " << at;
  const auto nnz = static_cast<int64_t>(ref.blocks.size());
  if (mask.nnzBlocks() != nnz)
    return failure() << "nnzBlocks() " << mask.nnzBlocks() << " != " << nnz;
  const double density = static_cast<double>(nnz) /
                         static_cast<double>(ref.blockRows * ref.blockCols);
  if (std::abs(mask.density() - density) > 1e-12)
    return failure() << "density() " << mask.density() << " != " << density;
  for (int64_t r = 0; r < ref.blockRows; ++r)
    for (int64_t c = 0; c < ref.blockCols; ++c)
      if (mask.contains(r, c) != (ref.blockGrid.at(r, c) != 0))
        return failure() << "contains(" << r << ", " << c << ") is wrong";
  return ::testing::AssertionSuccess();
}

bool fits(const ButterflyPattern &p, int64_t outFeatures, int64_t inFeatures,
          int64_t block) {
  return checkPatternFits(p, roundUp(outFeatures, block),
                          roundUp(inFeatures, block))
      .empty();
}

const std::vector<int64_t> kSizes = {2, 4, 8, 16, 32, 64};

int64_t log2Of(int64_t size) {
  int64_t log = 0;
  while ((int64_t{1} << log) < size)
    ++log;
  return log;
}

/// The strides {2, 4, ..., S} selected by the bits of `subset`.
std::vector<int64_t> stridesFromBits(int64_t size, int64_t subset) {
  std::vector<int64_t> strides;
  for (int64_t bit = 0; bit < log2Of(size); ++bit)
    if (subset & (int64_t{1} << bit))
      strides.push_back(int64_t{2} << bit);
  return strides;
}

TEST(ButterflyMaskTest, StridesForFactorsArePowersOfTwo) {
  EXPECT_EQ(ButterflyPattern::stridesForFactors(1), std::vector<int64_t>({2}));
  EXPECT_EQ(ButterflyPattern::stridesForFactors(4),
            std::vector<int64_t>({2, 4, 8, 16}));
}

TEST(ButterflyMaskTest, CoarseMatchesFactorMatrices) {
  for (int64_t size : kSizes)
    for (int64_t subset = 1; subset < size; ++subset)
      for (bool shuffle : {false, true})
        ASSERT_TRUE(coarseMatchesReference(
            makePattern(size, stridesFromBits(size, subset), shuffle)));
}

TEST(ButterflyMaskTest, EachCoarseRowHasOnePlusStridesNonZeros) {
  for (int64_t size : kSizes)
    for (int64_t subset = 1; subset < size; ++subset) {
      ButterflyPattern p = makePattern(size, stridesFromBits(size, subset));
      for (int64_t row = 0; row < size; ++row) {
        int64_t count = 0;
        for (int64_t col = 0; col < size; ++col)
          count += p.coarseNonZero(row, col) ? 1 : 0;
        ASSERT_EQ(count, 1 + static_cast<int64_t>(p.strides.size()))
            << describe(p) << " row " << row;
      }
    }
}

TEST(ButterflyMaskTest, SquareSweepMatchesReference) {
  int64_t checked = 0, unalignedCells = 0, blocksWiderThanCell = 0;
  for (int64_t size : kSizes)
    for (int64_t factors = 1; factors <= log2Of(size); ++factors)
      for (int64_t cell : {1, 3, 4, 6})
        for (int64_t block : {1, 2, 3, 4, 8, 16})
          for (bool shuffle : {false, true})
            for (int64_t global : {int64_t{0}, block, 2 * block + 1}) {
              ButterflyPattern p = makePattern(
                  size, ButterflyPattern::stridesForFactors(factors), shuffle,
                  global);
              const int64_t features = size * cell;
              if (!fits(p, features, features, block))
                continue;
              ASSERT_TRUE(maskMatchesReference(p, features, features, block));
              ++checked;
              unalignedCells += cell % block != 0 ? 1 : 0;
              blocksWiderThanCell += block > cell ? 1 : 0;
            }
  EXPECT_GT(checked, 1000);
  EXPECT_GT(unalignedCells, 100);
  EXPECT_GT(blocksWiderThanCell, 100);
}

TEST(ButterflyMaskTest, StrideSubsetsMatchReference) {
  // Every nonempty subset of {2, 4, ..., S}: {4}, {2, 8}, {S}, ...
  for (int64_t size : kSizes)
    for (int64_t subset = 1; subset < size; ++subset)
      for (bool shuffle : {false, true})
        for (int64_t block : {1, 3, 8}) {
          ButterflyPattern p =
              makePattern(size, stridesFromBits(size, subset), shuffle, block);
          for (const auto &[outFeatures, inFeatures] :
               {std::pair<int64_t, int64_t>{3 * size, 6 * size},
                std::pair<int64_t, int64_t>{6 * size, 3 * size}}) {
            if (!fits(p, outFeatures, inFeatures, block))
              continue;
            ASSERT_TRUE(
                maskMatchesReference(p, outFeatures, inFeatures, block));
          }
        }
}

TEST(ButterflyMaskTest, RandomRectangularShapesMatchReference) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());

  int64_t kept = 0, padded = 0;
  for (int64_t attempt = 0; attempt < 2000000 && kept < 300; ++attempt) {
    const int64_t size =
        kSizes[draw(0, static_cast<int64_t>(kSizes.size()) - 1)];
    const int64_t subset = draw(0, 1)
                               ? (int64_t{1} << draw(1, log2Of(size))) - 1
                               : draw(1, size - 1);
    const int64_t block = draw(0, 1) ? int64_t{1} << draw(0, 5) : draw(1, 40);
    const int64_t outFeatures = draw(1, 640), inFeatures = draw(1, 640);
    const int64_t global = draw(0, 2) ? 0 : draw(0, outFeatures + block);
    ButterflyPattern p = makePattern(size, stridesFromBits(size, subset),
                                     draw(0, 1) == 1, global);
    if (!fits(p, outFeatures, inFeatures, block))
      continue;
    ASSERT_TRUE(maskMatchesReference(p, outFeatures, inFeatures, block));
    ++kept;
    padded += (outFeatures % block || inFeatures % block) ? 1 : 0;
  }
  EXPECT_EQ(kept, 300);
  EXPECT_GT(padded, 0);
}

TEST(ButterflyMaskTest, ReferencePinnedShapesMatchReference) {
  struct Triple {
    int64_t size, factors, block;
  };
  const std::vector<Triple> triples = {{16, 2, 32}, {16, 4, 32},  {8, 3, 64},
                                       {32, 5, 16}, {64, 6, 128}, {4, 2, 96},
                                       {16, 3, 96}};
  const std::vector<std::pair<int64_t, int64_t>> shapes = {
      {2048, 512}, {512, 2048}, {3072, 768}, {768, 3072}};
  for (const Triple &t : triples)
    for (const auto &[outFeatures, inFeatures] : shapes)
      for (bool shuffle : {false, true}) {
        ButterflyPattern p = makePattern(
            t.size, ButterflyPattern::stridesForFactors(t.factors), shuffle);
        ASSERT_TRUE(fits(p, outFeatures, inFeatures, t.block))
            << describe(p, outFeatures, inFeatures, t.block);
        ASSERT_TRUE(maskMatchesReference(p, outFeatures, inFeatures, t.block));
      }
}

// DESIGN.md, "The mask": 768->3072, S=16, 2 factors, b=32 has density 0.2083.
TEST(ButterflyMaskTest, DesignDocDensity) {
  ButterflyPattern p = makePattern(16, ButterflyPattern::stridesForFactors(2));
  BlockMask mask = buildBlockMask(p, /*outFeatures=*/3072, /*inFeatures=*/768,
                                  /*block=*/32);
  EXPECT_NEAR(mask.density(), 0.2083, 1e-4);
  EXPECT_NEAR(mask.density(), 5.0 / 24.0, 1e-12);
}

TEST(ButterflyMaskTest, CheckPatternFitsRejectsBadPatterns) {
  auto rejects = [](const ButterflyPattern &p, int64_t out, int64_t in) {
    return !checkPatternFits(p, out, in).empty();
  };
  // Sizes that are not powers of two >= 2.
  EXPECT_TRUE(rejects(makePattern(12, {2, 4}), 96, 96));
  EXPECT_TRUE(rejects(makePattern(1, {2}), 96, 96));
  EXPECT_TRUE(rejects(makePattern(0, {2}), 96, 96));
  // Strides that are not powers of two, out of [2, S], unsorted or repeated.
  EXPECT_TRUE(rejects(makePattern(16, {2, 6}), 64, 64));
  EXPECT_TRUE(rejects(makePattern(16, {3}), 64, 64));
  EXPECT_TRUE(rejects(makePattern(8, {2, 16}), 64, 64));
  EXPECT_TRUE(rejects(makePattern(8, {1, 2}), 64, 64));
  EXPECT_TRUE(rejects(makePattern(16, {4, 2}), 64, 64));
  EXPECT_TRUE(rejects(makePattern(16, {2, 2}), 64, 64));
  // Negative global.
  EXPECT_TRUE(rejects(makePattern(16, {2}, false, -1), 64, 64));
  // S must divide both padded dimensions.
  EXPECT_TRUE(rejects(makePattern(16, {2}), 24, 32));
  EXPECT_TRUE(rejects(makePattern(16, {2}), 32, 24));
  EXPECT_TRUE(rejects(makePattern(64, {2}), 96, 3072));
}

TEST(ButterflyMaskTest, CheckPatternFitsAcceptsValidPatterns) {
  EXPECT_EQ(checkPatternFits(makePattern(2, {2}), 2, 2), "");
  EXPECT_EQ(checkPatternFits(makePattern(16, {2, 4}), 3072, 768), "");
  EXPECT_EQ(checkPatternFits(makePattern(16, {16}, true, 40), 64, 32), "");
  EXPECT_EQ(checkPatternFits(makePattern(64, {2, 8, 64}, true, 0), 64, 128),
            "");
  EXPECT_EQ(
      checkPatternFits(makePattern(32, ButterflyPattern::stridesForFactors(5)),
                       576, 2112),
      "");
}

} // namespace
} // namespace pfc
