//===- RegisterTile.cpp - Register tiles of vector accumulators -----------===//
#include "RegisterTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace pfc {

RegisterTile::RegisterTile(KernelEmitter &e, int64_t width, int64_t vectors)
    : e(e), b(e.builder()), lanes(width), count(vectors),
      vectorType(VectorType::get({width}, b.getF32Type())),
      maskType(VectorType::get({width}, b.getI1Type())) {}

SmallVector<Value> RegisterTile::masks(Value base, int64_t limit,
                                       bool mayOverrun) {
  SmallVector<Value> result(count);
  if (!mayOverrun)
    return result;
  std::optional<int64_t> constantBase = getConstantIntValue(base);
  for (int64_t v = 0; v < count; ++v) {
    if (constantBase && limit - *constantBase - v * lanes >= lanes)
      continue;
    Value valid = b.create<arith::SubIOp>(e.index(limit),
                                          e.add(base, e.index(v * lanes)));
    result[v] = b.create<vector::CreateMaskOp>(maskType, ValueRange{valid});
  }
  return result;
}

SmallVector<Value> RegisterTile::zeros(int64_t rows) {
  Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(vectorType));
  return SmallVector<Value>(rows * count, zero);
}

SmallVector<Value> RegisterTile::loadRow(Value memref, ArrayRef<Value> indices,
                                         ArrayRef<Value> masks) {
  SmallVector<Value> row;
  for (int64_t v = 0; v < count; ++v) {
    SmallVector<Value> at(indices);
    at.back() = e.add(at.back(), e.index(v * lanes));
    if (!masks.empty() && masks[v]) {
      Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(vectorType));
      row.push_back(b.create<vector::MaskedLoadOp>(vectorType, memref, at,
                                                   masks[v], zero));
    } else {
      row.push_back(b.create<vector::LoadOp>(vectorType, memref, at));
    }
  }
  return row;
}

SmallVector<Value> RegisterTile::fma(Value lhs, Value token, int64_t rows,
                                     Value lhsCol, ArrayRef<Value> rhs,
                                     ValueRange accs) {
  SmallVector<Value> next(accs);
  for (int64_t m = 0; m < rows; ++m)
    fmaRow(m,
           b.create<memref::LoadOp>(
               lhs, ValueRange{e.add(token, e.index(m)), lhsCol}),
           rhs, next);
  return next;
}

SmallVector<Value> RegisterTile::fma(ArrayRef<Value> scalars,
                                     ArrayRef<Value> rhs, ValueRange accs) {
  SmallVector<Value> next(accs);
  for (auto [m, scalar] : llvm::enumerate(scalars))
    fmaRow(m, scalar, rhs, next);
  return next;
}

void RegisterTile::fmaRow(int64_t m, Value scalar, ArrayRef<Value> rhs,
                          SmallVectorImpl<Value> &accs) {
  Value broadcast = b.create<vector::BroadcastOp>(vectorType, scalar);
  for (int64_t v = 0; v < count; ++v)
    accs[m * count + v] =
        b.create<vector::FMAOp>(broadcast, rhs[v], accs[m * count + v]);
}

void RegisterTile::accumulateRowDots(ArrayRef<Value> accs, int64_t rows,
                                     Value matrix, Value token, Value base,
                                     ArrayRef<Value> masks, Value dots) {
  for (int64_t m = 0; m < rows; ++m) {
    Value row = e.add(token, e.index(m));
    SmallVector<Value> other = loadRow(matrix, {row, base}, masks);
    Value sum = b.create<arith::MulFOp>(accs[m * count], other[0]);
    for (int64_t v = 1; v < count; ++v)
      sum = b.create<vector::FMAOp>(accs[m * count + v], other[v], sum);
    // Summed as a tree: an ordered sum of 16 lanes is a chain of 16 adds.
    Value dot = b.create<vector::ReductionOp>(vector::CombiningKind::ADD, sum,
                                              arith::FastMathFlags::reassoc);
    Value previous = b.create<memref::LoadOp>(dots, row);
    b.create<memref::StoreOp>(b.create<arith::AddFOp>(previous, dot), dots,
                              row);
  }
}

void RegisterTile::scaleRows(SmallVectorImpl<Value> &accs, Value token,
                             int64_t rows, function_ref<Value(Value)> scale) {
  for (int64_t m = 0; m < rows; ++m) {
    Value factor = b.create<vector::BroadcastOp>(
        vectorType, scale(e.add(token, e.index(m))));
    for (int64_t v = 0; v < count; ++v)
      accs[m * count + v] =
          b.create<arith::MulFOp>(accs[m * count + v], factor);
  }
}

void RegisterTile::addRow(SmallVectorImpl<Value> &accs, ArrayRef<Value> row) {
  for (size_t i = 0; i < accs.size(); ++i)
    accs[i] = b.create<arith::AddFOp>(accs[i], row[i % count]);
}

void RegisterTile::store(ArrayRef<Value> accs, int64_t rows, Value out,
                         Value token, Value base, ArrayRef<Value> masks) {
  store(accs, rows, out, {}, token, base, masks);
}

void RegisterTile::store(ArrayRef<Value> accs, int64_t rows, Value out,
                         ArrayRef<Value> prefix, Value first, Value base,
                         ArrayRef<Value> masks) {
  for (int64_t m = 0; m < rows; ++m) {
    Value row = e.add(first, e.index(m));
    for (int64_t v = 0; v < count; ++v) {
      SmallVector<Value> at(prefix);
      at.append({row, e.add(base, e.index(v * lanes))});
      if (masks[v])
        b.create<vector::MaskedStoreOp>(out, at, masks[v], accs[m * count + v]);
      else
        b.create<vector::StoreOp>(accs[m * count + v], out, at);
    }
  }
}

} // namespace pfc
