//===- BlockSparseProduct.h - bsmm and bsmm_t as one product -*- C++ -*-===//
//
// Both block-sparse ops compute `output = scale ⊙ (input·Wᵀ) +
// extra·extraWeights + bias` for some block-sparse W: pfc.bsmm with W = B
// over its packed blocks, pfc.bsmm_t (dX = dY·B) with W = Bᵀ, whose packed
// blocks are exactly the user's blocks of B, visited in Bᵀ's BSR order. Every
// back end lowers this one description (the CPU kernel and the CUDA one).
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TRANSFORMS_BLOCKSPARSEPRODUCT_H
#define PFC_TRANSFORMS_BLOCKSPARSEPRODUCT_H

#include "pfc/Dialect/PfcOps.h"
#include "pfc/Pattern/Butterfly.h"

#include <vector>

namespace pfc {

/// `output = scale ⊙ (input·Wᵀ) + extra·extraWeights + bias`, W [out, in]
/// with `mask`'s nonzero b×b blocks; block n of `blocks` holds Wᵀ's block
/// ([k][o]) at BSR position n, or at position `blockIndex[n]` when given.
struct BlockSparseProduct {
  mlir::Value input, blocks, scale, extra, extraWeights, bias, output;
  /// The block-rows written, all when null.
  mlir::Value rowBegin, rowEnd;
  /// Per-token dots of the unscaled product with `dotInput` [T, out].
  mlir::Value dotInput, dots;
  int64_t block = 0, in = 0, out = 0;
  BlockMask mask;
  std::vector<int64_t> blockIndex;
};

/// The product of `op`, whose pattern must be an explicit block list.
BlockSparseProduct blockSparseProduct(BlockSparseMatmulOp op);
BlockSparseProduct blockSparseProduct(BlockSparseMatmulTransposeOp op);

} // namespace pfc

#endif // PFC_TRANSFORMS_BLOCKSPARSEPRODUCT_H
