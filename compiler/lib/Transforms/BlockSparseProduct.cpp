//===- BlockSparseProduct.cpp - pfc.bsmm and pfc.bsmm_t as one product ----===//
#include "pfc/Transforms/BlockSparseProduct.h"

#include "pfc/Dialect/PfcAttrs.h"

using namespace mlir;

namespace pfc {

/// Wᵀ's pattern from W's: its block-rows are W's block-columns, their blocks
/// in ascending block-row order, and `blockIndex` says where W keeps each.
static BlockMask transposeMask(const BlockMask &mask,
                               std::vector<int64_t> &blockIndex) {
  BlockMask t;
  t.block = mask.block;
  t.rows = mask.cols;
  t.cols = mask.rows;
  t.blockRows = mask.blockCols;
  t.blockCols = mask.blockRows;
  t.rowStart.assign(t.blockRows + 1, 0);
  for (int64_t col : mask.colIndex)
    ++t.rowStart[col + 1];
  for (int64_t c = 0; c < t.blockRows; ++c)
    t.rowStart[c + 1] += t.rowStart[c];
  std::vector<int64_t> next(t.rowStart.begin(), t.rowStart.end() - 1);
  t.colIndex.assign(mask.nnzBlocks(), 0);
  blockIndex.assign(mask.nnzBlocks(), 0);
  for (int64_t r = 0; r < mask.blockRows; ++r)
    for (int64_t n = mask.rowStart[r]; n < mask.rowStart[r + 1]; ++n) {
      int64_t at = next[mask.colIndex[n]]++;
      t.colIndex[at] = r;
      blockIndex[at] = n;
    }
  return t;
}

/// The parts both ops have.
template <typename ProductOp>
static BlockSparseProduct commonParts(ProductOp op) {
  BlockSparseProduct p;
  p.input = op.getInput();
  p.blocks = op.getBlocks();
  p.scale = op.getScale();
  p.extra = op.getExtra();
  p.extraWeights = op.getExtraWeights();
  p.output = op.getOutput();
  p.block = op.getWeightShape().block;
  return p;
}

static BlockMask blockMaskOf(BlockSparseOpInterface op, int64_t block) {
  return getBlockMask(cast<BlocksAttr>(op.getPattern()), block);
}

BlockSparseProduct blockSparseProduct(BlockSparseMatmulOp op) {
  WeightShape shape = op.getWeightShape();
  BlockSparseProduct p = commonParts(op);
  p.bias = op.getBias();
  p.rowBegin = op.getRowBegin();
  p.rowEnd = op.getRowEnd();
  p.in = shape.in;
  p.out = shape.out;
  p.mask = blockMaskOf(op, shape.block);
  return p;
}

BlockSparseProduct blockSparseProduct(BlockSparseMatmulTransposeOp op) {
  WeightShape shape = op.getWeightShape();
  BlockSparseProduct p = commonParts(op);
  p.dotInput = op.getDotInput();
  p.dots = op.getDots();
  // dX = dY·B: the product with Wᵀ = B, from dY's features to X's.
  p.in = shape.out;
  p.out = shape.in;
  p.mask = transposeMask(blockMaskOf(op, shape.block), p.blockIndex);
  return p;
}

} // namespace pfc
