//===- AttentionEmitter.cpp - What attention's kernels share --------------===//
#include "AttentionEmitter.h"
#include "pfc/Pattern/RandomFeatures.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;

namespace pfc {

int64_t vectorWidthFor(int64_t n, int64_t cap) {
  int64_t width = 1;
  while (width < cap && n % (width * 2) == 0)
    width *= 2;
  return width;
}

double attentionScaleFloor() { return std::log(kAttentionEpsilon) - 60.0; }

//===----------------------------------------------------------------------===//
// VectorMath
//===----------------------------------------------------------------------===//

VectorType VectorMath::vec(int64_t width) {
  return VectorType::get({width}, b.getF32Type());
}
Value VectorMath::load(VectorType type, Value memref, ValueRange at) {
  return b.create<vector::LoadOp>(type, memref, at);
}
void VectorMath::store(Value value, Value memref, ValueRange at) {
  b.create<vector::StoreOp>(value, memref, at);
}
Value VectorMath::loadScalar(Value memref, ValueRange at) {
  return b.create<memref::LoadOp>(memref, at);
}
void VectorMath::storeScalar(Value value, Value memref, ValueRange at) {
  b.create<memref::StoreOp>(value, memref, at);
}
Value VectorMath::splat(VectorType type, Value scalar) {
  return b.create<vector::BroadcastOp>(type, scalar);
}
Value VectorMath::fma(Value x, Value y, Value acc) {
  return b.create<vector::FMAOp>(x, y, acc);
}
Value VectorMath::add(Value x, Value y) {
  return b.create<arith::AddFOp>(x, y);
}
Value VectorMath::sub(Value x, Value y) {
  return b.create<arith::SubFOp>(x, y);
}
Value VectorMath::mul(Value x, Value y) {
  return b.create<arith::MulFOp>(x, y);
}
// Maxima of scores, never NaN (masked lanes are −∞): without the flags,
// LLVM orders ±0 and propagates NaN with a branch per lane.
static constexpr arith::FastMathFlags kNoNaNs =
    arith::FastMathFlags::nnan | arith::FastMathFlags::nsz;

Value VectorMath::max(Value x, Value y) {
  return b.create<arith::MaximumFOp>(x, y, kNoNaNs);
}
Value VectorMath::exp(Value x) {
  auto exp = b.create<math::ExpOp>(x);
  exp->setAttr(kApproximateAttr, b.getUnitAttr());
  return exp;
}
Value VectorMath::sum(Value v) {
  // In any order: a tree of adds rather than a chain.
  return b.create<vector::ReductionOp>(vector::CombiningKind::ADD, v,
                                       arith::FastMathFlags::reassoc);
}
Value VectorMath::maxOf(Value v) {
  return b.create<vector::ReductionOp>(vector::CombiningKind::MAXIMUMF, v,
                                       kNoNaNs);
}
Value VectorMath::zeros(VectorType type) {
  return b.create<arith::ConstantOp>(
      type, DenseElementsAttr::get(type, b.getF32FloatAttr(0)));
}
Value VectorMath::lanesBelow(int64_t width, Value first, Value limit) {
  // 32-bit lanes: one compare per vector (token counts fit).
  auto indices = VectorType::get({width}, b.getI32Type());
  SmallVector<int32_t> lanes;
  for (int32_t i = 0; i < width; ++i)
    lanes.push_back(i);
  Value iota = b.create<arith::ConstantOp>(
      indices, DenseElementsAttr::get(indices, ArrayRef<int32_t>(lanes)));
  auto i32 = [&](Value index) {
    return b.create<arith::IndexCastOp>(b.getI32Type(), index);
  };
  Value at = b.create<arith::AddIOp>(
      b.create<vector::BroadcastOp>(indices, i32(first)), iota);
  return b.create<arith::CmpIOp>(
      arith::CmpIPredicate::slt, at,
      b.create<vector::BroadcastOp>(indices, i32(limit)));
}
Value VectorMath::select(Value mask, Value x, Value y) {
  return b.create<arith::SelectOp>(mask, x, y);
}

//===----------------------------------------------------------------------===//
// AttentionEmitter
//===----------------------------------------------------------------------===//

AttentionEmitter::AttentionEmitter(const AttentionOperands &operands,
                                   const BlockMask &support, bool causal,
                                   int64_t block, double tau,
                                   const CpuTargetInfo &target,
                                   ImplicitLocOpBuilder &b)
    : operands(operands), mask(support), target(target), b(b), v(b), e(b),
      causal(causal), lowRank(operands.queryFeatures != nullptr),
      d(cast<MemRefType>(operands.query.getType()).getDimSize(1)), block(block),
      m(lowRank
            ? cast<MemRefType>(operands.queryFeatures.getType()).getDimSize(1)
            : 0),
      // 4 query rows share every load of K and V; panels of columns keep
      // 4 × panel accumulators and a broadcast in the registers, the other
      // operand's vectors folded into the FMAs (16 registers on AVX2: 12
      // accumulators, measured a little faster than 8; 32 on AVX-512).
      rowTile(4), panel(target.vectorRegisters() >= 32 ? 4 : 3),
      blockWidth(vectorWidthFor(block, target.vectorWidth)),
      headWidth(vectorWidthFor(d, target.vectorWidth)), tau(tau),
      logFeatures(lowRank ? std::log(static_cast<double>(m)) : 0.0) {}

void AttentionEmitter::emitTables() {
  SmallVector<int64_t> starts = {0}, cols, lacks;
  for (int64_t r = 0; r < mask.blockRows; ++r) {
    for (int64_t i = mask.rowStart[r]; i < mask.rowStart[r + 1]; ++i)
      if (!causal || mask.colIndex[i] <= r)
        cols.push_back(mask.colIndex[i]);
    starts.push_back(static_cast<int64_t>(cols.size()));
    lacks.push_back(causal && !mask.contains(r, r));
    if (lacks.back())
      diagonalRows.push_back(r);
  }
  rowStart = e.constantTable(starts, "pfc_attention_row_start");
  if (cols.empty())
    cols.push_back(0); // a table needs an element; no row reads it
  colIndex = e.constantTable(cols, "pfc_attention_col_index");
  if (!diagonalRows.empty() &&
      diagonalRows.size() < static_cast<size_t>(mask.blockRows))
    lacksDiagonalTable = e.constantTable(lacks, "pfc_attention_lacks_diagonal");
  tokens = e.dim(operands.query, 0);
  liveBlocks = b.create<arith::DivUIOp>(e.add(tokens, e.index(block - 1)),
                                        e.index(block));
}

Value AttentionEmitter::lacksDiagonal(Value row) {
  if (!lacksDiagonalTable)
    return b.create<arith::ConstantIntOp>(anyLacksDiagonal(), 1);
  return b.create<arith::CmpIOp>(
      arith::CmpIPredicate::ne,
      b.create<memref::LoadOp>(lacksDiagonalTable, row), e.index(0));
}

void AttentionEmitter::productIntoBuffer(Value lhs, Value first, Value rhsT,
                                         int64_t depth, int64_t rows,
                                         Value col0, Value buffer) {
  VectorType type = v.vec(blockWidth);
  const int64_t vectors = block / blockWidth;
  const int64_t panelVectors = std::min(panel, vectors);
  for (int64_t p = 0; p < vectors; p += panelVectors) {
    const int64_t count = std::min(panelVectors, vectors - p);
    SmallVector<Value> inits(rows * count, v.zeros(type));
    scf::ForOp loop = e.loop(
        e.index(0), e.index(depth), 1, inits, [&](Value k, ValueRange acc) {
          SmallVector<Value> rhs;
          for (int64_t i = 0; i < count; ++i)
            rhs.push_back(v.load(
                type, rhsT, {k, e.add(col0, e.index((p + i) * blockWidth))}));
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value x =
                v.splat(type, v.loadScalar(lhs, {e.add(first, e.index(r)), k}));
            for (int64_t i = 0; i < count; ++i)
              next.push_back(v.fma(x, rhs[i], acc[r * count + i]));
          }
          return next;
        });
    loop->setAttr(kUnrollAttr, b.getI64IntegerAttr(4));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < count; ++i)
        v.store(loop.getResult(r * count + i), buffer,
                {e.index(r), e.index((p + i) * blockWidth)});
  }
}

void AttentionEmitter::accumulateRows(Value acc, int64_t rows,
                                      ArrayRef<Value> rescale, Value weights,
                                      Value rhs, Value rhsRow0, Value count,
                                      int64_t width, Value accRow0,
                                      Value weightRow0, Value weightCol0) {
  const int64_t lanes = vectorWidthFor(width, target.vectorWidth);
  VectorType type = v.vec(lanes);
  const int64_t vectors = width / lanes;
  const int64_t panelVectors = std::min(panel, vectors);
  auto offset = [&](Value base, int64_t r) {
    return base ? e.add(base, e.index(r)) : e.index(r);
  };
  for (int64_t p = 0; p < vectors; p += panelVectors) {
    const int64_t n = std::min(panelVectors, vectors - p);
    SmallVector<Value> inits;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < n; ++i)
        inits.push_back(
            rescale.empty()
                ? v.zeros(type)
                : v.mul(v.load(type, acc,
                               {offset(accRow0, r), e.index((p + i) * lanes)}),
                        v.splat(type, rescale[r])));
    scf::ForOp loop =
        e.loop(e.index(0), count, 1, inits, [&](Value j, ValueRange carried) {
          SmallVector<Value> row;
          for (int64_t i = 0; i < n; ++i)
            row.push_back(v.load(
                type, rhs, {e.add(rhsRow0, j), e.index((p + i) * lanes)}));
          Value column = weightCol0 ? e.add(weightCol0, j) : j;
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value w = v.splat(
                type, v.loadScalar(weights, {offset(weightRow0, r), column}));
            for (int64_t i = 0; i < n; ++i)
              next.push_back(v.fma(w, row[i], carried[r * n + i]));
          }
          return next;
        });
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < n; ++i)
        v.store(loop.getResult(r * n + i), acc,
                {offset(accRow0, r), e.index((p + i) * lanes)});
  }
}

void AttentionEmitter::accumulateColumns(Value target, Value row0, Value count,
                                         int64_t rows, Value weights, Value lhs,
                                         Value first, int64_t width) {
  const int64_t lanes = vectorWidthFor(width, this->target.vectorWidth);
  VectorType type = v.vec(lanes);
  // The tile's rows stay in registers when they fit, else are reloaded.
  e.loop(e.index(0), count, 1, [&](Value j) {
    Value at = e.add(row0, j);
    SmallVector<Value> w;
    for (int64_t r = 0; r < rows; ++r)
      w.push_back(v.splat(type, v.loadScalar(weights, {e.index(r), j})));
    for (int64_t c = 0; c < width; c += lanes) {
      Value sum = v.load(type, target, {at, e.index(c)});
      for (int64_t r = 0; r < rows; ++r)
        sum = v.fma(w[r],
                    v.load(type, lhs, {e.add(first, e.index(r)), e.index(c)}),
                    sum);
      v.store(sum, target, {at, e.index(c)});
    }
  });
}

Value AttentionEmitter::lambda(Value token) {
  return v.sub(v.loadScalar(operands.queryLogScale, {token}),
               e.f32(logFeatures));
}

Value AttentionEmitter::rowScale(Value token, Value stateScale) {
  Value floor = e.f32(attentionScaleFloor());
  if (!lowRank)
    return floor;
  return v.max(floor, v.add(lambda(token), stateScale));
}

Value AttentionEmitter::keyLimit(Value token) {
  return causal ? e.add(token, e.index(1)) : tokens;
}

Value AttentionEmitter::beginState(Value blocks) {
  Value scale = e.f32(attentionScaleFloor());
  if (!lowRank)
    return scale;
  Type f32 = b.getF32Type();
  const int64_t maxBlocks =
      cast<MemRefType>(operands.keyT.getType()).getDimSize(1) / block;
  state = b.create<memref::AllocOp>(MemRefType::get({m, d}, f32));
  stateSums = b.create<memref::AllocOp>(MemRefType::get({m}, f32));
  blockStates =
      b.create<memref::AllocOp>(MemRefType::get({maxBlocks * m, d}, f32));
  blockSums = b.create<memref::AllocOp>(MemRefType::get({maxBlocks * m}, f32));
  rowState = b.create<memref::AllocOp>(MemRefType::get({m, d}, f32));
  rowStateSums = b.create<memref::AllocOp>(MemRefType::get({m}, f32));
  // G_J = Φ_K,J·V_J: tiles of 4 feature rows share each row of V.
  const int64_t fullRows = m - m % rowTile;
  e.loop(e.index(0), blocks, 1, [&](Value col) {
    Value col0 = e.mul(col, e.index(block));
    Value count = e.min(e.index(block), b.create<arith::SubIOp>(tokens, col0));
    Value row0 = e.mul(col, e.index(m));
    auto rowsOfG = [&](Value f, int64_t rows) {
      accumulateRows(blockStates, rows, {}, operands.keyFeaturesT,
                     operands.value, col0, count, d, e.add(row0, f), f, col0);
    };
    e.loop(e.index(0), e.index(fullRows), rowTile,
           [&](Value f) { rowsOfG(f, rowTile); });
    if (fullRows < m)
      rowsOfG(e.index(fullRows), m - fullRows);
    e.loop(e.index(0), e.index(m), 1, [&](Value f) {
      scf::ForOp sum =
          e.loop(e.index(0), count, 1, {e.f32(0)}, [&](Value j, ValueRange s) {
            return SmallVector<Value>{
                v.add(s[0], v.loadScalar(operands.keyFeaturesT,
                                         {f, e.add(col0, j)}))};
          });
      v.storeScalar(sum.getResult(0), blockSums, {e.add(row0, f)});
    });
  });
  e.loop(e.index(0), e.index(m), 1, [&](Value f) {
    for (int64_t i = 0; i < d; i += headWidth)
      v.store(v.zeros(v.vec(headWidth)), state, {f, e.index(i)});
    v.storeScalar(e.f32(0), stateSums, {f});
  });
  if (causal)
    return scale;
  // Every key: the state relative to the largest block scale.
  scf::ForOp scan =
      e.loop(e.index(0), liveBlocks, 1, {scale}, [&](Value col, ValueRange c) {
        return SmallVector<Value>{
            v.max(c[0], v.loadScalar(operands.keyLogScale, {col}))};
      });
  scale = scan.getResult(0);
  e.loop(e.index(0), liveBlocks, 1, [&](Value col) {
    addBlockState(state, stateSums, col, scale, Value());
  });
  return scale;
}

Value AttentionEmitter::growState(Value row, Value scale) {
  if (!lowRank || !causal)
    return scale;
  Value previous = b.create<arith::SubIOp>(row, e.index(1));
  Value hasPrevious =
      b.create<arith::CmpIOp>(arith::CmpIPredicate::ugt, row, e.index(0));
  auto grow = b.create<scf::IfOp>(TypeRange{b.getF32Type()}, hasPrevious,
                                  /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&grow.getThenRegion().front());
  Value grown = v.max(scale, v.loadScalar(operands.keyLogScale, {previous}));
  addBlockState(state, stateSums, previous, grown, v.exp(v.sub(scale, grown)));
  b.create<scf::YieldOp>(grown);
  b.setInsertionPointToStart(&grow.getElseRegion().front());
  b.create<scf::YieldOp>(scale);
  return grow.getResult(0);
}

void AttentionEmitter::addBlockState(Value target, Value targetSums, Value col,
                                     Value scale, Value rescale, double sign) {
  Value factor =
      v.mul(v.exp(v.sub(v.loadScalar(operands.keyLogScale, {col}), scale)),
            e.f32(sign));
  accumulateState(target, targetSums, blockStates, blockSums,
                  e.mul(col, e.index(m)), factor, rescale);
}

void AttentionEmitter::accumulateState(Value target, Value targetSums,
                                       Value source, Value sourceSums,
                                       Value sourceRow0, Value factor,
                                       Value rescale) {
  VectorType type = v.vec(headWidth);
  Value factors = v.splat(type, factor);
  Value rescales = rescale ? v.splat(type, rescale) : Value();
  e.loop(e.index(0), e.index(m), 1, [&](Value f) {
    Value from = e.add(sourceRow0, f);
    for (int64_t i = 0; i < d; i += headWidth) {
      Value old = v.load(type, target, {f, e.index(i)});
      if (rescales)
        old = v.mul(old, rescales);
      v.store(v.fma(factors, v.load(type, source, {from, e.index(i)}), old),
              target, {f, e.index(i)});
    }
    Value old = v.loadScalar(targetSums, {f});
    if (rescale)
      old = v.mul(old, rescale);
    v.storeScalar(v.add(old, v.mul(factor, v.loadScalar(sourceSums, {from}))),
                  targetSums, {f});
  });
}

void AttentionEmitter::copyState(Value from, Value fromSums, Value to,
                                 Value toSums) {
  VectorType type = v.vec(headWidth);
  e.loop(e.index(0), e.index(m), 1, [&](Value f) {
    for (int64_t i = 0; i < d; i += headWidth)
      v.store(v.load(type, from, {f, e.index(i)}), to, {f, e.index(i)});
    v.storeScalar(v.loadScalar(fromSums, {f}), toSums, {f});
  });
}

void AttentionEmitter::beginRowState(Value row, Value scale) {
  copyState(state, stateSums, rowState, rowStateSums);
  // The support's blocks that the state holds: those with keys, and causal
  // those left of the diagonal.
  Value held = causal ? row : liveBlocks;
  Value begin = b.create<memref::LoadOp>(rowStart, row);
  Value end = b.create<memref::LoadOp>(rowStart, e.add(row, e.index(1)));
  e.loop(begin, end, 1, [&](Value at) {
    Value col = b.create<memref::LoadOp>(colIndex, at);
    auto subtract = b.create<scf::IfOp>(
        b.create<arith::CmpIOp>(arith::CmpIPredicate::ult, col, held));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(subtract.thenBlock()->getTerminator());
    addBlockState(rowState, rowStateSums, col, scale, Value(), -1.0);
  });
}

void AttentionEmitter::walkBlockRows(
    Value begin, Value end,
    function_ref<void(Value, int64_t, Value, Value)> tile) {
  rowBegin = e.index(0);
  rowEnd = liveBlocks;
  if (begin) {
    rowBegin = e.min(begin, liveBlocks);
    rowEnd = e.min(end, liveBlocks);
  }
  // Causal, the rows before rowEnd see only the blocks before it.
  Value stateScale = beginState(causal ? rowEnd : liveBlocks);
  if (lowRank && causal && begin)
    stateScale = e.loop(e.index(1), rowBegin, 1, {stateScale},
                        [&](Value row, ValueRange carried) {
                          return SmallVector<Value>{growState(row, carried[0])};
                        })
                     .getResult(0);
  Value blockSize = e.index(block);
  e.loop(rowBegin, rowEnd, 1, {stateScale}, [&](Value row, ValueRange carried) {
    Value scale = growState(row, carried[0]);
    if (lowRank)
      beginRowState(row, scale);
    Value first = e.mul(row, blockSize);
    Value last = e.min(e.add(first, blockSize), tokens);
    forTiles(first, last,
             [&](Value at, int64_t rows) { tile(at, rows, row, scale); });
    return SmallVector<Value>{scale};
  });
  endState();
}

void AttentionEmitter::forTiles(Value first, Value last,
                                function_ref<void(Value, int64_t)> body) {
  Value count = b.create<arith::SubIOp>(last, first);
  Value fullEnd = b.create<arith::SubIOp>(
      last, b.create<arith::RemUIOp>(count, e.index(rowTile)));
  e.loop(first, fullEnd, rowTile, [&](Value tile) { body(tile, rowTile); });
  e.loop(fullEnd, last, 1, [&](Value tile) { body(tile, 1); });
}

Value AttentionEmitter::tileBuffer(int64_t cols) {
  tileBuffers.push_back(b.create<memref::AllocOp>(
      MemRefType::get({rowTile, cols}, b.getF32Type())));
  return tileBuffers.back();
}

void AttentionEmitter::freeTileBuffers() {
  for (Value buffer : tileBuffers)
    b.create<memref::DeallocOp>(buffer);
  tileBuffers.clear();
}

void AttentionEmitter::endState() {
  if (!lowRank)
    return;
  for (Value buffer :
       {state, stateSums, blockStates, blockSums, rowState, rowStateSums})
    b.create<memref::DeallocOp>(buffer);
}

} // namespace pfc
