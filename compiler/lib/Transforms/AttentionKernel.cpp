//===- AttentionKernel.cpp - Pixelfly attention's CPU kernels -------------===//
//
// `pfc.block_attention` as vector loops. The kernel walks the block-rows of one
// head in order. For a tile of query rows and each block J of their support
// (constant tables: the support is part of the kernel), it computes the scores
// S = Q·K_Jᵀ into a row buffer (register panels over the block's columns),
// then per row the running maximum M (flash attention's), the weights exp(τ·S
// − M) and their sums, and adds weights·V_J to the row's numerator (register
// panels over d). What the random features add outside the support is
// φ(qᵢ)ᵀ·(Σ_j φ(kⱼ)vⱼᵀ) over R \ S: each key block's share G_J = Φ_K,J·V_J is
// summed once per head into a state [m, d] (every key) or, causal, grown by
// one block per block-row, each block relative to its own scale c_J and the
// state to the largest so far; a block-row's queries read the state less the
// shares of the support's blocks that it holds, so the support's estimate is
// never formed score by score.
// Everything is kept relative to each row's M, so nothing overflows, and the
// row's result is exact at any scale: O = N·e^(−M) / (D·e^(−M)).
// docs/ATTENTION.md derives it.
//
//===----------------------------------------------------------------------===//
#include "AttentionEmitter.h"
#include "pfc/Pattern/RandomFeatures.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;

namespace pfc {
namespace {

class BlockAttentionKernel : AttentionEmitter {
public:
  BlockAttentionKernel(BlockAttentionOp op, const BlockMask &support,
                       const CpuTargetInfo &target, ImplicitLocOpBuilder &b)
      : AttentionEmitter(op, support, target, b), op(op) {}

  void emit();

private:
  /// Per row of a tile: the scale M, the sum of exp(S − M) on the support
  /// and the random features' estimate there (subtracted from the rest).
  struct RowSums {
    SmallVector<Value> scale, exact, estimate;
  };
  /// The tile's row sums live in `rowSums` [rowTile, 3] between blocks, not
  /// in registers: scalars carried through the support walk would stay live
  /// across the products' loops and push their accumulators to the stack.
  RowSums loadSums(int64_t rows);
  void storeSums(const RowSums &sums);

  /// The tile of `rows` query rows from `first` in block-row `row`.
  void emitTile(Value first, int64_t rows, Value row, Value stateScale);
  /// Carries the row sums through the support block at block-column `col`.
  void emitBlock(Value first, int64_t rows, Value row, Value col);
  /// The diagonal block's random-features estimate, causal triangle applied
  /// (a causal block-row whose support lacks the block).
  void emitDiagonalEstimate(Value first, int64_t rows, Value row);

  BlockAttentionOp op;
  Value scores, numerators, rowSums;
};

BlockAttentionKernel::RowSums BlockAttentionKernel::loadSums(int64_t rows) {
  RowSums sums;
  for (int64_t r = 0; r < rows; ++r) {
    sums.scale.push_back(v.loadScalar(rowSums, {e.index(r), e.index(0)}));
    sums.exact.push_back(v.loadScalar(rowSums, {e.index(r), e.index(1)}));
    sums.estimate.push_back(v.loadScalar(rowSums, {e.index(r), e.index(2)}));
  }
  return sums;
}

void BlockAttentionKernel::storeSums(const RowSums &sums) {
  for (size_t r = 0; r < sums.scale.size(); ++r) {
    Value row = e.index(static_cast<int64_t>(r));
    v.storeScalar(sums.scale[r], rowSums, {row, e.index(0)});
    v.storeScalar(sums.exact[r], rowSums, {row, e.index(1)});
    v.storeScalar(sums.estimate[r], rowSums, {row, e.index(2)});
  }
}

void BlockAttentionKernel::emitBlock(Value first, int64_t rows, Value row,
                                     Value col) {
  VectorType type = v.vec(blockWidth);
  const int64_t vectors = block / blockWidth;
  Value col0 = e.mul(col, e.index(block));
  productIntoBuffer(op.getQuery(), first, op.getKeyT(), d, rows, col0, scores);
  RowSums sums = loadSums(rows), next;
  SmallVector<Value> rescale;
  for (int64_t r = 0; r < rows; ++r) {
    Value token = e.add(first, e.index(r));
    // Keys past the last token, and causal ones after the query, are off.
    Value limit = keyLimit(token);
    // The raw scores, masked; τ > 0 scales their maximum.
    SmallVector<Value> s;
    Value lanesMax;
    for (int64_t i = 0; i < vectors; ++i) {
      Value at = e.index(i * blockWidth);
      Value live = v.lanesBelow(blockWidth, e.add(col0, at), limit);
      s.push_back(v.select(live, v.load(type, scores, {e.index(r), at}),
                           v.splat(type, e.f32(-INFINITY))));
      lanesMax = lanesMax ? v.max(lanesMax, s.back()) : s.back();
    }
    // One reduction across the lanes per row and block.
    Value rowMax = v.max(sums.scale[r], v.mul(v.maxOf(lanesMax), e.f32(tau)));
    Value alpha = v.exp(v.sub(sums.scale[r], rowMax));
    Value tauVector = v.splat(type, e.f32(tau));
    Value negativeMax = v.splat(type, v.sub(e.f32(0), rowMax));
    Value exact = v.zeros(type);
    for (int64_t i = 0; i < vectors; ++i) {
      Value weight = v.exp(v.fma(s[i], tauVector, negativeMax));
      exact = v.add(exact, weight);
      v.store(weight, scores, {e.index(r), e.index(i * blockWidth)});
    }
    next.scale.push_back(rowMax);
    next.exact.push_back(v.add(v.mul(sums.exact[r], alpha), v.sum(exact)));
    next.estimate.push_back(v.mul(sums.estimate[r], alpha));
    rescale.push_back(alpha);
  }
  Value count = e.min(e.index(block), b.create<arith::SubIOp>(tokens, col0));
  accumulateRows(numerators, rows, rescale, scores, op.getValue(), col0, count,
                 d);
  storeSums(next);
}

void BlockAttentionKernel::emitDiagonalEstimate(Value first, int64_t rows,
                                                Value row) {
  VectorType type = v.vec(blockWidth);
  const int64_t vectors = block / blockWidth;
  Value col0 = e.mul(row, e.index(block));
  productIntoBuffer(op.getQueryFeatures(), first, op.getKeyFeaturesT(), m, rows,
                    col0, scores);
  Value keyScale = v.loadScalar(op.getKeyLogScale(), {row});
  RowSums sums = loadSums(rows), next;
  SmallVector<Value> rescale;
  for (int64_t r = 0; r < rows; ++r) {
    Value token = e.add(first, e.index(r));
    Value exponent = v.add(lambda(token), keyScale);
    Value scale = v.max(sums.scale[r], exponent);
    Value alpha = v.exp(v.sub(sums.scale[r], scale));
    Value factor = v.splat(type, v.exp(v.sub(exponent, scale)));
    Value total = v.zeros(type);
    for (int64_t i = 0; i < vectors; ++i) {
      Value at = e.index(i * blockWidth);
      Value live = v.lanesBelow(blockWidth, e.add(col0, at), keyLimit(token));
      Value p =
          v.select(live, v.mul(v.load(type, scores, {e.index(r), at}), factor),
                   v.zeros(type));
      total = v.add(total, p);
      v.store(p, scores, {e.index(r), at});
    }
    next.scale.push_back(scale);
    next.exact.push_back(v.mul(sums.exact[r], alpha));
    // Added to the rest rather than subtracted from it.
    next.estimate.push_back(
        v.sub(v.mul(sums.estimate[r], alpha), v.sum(total)));
    rescale.push_back(alpha);
  }
  Value count = e.min(e.index(block), b.create<arith::SubIOp>(tokens, col0));
  accumulateRows(numerators, rows, rescale, scores, op.getValue(), col0, count,
                 d);
  storeSums(next);
}

void BlockAttentionKernel::emitTile(Value first, int64_t rows, Value row,
                                    Value stateScale) {
  VectorType headType = v.vec(headWidth);
  RowSums sums;
  for (int64_t r = 0; r < rows; ++r) {
    // Causal block-row 0 has no rest: its state scale is the floor.
    sums.scale.push_back(rowScale(e.add(first, e.index(r)), stateScale));
    sums.exact.push_back(e.f32(0));
    sums.estimate.push_back(e.f32(0));
    for (int64_t i = 0; i < d; i += headWidth)
      v.store(v.zeros(headType), numerators, {e.index(r), e.index(i)});
  }
  Value begin = b.create<memref::LoadOp>(rowStart, row);
  Value end = b.create<memref::LoadOp>(rowStart, e.add(row, e.index(1)));
  storeSums(sums);
  e.loop(begin, end, 1, [&](Value at) {
    emitBlock(first, rows, row, b.create<memref::LoadOp>(colIndex, at));
  });
  // A causal block-row whose support lacks its diagonal block (none, or a
  // shuffled pattern's) has that block's estimate added instead.
  if (causal && lowRank && anyLacksDiagonal()) {
    auto branch = b.create<scf::IfOp>(lacksDiagonal(row));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    emitDiagonalEstimate(first, rows, row);
  }
  sums = loadSums(rows);

  // The random features' rest: N += e^(λ + C − M)·Φ_qᵀ·rowState, and the
  // same for the denominator with the row state's sums.
  SmallVector<Value> rest(rows, e.f32(0));
  if (lowRank) {
    // Φ_q's row times the factor into the scores buffer, then one product.
    for (int64_t r = 0; r < rows; ++r) {
      Value token = e.add(first, e.index(r));
      Value factor =
          v.exp(v.sub(v.add(lambda(token), stateScale), sums.scale[r]));
      scf::ForOp dot = e.loop(
          e.index(0), e.index(m), 1, {e.f32(0)}, [&](Value f, ValueRange acc) {
            Value phi =
                v.mul(v.loadScalar(op.getQueryFeatures(), {token, f}), factor);
            v.storeScalar(phi, scores, {e.index(r), f});
            return SmallVector<Value>{
                v.add(acc[0], v.mul(phi, v.loadScalar(rowStateSums, {f})))};
          });
      rest[r] = dot.getResult(0);
    }
    SmallVector<Value> ones(rows, e.f32(1));
    accumulateRows(numerators, rows, ones, scores, rowState, e.index(0),
                   e.index(m), d);
  }
  Value logEpsilon = e.f32(std::log(kAttentionEpsilon));
  for (int64_t r = 0; r < rows; ++r) {
    Value token = e.add(first, e.index(r));
    Value floor = v.exp(v.sub(logEpsilon, sums.scale[r]));
    Value lowPart = v.sub(rest[r], sums.estimate[r]);
    Value clamped =
        b.create<arith::CmpFOp>(arith::CmpFPredicate::ULT, lowPart, floor);
    Value denominator = v.add(sums.exact[r], v.select(clamped, floor, lowPart));
    Value inverse =
        v.splat(headType, b.create<arith::DivFOp>(e.f32(1), denominator));
    for (int64_t i = 0; i < d; i += headWidth)
      v.store(v.mul(v.load(headType, numerators, {e.index(r), e.index(i)}),
                    inverse),
              op.getOutput(), {token, e.index(i)});
    v.storeScalar(sums.scale[r], op.getStats(), {token, e.index(0)});
    v.storeScalar(denominator, op.getStats(), {token, e.index(1)});
    v.storeScalar(v.select(clamped, e.f32(1), e.f32(0)), op.getStats(),
                  {token, e.index(2)});
  }
}

void BlockAttentionKernel::emit() {
  emitTables();
  // Tile buffers on the heap: the kernel runs inside the loop over heads,
  // where a stack allocation would grow the stack once per head.
  scores = tileBuffer(std::max(block, m));
  numerators = tileBuffer(d);
  rowSums = tileBuffer(3);
  walkBlockRows(op.getRowBegin(), op.getRowEnd(),
                [&](Value first, int64_t rows, Value row, Value scale) {
                  emitTile(first, rows, row, scale);
                });
  freeTileBuffers();
}

} // namespace

/// The support of a kernel-level attention op, over its padded sequence.
template <typename OpT> static FailureOr<BlockMask> supportOf(OpT op) {
  int64_t padded = cast<MemRefType>(op.getKeyT().getType()).getDimSize(1);
  return op.getPattern().getBlockMask(padded, padded,
                                      static_cast<int64_t>(op.getBlock()),
                                      [&] { return op.emitOpError(); });
}

LogicalResult lowerBlockAttention(BlockAttentionOp op,
                                  const CpuTargetInfo &target,
                                  OpBuilder &builder) {
  FailureOr<BlockMask> support = supportOf(op);
  if (failed(support))
    return failure();
  if (support->nnzBlocks() == 0 && !op.getQueryFeatures())
    return op.emitOpError("has neither a support nor random features");
  ImplicitLocOpBuilder b(op.getLoc(), builder);
  BlockAttentionKernel(op, *support, target, b).emit();
  return success();
}

} // namespace pfc
