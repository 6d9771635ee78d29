//===- KernelEmitter.cpp - Helpers for emitting loop kernels --------------===//
#include "KernelEmitter.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace pfc {

Value KernelEmitter::index(int64_t value) {
  return b.create<arith::ConstantIndexOp>(value);
}

Value KernelEmitter::f32(double value) {
  return b.create<arith::ConstantOp>(b.getF32FloatAttr(value));
}

Value KernelEmitter::dim(Value memref, int64_t dim) {
  return b.createOrFold<memref::DimOp>(memref, dim);
}

Value KernelEmitter::add(Value lhs, Value rhs) {
  return b.createOrFold<arith::AddIOp>(lhs, rhs);
}

Value KernelEmitter::mul(Value lhs, Value rhs) {
  return b.createOrFold<arith::MulIOp>(lhs, rhs);
}

Value KernelEmitter::min(Value lhs, Value rhs) {
  return b.createOrFold<arith::MinSIOp>(lhs, rhs);
}

scf::ForOp KernelEmitter::loop(Value lb, Value ub, int64_t step,
                               ValueRange inits, LoopBody body) {
  auto forOp = b.create<scf::ForOp>(lb, ub, index(step), inits);
  OpBuilder::InsertionGuard guard(b);
  Block *bodyBlock = forOp.getBody();
  // Without carried values scf.for made its yield: the body goes before it
  // (the builder may be a conversion's rewriter, which must see every op it
  // was told of stay).
  if (!bodyBlock->empty()) {
    b.setInsertionPoint(bodyBlock->getTerminator());
    SmallVector<Value> yielded =
        body(forOp.getInductionVar(), forOp.getRegionIterArgs());
    assert(yielded.empty() && "a loop without carried values yields none");
    (void)yielded;
    return forOp;
  }
  b.setInsertionPointToEnd(bodyBlock);
  b.create<scf::YieldOp>(
      body(forOp.getInductionVar(), forOp.getRegionIterArgs()));
  return forOp;
}

void KernelEmitter::loop(Value lb, Value ub, int64_t step,
                         function_ref<void(Value)> body) {
  loop(lb, ub, step, {}, [&](Value iv, ValueRange) {
    body(iv);
    return SmallVector<Value>();
  });
}

SmallVector<TileRun> KernelEmitter::tileRuns(Value begin, Value end,
                                             int64_t tile) {
  SmallVector<TileRun> runs;
  for (int64_t rows = tile; rows > 0; rows /= 2) {
    Value count = b.create<arith::SubIOp>(end, begin);
    Value runEnd = rows == 1
                       ? end
                       : b.create<arith::SubIOp>(
                             end, b.create<arith::RemUIOp>(count, index(rows)));
    runs.push_back({rows, begin, runEnd});
    begin = runEnd;
  }
  return runs;
}

Value KernelEmitter::loadPerToken(Value memref, Value token) {
  bool single = cast<MemRefType>(memref.getType()).getDimSize(0) == 1;
  return b.create<memref::LoadOp>(memref, single ? index(0) : token);
}

Value KernelEmitter::constantTable(ArrayRef<int64_t> values, StringRef name) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  auto type =
      MemRefType::get({static_cast<int64_t>(values.size())}, b.getIndexType());
  auto data = DenseElementsAttr::get(
      RankedTensorType::get(type.getShape(), b.getIndexType()), values);
  OpBuilder detached(b.getContext());
  auto global = detached.create<memref::GlobalOp>(
      b.getLoc(), name, detached.getStringAttr("private"), type, data,
      /*constant=*/true, /*alignment=*/IntegerAttr());
  // Renames on a clash, so several kernels can each have their tables.
  SymbolTable(module).insert(global, module.getBody()->begin());
  return b.create<memref::GetGlobalOp>(type, global.getSymName());
}

int64_t registerTileRows(const CpuTargetInfo &target, int64_t vectors,
                         int64_t accumulators, int64_t maxRows) {
  const int64_t fit = target.vectorRegisters() - vectors - 1;
  return std::clamp<int64_t>(std::min(accumulators, fit) / vectors, 1, maxRows);
}

int64_t blockRowPanelVectors(const CpuTargetInfo &target, int64_t vectors) {
  // Panels divide the row: 2 vectors when the count is even, else 1.
  return target.vectorRegisters() >= 32 || vectors < 2 ? vectors
         : vectors % 2 == 0                            ? 2
                                                       : 1;
}

Schedule defaultSchedule(int64_t in, int64_t block, int64_t nnzBlocks,
                         const CpuTargetInfo &target) {
  int64_t vector = std::min(target.vectorWidth, std::max<int64_t>(block, 4));
  int64_t vectorsPerRow = std::max<int64_t>(block / vector, 1);
  // 16 accumulators for b ≤ 32, 24 beyond, at most 8 token rows: measured
  // over the sweep's layers against DESIGN.md's 24, a few percent faster at
  // T ≤ 1024 for b ≤ 32 (the autotuner chose 8 rows on most of them) and
  // 5 % slower for b = 64. AVX2's 16 registers hold fewer.
  int64_t accumulators = block <= 32 ? 16 : 24;
  int64_t tile = registerTileRows(
      target, blockRowPanelVectors(target, vectorsPerRow), accumulators, 8);
  // Each chunk reads all the weights once and its inputs once per
  // block-row. Weights that stay in L2 across chunks: the chunk's inputs
  // should fill a quarter of L2 (measured on 1024² layers of 5-10 %: up to
  // 15 % faster than half of L2). Weights streamed from L3 or memory: long
  // chunks, so that each weight byte feeds many FMAs (4096² at 31 %: 0.47 of
  // dense with 24 tokens, 0.72-0.97 with 252).
  int64_t weightBytes = nnzBlocks * block * block * 4;
  int64_t rows = weightBytes <= target.cacheBytes / 2
                     ? target.cacheBytes / 4 / (in * 4)
                     : 256;
  int64_t chunk =
      std::clamp<int64_t>(rows / tile * tile, 2 * tile, 504 / tile * tile);
  // Measured on mlp_fc1, square2048 and fixed_strides: full unrolling runs
  // no faster than the constant tables (0.97-1.0x) and takes seconds to
  // minutes to compile beyond a few dozen blocks, so tables are the default.
  // The k-loop of 24 FMAs needs no unrolling: measured, unrolling by 2 or 4
  // runs no faster and compiles 10-40 % slower. Prefetching about 16 KiB of
  // weights ahead: a 4096² layer at 31 % and 1 token read its weights from
  // memory at 62 GB/s instead of 37, and nothing ran slower.
  int64_t prefetch = std::max<int64_t>(1, 16384 / (block * block * 4));
  Schedule schedule;
  schedule.tile = tile;
  schedule.vector = vector;
  schedule.chunk = chunk;
  schedule.unroll = 1;
  schedule.unrolled = false;
  schedule.prefetch = prefetch;
  return schedule;
}

} // namespace pfc
