//===- AttentionKernel.cpp - Pixelfly attention's CPU kernels -------------===//
//
// `pfc.block_attention` as vector loops. The kernel walks the block-rows of one
// head in order. For a tile of query rows and each block J of their support
// (constant tables: the support is part of the kernel), it computes the scores
// S = τ·Q·K_Jᵀ into a row buffer (register panels over the block's columns),
// the random features' estimate P = Φ_Q·Φ_K,J where the formula subtracts it,
// then per row the running maximum M (flash attention's), the weights exp(S −
// M) − P·exp(λ + c_J − M) and their sums, and adds weights·V_J to the row's
// numerator (register panels over d). What the random features add outside the
// support is φ(qᵢ)ᵀ·(Σ_j φ(kⱼ)vⱼᵀ) over R: a state [m, d] summed once (every
// key) or, causal, grown by one block of keys per block-row, each block's
// features relative to its own scale c_J and the state to the largest so far.
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
  SmallVector<Value> pack(const RowSums &sums) const;
  RowSums unpack(ValueRange values, int64_t rows) const;

  /// The tile of `rows` query rows from `first` in block-row `row`.
  void emitTile(Value first, int64_t rows, Value row, Value stateScale);
  /// Carries `sums` through the support block at block-column `col`.
  RowSums emitBlock(Value first, int64_t rows, Value row, Value col,
                    const RowSums &sums);
  /// The diagonal block's random-features estimate, causal triangle applied
  /// (a causal block-row whose support lacks the block).
  RowSums emitDiagonalEstimate(Value first, int64_t rows, Value row,
                               const RowSums &sums);

  BlockAttentionOp op;
  Value scores, estimates, numerators;
};

SmallVector<Value> BlockAttentionKernel::pack(const RowSums &sums) const {
  SmallVector<Value> values(sums.scale);
  values.append(sums.exact);
  values.append(sums.estimate);
  return values;
}

BlockAttentionKernel::RowSums BlockAttentionKernel::unpack(ValueRange values,
                                                           int64_t rows) const {
  RowSums sums;
  sums.scale.assign(values.begin(), values.begin() + rows);
  sums.exact.assign(values.begin() + rows, values.begin() + 2 * rows);
  sums.estimate.assign(values.begin() + 2 * rows, values.end());
  return sums;
}

BlockAttentionKernel::RowSums
BlockAttentionKernel::emitBlock(Value first, int64_t rows, Value row, Value col,
                                const RowSums &sums) {
  VectorType type = v.vec(blockWidth);
  const int64_t vectors = block / blockWidth;
  Value col0 = e.mul(col, e.index(block));
  productIntoBuffer(op.getQuery(), first, op.getKeyT(), d, rows, col0, scores);
  // The estimate is subtracted where the rest R holds the block: every
  // block, or causal ones left of the diagonal.
  Value subtract, keyScale;
  if (lowRank) {
    productIntoBuffer(op.getQueryFeatures(), first, op.getKeyFeaturesT(), m,
                      rows, col0, estimates);
    subtract =
        causal ? b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, col, row)
                     .getResult()
               : b.create<arith::ConstantIntOp>(1, 1).getResult();
    keyScale = v.loadScalar(op.getKeyLogScale(), {col});
  }
  RowSums next;
  SmallVector<Value> rescale;
  for (int64_t r = 0; r < rows; ++r) {
    Value token = e.add(first, e.index(r));
    // Keys past the last token, and causal ones after the query, are off.
    Value limit = keyLimit(token);
    SmallVector<Value> s;
    Value rowMax = sums.scale[r];
    for (int64_t i = 0; i < vectors; ++i) {
      Value at = e.index(i * blockWidth);
      Value live = v.lanesBelow(blockWidth, e.add(col0, at), limit);
      Value scaled = v.mul(v.load(type, scores, {e.index(r), at}),
                           v.splat(type, e.f32(tau)));
      s.push_back(v.select(live, scaled, v.splat(type, e.f32(-INFINITY))));
      rowMax = v.max(rowMax, v.maxOf(s.back()));
    }
    Value alpha = v.exp(v.sub(sums.scale[r], rowMax));
    Value scaleVector = v.splat(type, rowMax);
    Value estimateFactor;
    if (lowRank)
      estimateFactor = v.splat(
          type, v.select(subtract,
                         v.exp(v.sub(v.add(lambda(token), keyScale), rowMax)),
                         e.f32(0)));
    Value exact = v.zeros(type), estimate = v.zeros(type);
    for (int64_t i = 0; i < vectors; ++i) {
      Value at = e.index(i * blockWidth);
      Value weight = v.exp(v.sub(s[i], scaleVector));
      exact = v.add(exact, weight);
      if (lowRank) {
        Value p =
            v.mul(v.load(type, estimates, {e.index(r), at}), estimateFactor);
        estimate = v.add(estimate, p);
        weight = v.sub(weight, p);
      }
      v.store(weight, scores, {e.index(r), at});
    }
    next.scale.push_back(rowMax);
    next.exact.push_back(v.add(v.mul(sums.exact[r], alpha), v.sum(exact)));
    next.estimate.push_back(
        v.add(v.mul(sums.estimate[r], alpha), v.sum(estimate)));
    rescale.push_back(alpha);
  }
  Value count = e.min(e.index(block), b.create<arith::SubIOp>(tokens, col0));
  accumulateRows(numerators, rows, rescale, scores, op.getValue(), col0, count,
                 d);
  return next;
}

BlockAttentionKernel::RowSums
BlockAttentionKernel::emitDiagonalEstimate(Value first, int64_t rows, Value row,
                                           const RowSums &sums) {
  VectorType type = v.vec(blockWidth);
  const int64_t vectors = block / blockWidth;
  Value col0 = e.mul(row, e.index(block));
  productIntoBuffer(op.getQueryFeatures(), first, op.getKeyFeaturesT(), m, rows,
                    col0, scores);
  Value keyScale = v.loadScalar(op.getKeyLogScale(), {row});
  RowSums next;
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
  return next;
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
  scf::ForOp walk =
      e.loop(begin, end, 1, pack(sums), [&](Value at, ValueRange carried) {
        Value col = b.create<memref::LoadOp>(colIndex, at);
        return pack(emitBlock(first, rows, row, col, unpack(carried, rows)));
      });
  sums = unpack(walk.getResults(), rows);
  // A causal block-row whose support lacks its diagonal block (none, or a
  // shuffled pattern's) has that block's estimate added instead.
  if (causal && lowRank && anyLacksDiagonal()) {
    SmallVector<Value> carried = pack(sums);
    SmallVector<Type> types(carried.size(), b.getF32Type());
    auto branch = b.create<scf::IfOp>(types, lacksDiagonal(row),
                                      /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&branch.getThenRegion().front());
      b.create<scf::YieldOp>(
          pack(emitDiagonalEstimate(first, rows, row, sums)));
      b.setInsertionPointToStart(&branch.getElseRegion().front());
      b.create<scf::YieldOp>(carried);
    }
    sums = unpack(branch.getResults(), rows);
  }

  // The random features' rest: N += e^(λ + C − M)·Φ_qᵀ·state, and the same
  // for the denominator with the state's sums.
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
                v.add(acc[0], v.mul(phi, v.loadScalar(stateSums, {f})))};
          });
      rest[r] = dot.getResult(0);
    }
    SmallVector<Value> ones(rows, e.f32(1));
    accumulateRows(numerators, rows, ones, scores, state, e.index(0),
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
  if (lowRank)
    estimates = tileBuffer(block);
  numerators = tileBuffer(d);
  Value stateScale = beginState();
  Value blockSize = e.index(block);
  // A block-row range: causal, the state first grows to its first row.
  Value rowBegin = e.index(0), rowEnd = liveBlocks;
  if (op.getRowBegin()) {
    rowBegin = e.min(op.getRowBegin(), liveBlocks);
    rowEnd = e.min(op.getRowEnd(), liveBlocks);
    if (lowRank && causal)
      stateScale =
          e.loop(e.index(1), rowBegin, 1, {stateScale},
                 [&](Value row, ValueRange carried) {
                   return SmallVector<Value>{growState(row, carried[0])};
                 })
              .getResult(0);
  }
  e.loop(rowBegin, rowEnd, 1, {stateScale}, [&](Value row, ValueRange carried) {
    Value scale = growState(row, carried[0]);
    Value first = e.mul(row, blockSize);
    Value last = e.min(e.add(first, blockSize), tokens);
    forTiles(first, last, [&](Value tile, int64_t rows) {
      emitTile(tile, rows, row, scale);
    });
    return SmallVector<Value>{scale};
  });
  endState();
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
