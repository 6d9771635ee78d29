//===- AttentionGradKernel.cpp - Pixelfly attention's backward ------------===//
//
// `pfc.block_attention_grad` as vector loops, for one head. With each row's
// scale M, scaled denominator D̂ = D·e^(−M) and floor flag from the
// forward's stats, ψᵢ = dOᵢ/D̂ᵢ and δᵢ = dOᵢ·Oᵢ/D̂ᵢ, the gradients of the
// formula's parts are (docs/ATTENTION.md):
//
//   exact, j ∈ Sᵢ:   dsᵢⱼ = êᵢⱼ·(ψᵢ·vⱼ − δᵢ),  dq += τ·ds·K, dk += τ·dsᵀ·Q,
//                    dv += êᵀ·ψ
//   estimate, j in the rest Rᵢ \ Sᵢ:  with p̂ᵢⱼ = e^(λᵢ + c_J − Mᵢ)·Φ_q·Φ_k,
//                    dΦ_q,i += Σⱼ (ψᵢ·vⱼ − gᵢδᵢ)·e^(λᵢ + c_J − Mᵢ)·Φ_k,j,
//                    dΦ_k,j += the same with Φ_q,i, dv += p̂ᵀ·ψ
//
// (g = 0 where the floor ε was taken). The first pass walks the support as
// the forward does, for the exact part; the queries' sums over R \ S come
// from the block-row's state (the forward's state less its support's
// blocks). The keys' come from the mirror image, a second pass: each
// block-row's aggregate Σ e^(λ − M)·Φ_q·ψᵀ; a key block takes the rows whose
// R holds it (every row, or causal the rows after it, summed from the last
// block-row down) less the rows whose support holds it too. The diagonal
// block's estimate that the forward added for a causal row lacking it is
// differentiated element by element. dΦ goes back to q and k through
// `pfc.random_features_grad`. With rows(...), only those block-rows' queries
// count: dq is zero elsewhere, dk and dv get their part.
//
//===----------------------------------------------------------------------===//
#include "AttentionEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;

namespace pfc {
namespace {

class BlockAttentionGradKernel : AttentionEmitter {
public:
  BlockAttentionGradKernel(BlockAttentionGradOp op, const BlockMask &support,
                           const CpuTargetInfo &target, ImplicitLocOpBuilder &b)
      : AttentionEmitter(op, support, target, b), op(op) {}

  void emit();

private:
  /// One query row's part of the backward: its scale M, ψ = dO/D̂ (vectors
  /// over d), δ = dO·O/D̂, and g·δ (0 where the floor was taken).
  struct RowGrad {
    Value scale, delta, gatedDelta;
    SmallVector<Value> psi;
  };
  RowGrad rowGrad(Value token);

  /// The tile of `rows` query rows from `first` in block-row `row`.
  void emitTile(Value first, int64_t rows, Value row, Value stateScale);
  /// The support block at block-column `col` for the tile.
  void emitBlock(Value first, int64_t rows, ArrayRef<RowGrad> grads, Value col);
  /// The diagonal block's estimate (a causal row lacking it): added.
  void emitDiagonalEstimate(Value first, int64_t rows, ArrayRef<RowGrad> grads,
                            Value row);
  /// The estimate's part of one block, which the forward subtracted (sign
  /// 1) or added (−1): `weights` −= sign·p̂, `rho`[ρ, j] = −sign·(ψ·vⱼ −
  /// gδ)·factor[ρ] (causal triangle applied with `triangle`), then dΦ_q and
  /// dΦ_k.
  void emitEstimate(Value first, int64_t rows, ArrayRef<RowGrad> grads,
                    Value col0, Value count, ArrayRef<Value> factors,
                    double sign, bool triangle);
  /// The keys' rest, second pass: aggregates of the rows whose rest holds
  /// each key block, applied to its keys.
  void emitKeyRest();
  /// Block-row `row`'s aggregate A = Σ e^(λ − M − s)·Φ_q·ψᵀ and a = Σ
  /// e^(λ − M − s)·gδ·Φ_q into its slot of rowAggregates, relative to its
  /// own largest e^(λ − M), s (stored, and returned).
  Value aggregateRow(Value row);
  /// target = target·rescale + sign·e^(s − scale)·A for block-row `row`.
  void addRowAggregate(Value target, Value targetSums, Value row, Value scale,
                       Value rescale, double sign = 1.0);
  /// keyAggregate: `aggregate` (the rows whose state holds key block `col`,
  /// at `scale`) less those whose support holds it too.
  void keyAggregateFor(Value col, Value scale);
  /// dΦ_k and dv of the keys of block `col` from keyAggregate at `scale`.
  void applyToKeys(Value col, Value scale);
  void zeroRows(Value matrix, Value rows, int64_t width);

  BlockAttentionGradOp op;
  Value scores, dots, estimates, weights, rho, psiRows, gradRows, featureRows;
  Value aggregate, aggregateSums, keyAggregate, keyAggregateSums;
  Value rowAggregates, rowAggregateSums, rowAggregateScales;
  Value heldStart, heldRows;
};

BlockAttentionGradKernel::RowGrad
BlockAttentionGradKernel::rowGrad(Value token) {
  VectorType type = v.vec(headWidth);
  RowGrad grad;
  grad.scale = v.loadScalar(op.getStats(), {token, e.index(0)});
  Value inverse = b.create<arith::DivFOp>(
      e.f32(1), v.loadScalar(op.getStats(), {token, e.index(1)}));
  Value flooredAt = v.loadScalar(op.getStats(), {token, e.index(2)});
  Value dot = v.zeros(type);
  Value inverses = v.splat(type, inverse);
  for (int64_t i = 0; i < d; i += headWidth) {
    Value dout = v.load(type, op.getGradOutput(), {token, e.index(i)});
    dot = v.fma(dout, v.load(type, op.getOutput(), {token, e.index(i)}), dot);
    grad.psi.push_back(v.mul(dout, inverses));
  }
  grad.delta = v.mul(v.sum(dot), inverse);
  grad.gatedDelta = v.mul(grad.delta, v.sub(e.f32(1), flooredAt));
  return grad;
}

void BlockAttentionGradKernel::zeroRows(Value matrix, Value rows,
                                        int64_t width) {
  const int64_t lanes = vectorWidthFor(width, target.vectorWidth);
  e.loop(e.index(0), rows, 1, [&](Value r) {
    for (int64_t c = 0; c < width; c += lanes)
      v.store(v.zeros(v.vec(lanes)), matrix, {r, e.index(c)});
  });
}

void BlockAttentionGradKernel::emitEstimate(Value first, int64_t rows,
                                            ArrayRef<RowGrad> grads, Value col0,
                                            Value count,
                                            ArrayRef<Value> factors,
                                            double sign, bool triangle) {
  VectorType type = v.vec(blockWidth);
  const int64_t vectors = block / blockWidth;
  productIntoBuffer(op.getQueryFeatures(), first, op.getKeyFeaturesT(), m, rows,
                    col0, estimates);
  for (int64_t r = 0; r < rows; ++r) {
    Value token = e.add(first, e.index(r));
    Value factor = v.splat(type, factors[r]);
    Value gated = v.splat(type, grads[r].gatedDelta);
    for (int64_t i = 0; i < vectors; ++i) {
      Value at = e.index(i * blockWidth);
      Value p = v.mul(v.load(type, estimates, {e.index(r), at}), factor);
      Value coefficient =
          v.mul(v.sub(v.load(type, dots, {e.index(r), at}), gated), factor);
      if (triangle) {
        Value live = v.lanesBelow(blockWidth, e.add(col0, at), keyLimit(token));
        p = v.select(live, p, v.zeros(type));
        coefficient = v.select(live, coefficient, v.zeros(type));
      }
      // The forward subtracted (sign 1) or added (−1) sign·p: its weight
      // on ψ is −sign·p̂ and on Φ −sign·(ψ·v − gδ)·factor.
      Value w = v.load(type, weights, {e.index(r), at});
      Value signs = v.splat(type, e.f32(sign));
      v.store(v.sub(w, v.mul(signs, p)), weights, {e.index(r), at});
      v.store(v.mul(v.splat(type, e.f32(-sign)), coefficient), rho,
              {e.index(r), at});
    }
  }
  SmallVector<Value> ones(rows, e.f32(1));
  accumulateRows(featureRows, rows, ones, rho, op.getKeyFeatures(), col0, count,
                 m);
  accumulateColumns(op.getGradKeyFeatures(), col0, count, rows, rho,
                    op.getQueryFeatures(), first, m);
}

void BlockAttentionGradKernel::emitBlock(Value first, int64_t rows,
                                         ArrayRef<RowGrad> grads, Value col) {
  VectorType type = v.vec(blockWidth);
  const int64_t vectors = block / blockWidth;
  Value col0 = e.mul(col, e.index(block));
  Value count = e.min(e.index(block), b.create<arith::SubIOp>(tokens, col0));
  productIntoBuffer(op.getQuery(), first, op.getKeyT(), d, rows, col0, scores);
  productIntoBuffer(psiRows, e.index(0), op.getValueT(), d, rows, col0, dots);
  for (int64_t r = 0; r < rows; ++r) {
    Value token = e.add(first, e.index(r));
    Value limit = keyLimit(token);
    Value scale = v.splat(type, grads[r].scale);
    Value delta = v.splat(type, grads[r].delta);
    for (int64_t i = 0; i < vectors; ++i) {
      Value at = e.index(i * blockWidth);
      Value live = v.lanesBelow(blockWidth, e.add(col0, at), limit);
      Value s = v.mul(v.load(type, scores, {e.index(r), at}),
                      v.splat(type, e.f32(tau)));
      Value exact = v.select(live, v.exp(v.sub(s, scale)), v.zeros(type));
      Value ds = v.mul(
          v.mul(exact, v.sub(v.load(type, dots, {e.index(r), at}), delta)),
          v.splat(type, e.f32(tau)));
      v.store(ds, scores, {e.index(r), at});
      v.store(exact, weights, {e.index(r), at});
    }
  }
  SmallVector<Value> ones(rows, e.f32(1));
  accumulateRows(gradRows, rows, ones, scores, op.getKey(), col0, count, d);
  accumulateColumns(op.getGradKey(), col0, count, rows, scores, op.getQuery(),
                    first, d);
  accumulateColumns(op.getGradValue(), col0, count, rows, weights, psiRows,
                    e.index(0), d);
}

void BlockAttentionGradKernel::emitDiagonalEstimate(Value first, int64_t rows,
                                                    ArrayRef<RowGrad> grads,
                                                    Value row) {
  VectorType type = v.vec(blockWidth);
  Value col0 = e.mul(row, e.index(block));
  Value count = e.min(e.index(block), b.create<arith::SubIOp>(tokens, col0));
  productIntoBuffer(psiRows, e.index(0), op.getValueT(), d, rows, col0, dots);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < block; i += blockWidth)
      v.store(v.zeros(type), weights, {e.index(r), e.index(i)});
  Value keyScale = v.loadScalar(op.getKeyLogScale(), {row});
  SmallVector<Value> factors;
  for (int64_t r = 0; r < rows; ++r)
    factors.push_back(v.exp(v.sub(
        v.add(lambda(e.add(first, e.index(r))), keyScale), grads[r].scale)));
  emitEstimate(first, rows, grads, col0, count, factors, -1.0,
               /*triangle=*/true);
  accumulateColumns(op.getGradValue(), col0, count, rows, weights, psiRows,
                    e.index(0), d);
}

void BlockAttentionGradKernel::emitTile(Value first, int64_t rows, Value row,
                                        Value stateScale) {
  VectorType headType = v.vec(headWidth);
  SmallVector<RowGrad> grads;
  for (int64_t r = 0; r < rows; ++r) {
    grads.push_back(rowGrad(e.add(first, e.index(r))));
    for (int64_t i = 0; i < d; i += headWidth) {
      v.store(grads.back().psi[i / headWidth], psiRows,
              {e.index(r), e.index(i)});
      v.store(v.zeros(headType), gradRows, {e.index(r), e.index(i)});
    }
    if (lowRank)
      e.loop(e.index(0), e.index(m), 1, [&](Value f) {
        v.storeScalar(e.f32(0), featureRows, {e.index(r), f});
      });
  }
  Value begin = b.create<memref::LoadOp>(rowStart, row);
  Value end = b.create<memref::LoadOp>(rowStart, e.add(row, e.index(1)));
  e.loop(begin, end, 1, [&](Value at) {
    emitBlock(first, rows, grads, b.create<memref::LoadOp>(colIndex, at));
  });
  if (causal && lowRank && anyLacksDiagonal()) {
    auto branch = b.create<scf::IfOp>(lacksDiagonal(row),
                                      /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    emitDiagonalEstimate(first, rows, grads, row);
  }
  for (int64_t r = 0; r < rows; ++r) {
    Value token = e.add(first, e.index(r));
    if (lowRank) {
      // The queries' rest R \ S: e^(λ + C − M)·(rowState·ψ − gδ·Σ Φ_k).
      Value factor =
          v.exp(v.sub(v.add(lambda(token), stateScale), grads[r].scale));
      e.loop(e.index(0), e.index(m), 1, [&](Value f) {
        Value dot = v.zeros(headType);
        for (int64_t i = 0; i < d; i += headWidth)
          dot = v.fma(v.load(headType, rowState, {f, e.index(i)}),
                      grads[r].psi[i / headWidth], dot);
        Value rest = v.sub(v.sum(dot), v.mul(grads[r].gatedDelta,
                                             v.loadScalar(rowStateSums, {f})));
        v.storeScalar(v.add(v.loadScalar(featureRows, {e.index(r), f}),
                            v.mul(rest, factor)),
                      op.getGradQueryFeatures(), {token, f});
      });
    }
    for (int64_t i = 0; i < d; i += headWidth)
      v.store(v.load(headType, gradRows, {e.index(r), e.index(i)}),
              op.getGradQuery(), {token, e.index(i)});
  }
}

Value BlockAttentionGradKernel::aggregateRow(Value row) {
  VectorType headType = v.vec(headWidth);
  Value first = e.mul(row, e.index(block));
  Value last = e.min(e.add(first, e.index(block)), tokens);
  // The block-row's largest e^(λ − M): its aggregate's scale.
  scf::ForOp scan =
      e.loop(first, last, 1, {e.f32(attentionScaleFloor())},
             [&](Value t, ValueRange c) {
               Value exponent = v.sub(
                   lambda(t), v.loadScalar(op.getStats(), {t, e.index(0)}));
               return SmallVector<Value>{v.max(c[0], exponent)};
             });
  Value scale = scan.getResult(0);
  v.storeScalar(scale, rowAggregateScales, {row});
  Value row0 = e.mul(row, e.index(m));
  e.loop(e.index(0), e.index(m), 1, [&](Value f) {
    Value at = e.add(row0, f);
    for (int64_t i = 0; i < d; i += headWidth)
      v.store(v.zeros(headType), rowAggregates, {at, e.index(i)});
    v.storeScalar(e.f32(0), rowAggregateSums, {at});
  });
  e.loop(first, last, 1, [&](Value t) {
    RowGrad grad = rowGrad(t);
    Value weight = v.exp(v.sub(v.sub(lambda(t), grad.scale), scale));
    e.loop(e.index(0), e.index(m), 1, [&](Value f) {
      Value at = e.add(row0, f);
      Value phi = v.mul(v.loadScalar(op.getQueryFeatures(), {t, f}), weight);
      Value phis = v.splat(headType, phi);
      for (int64_t i = 0; i < d; i += headWidth)
        v.store(v.fma(phis, grad.psi[i / headWidth],
                      v.load(headType, rowAggregates, {at, e.index(i)})),
                rowAggregates, {at, e.index(i)});
      v.storeScalar(v.add(v.loadScalar(rowAggregateSums, {at}),
                          v.mul(phi, grad.gatedDelta)),
                    rowAggregateSums, {at});
    });
  });
  return scale;
}

void BlockAttentionGradKernel::addRowAggregate(Value target, Value targetSums,
                                               Value row, Value scale,
                                               Value rescale, double sign) {
  Value factor =
      v.mul(v.exp(v.sub(v.loadScalar(rowAggregateScales, {row}), scale)),
            e.f32(sign));
  accumulateState(target, targetSums, rowAggregates, rowAggregateSums,
                  e.mul(row, e.index(m)), factor, rescale);
}

void BlockAttentionGradKernel::keyAggregateFor(Value col, Value scale) {
  copyState(aggregate, aggregateSums, keyAggregate, keyAggregateSums);
  e.loop(
      b.create<memref::LoadOp>(heldStart, col),
      b.create<memref::LoadOp>(heldStart, e.add(col, e.index(1))), 1,
      [&](Value at) {
        Value row = b.create<memref::LoadOp>(heldRows, at);
        Value counted = b.create<arith::AndIOp>(
            b.create<arith::CmpIOp>(arith::CmpIPredicate::uge, row, rowBegin),
            b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, row, rowEnd));
        auto live = b.create<scf::IfOp>(counted);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(live.thenBlock()->getTerminator());
        addRowAggregate(keyAggregate, keyAggregateSums, row, scale, Value(),
                        -1.0);
      });
}

void BlockAttentionGradKernel::applyToKeys(Value col, Value scale) {
  VectorType headType = v.vec(headWidth);
  Value first = e.mul(col, e.index(block));
  Value last = e.min(e.add(first, e.index(block)), tokens);
  Value factor = v.exp(v.add(v.loadScalar(op.getKeyLogScale(), {col}), scale));
  e.loop(first, last, 1, [&](Value j) {
    SmallVector<Value> value, inits;
    for (int64_t i = 0; i < d; i += headWidth) {
      value.push_back(v.load(headType, op.getValue(), {j, e.index(i)}));
      inits.push_back(v.zeros(headType));
    }
    // dΦ_k,j += factor·(A·vⱼ − B), dvⱼ += factor·Aᵀ·Φ_k,j.
    scf::ForOp loop =
        e.loop(e.index(0), e.index(m), 1, inits, [&](Value f, ValueRange acc) {
          Value dot = v.zeros(headType);
          SmallVector<Value> rowOfA, next;
          for (int64_t i = 0; i < d; i += headWidth) {
            rowOfA.push_back(v.load(headType, keyAggregate, {f, e.index(i)}));
            dot = v.fma(rowOfA.back(), value[i / headWidth], dot);
          }
          Value grad = v.mul(
              v.sub(v.sum(dot), v.loadScalar(keyAggregateSums, {f})), factor);
          v.storeScalar(
              v.add(v.loadScalar(op.getGradKeyFeatures(), {j, f}), grad),
              op.getGradKeyFeatures(), {j, f});
          Value phi =
              v.splat(headType, v.loadScalar(op.getKeyFeatures(), {j, f}));
          for (size_t i = 0; i < rowOfA.size(); ++i)
            next.push_back(v.fma(phi, rowOfA[i], acc[i]));
          return next;
        });
    Value factors = v.splat(headType, factor);
    for (int64_t i = 0; i < d; i += headWidth)
      v.store(v.fma(loop.getResult(i / headWidth), factors,
                    v.load(headType, op.getGradValue(), {j, e.index(i)})),
              op.getGradValue(), {j, e.index(i)});
  });
}

void BlockAttentionGradKernel::emitKeyRest() {
  // For each key block J, the block-rows whose support holds it (causal:
  // those after it, whose state holds it).
  SmallVector<int64_t> starts = {0}, rowsHolding;
  for (int64_t c = 0; c < mask.blockCols; ++c) {
    for (int64_t r = causal ? c + 1 : 0; r < mask.blockRows; ++r)
      if (mask.contains(r, c))
        rowsHolding.push_back(r);
    starts.push_back(static_cast<int64_t>(rowsHolding.size()));
  }
  if (rowsHolding.empty())
    rowsHolding.push_back(0); // a table needs an element; no block reads it
  heldStart = e.constantTable(starts, "pfc_attention_held_start");
  heldRows = e.constantTable(rowsHolding, "pfc_attention_held_rows");

  Type f32 = b.getF32Type();
  const int64_t maxBlocks = mask.blockRows;
  SmallVector<Value> buffers = {
      aggregate = b.create<memref::AllocOp>(MemRefType::get({m, d}, f32)),
      aggregateSums = b.create<memref::AllocOp>(MemRefType::get({m}, f32)),
      keyAggregate = b.create<memref::AllocOp>(MemRefType::get({m, d}, f32)),
      keyAggregateSums = b.create<memref::AllocOp>(MemRefType::get({m}, f32)),
      rowAggregates =
          b.create<memref::AllocOp>(MemRefType::get({maxBlocks * m, d}, f32)),
      rowAggregateSums =
          b.create<memref::AllocOp>(MemRefType::get({maxBlocks * m}, f32)),
      rowAggregateScales =
          b.create<memref::AllocOp>(MemRefType::get({maxBlocks}, f32))};
  e.loop(e.index(0), e.index(m), 1, [&](Value f) {
    for (int64_t i = 0; i < d; i += headWidth)
      v.store(v.zeros(v.vec(headWidth)), aggregate, {f, e.index(i)});
    v.storeScalar(e.f32(0), aggregateSums, {f});
  });
  scf::ForOp largest =
      e.loop(rowBegin, rowEnd, 1, {e.f32(attentionScaleFloor())},
             [&](Value row, ValueRange c) {
               return SmallVector<Value>{v.max(c[0], aggregateRow(row))};
             });
  if (causal) {
    // From the range's last block down: a key block gets the rows after it.
    e.loop(
        e.index(0), rowEnd, 1, {e.f32(attentionScaleFloor())},
        [&](Value i, ValueRange c) {
          Value col = b.create<arith::SubIOp>(
              b.create<arith::SubIOp>(rowEnd, e.index(1)), i);
          keyAggregateFor(col, c[0]);
          applyToKeys(col, c[0]);
          auto counted = b.create<scf::IfOp>(
              TypeRange{b.getF32Type()},
              b.create<arith::CmpIOp>(arith::CmpIPredicate::uge, col, rowBegin),
              /*withElseRegion=*/true);
          b.setInsertionPointToStart(&counted.getThenRegion().front());
          Value grown = v.max(c[0], v.loadScalar(rowAggregateScales, {col}));
          addRowAggregate(aggregate, aggregateSums, col, grown,
                          v.exp(v.sub(c[0], grown)));
          b.create<scf::YieldOp>(grown);
          b.setInsertionPointToStart(&counted.getElseRegion().front());
          b.create<scf::YieldOp>(c[0]);
          b.setInsertionPointAfter(counted);
          return SmallVector<Value>{counted.getResult(0)};
        });
  } else {
    Value scale = largest.getResult(0);
    e.loop(rowBegin, rowEnd, 1, [&](Value row) {
      addRowAggregate(aggregate, aggregateSums, row, scale, Value());
    });
    e.loop(e.index(0), liveBlocks, 1, [&](Value col) {
      keyAggregateFor(col, scale);
      applyToKeys(col, scale);
    });
  }
  for (Value buffer : buffers)
    b.create<memref::DeallocOp>(buffer);
}

void BlockAttentionGradKernel::emit() {
  emitTables();
  scores = tileBuffer(block);
  dots = tileBuffer(block);
  weights = tileBuffer(block);
  psiRows = tileBuffer(d);
  gradRows = tileBuffer(d);
  if (lowRank) {
    estimates = tileBuffer(block);
    rho = tileBuffer(block);
    featureRows = tileBuffer(m);
  }
  // Rows outside the block-row range stay zero: a part of a split head.
  zeroRows(op.getGradQuery(), tokens, d);
  zeroRows(op.getGradKey(), tokens, d);
  zeroRows(op.getGradValue(), tokens, d);
  if (lowRank) {
    zeroRows(op.getGradQueryFeatures(), tokens, m);
    zeroRows(
        op.getGradKeyFeatures(),
        e.index(
            cast<MemRefType>(op.getGradKeyFeatures().getType()).getDimSize(0)),
        m);
  }
  walkBlockRows(op.getRowBegin(), op.getRowEnd(),
                [&](Value first, int64_t rows, Value row, Value scale) {
                  emitTile(first, rows, row, scale);
                });
  if (lowRank)
    emitKeyRest();
  freeTileBuffers();
}

} // namespace

LogicalResult lowerBlockAttentionGrad(BlockAttentionGradOp op,
                                      const CpuTargetInfo &target,
                                      OpBuilder &builder) {
  int64_t padded = cast<MemRefType>(op.getKeyT().getType()).getDimSize(1);
  FailureOr<BlockMask> support = op.getPattern().getBlockMask(
      padded, padded, static_cast<int64_t>(op.getBlock()),
      [&] { return op.emitOpError(); });
  if (failed(support))
    return failure();
  ImplicitLocOpBuilder b(op.getLoc(), builder);
  BlockAttentionGradKernel(op, *support, target, b).emit();
  return success();
}

} // namespace pfc
