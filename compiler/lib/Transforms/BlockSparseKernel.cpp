//===- BlockSparseKernel.cpp - The register-tiled pfc.bsmm kernel ---------===//
//
// For each chunk of tokens, for each block-row in range, for each tile of
// `tile` tokens: `tile × b/vector` vector accumulators are carried through
// every nonzero block of the block-row (a loop over the block's inputs:
// broadcast x, load a row of the packed block, FMA), then scaled by γ, fed
// the extra low-rank columns, given the bias and stored once. Tokens left
// over after the last full tile go through the same code with a tile of one.
// Block offsets are constants (unrolled schedule: one `scf.index_switch`
// case per block-row) or come from constant tables in the module (table
// schedule). Padded features are never read or written: a block's input loop
// stops at the real inputs, and stores to the last block-row are masked.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace pfc {
namespace {

class BlockSparseKernel {
public:
  BlockSparseKernel(BlockSparseMatmulOp op, ImplicitLocOpBuilder &b,
                    ScheduleAttr schedule, BlockMask mask)
      : op(op), b(b), e(b), schedule(schedule), mask(std::move(mask)) {
    WeightShape shape = *getWeightShape(op);
    block = shape.block;
    in = shape.in;
    out = shape.out;
    width = std::min(schedule.getVector(), block);
    vectors = block / width;
    vectorType = VectorType::get({width}, b.getF32Type());
    maskType = VectorType::get({width}, b.getI1Type());
  }

  void emit();

private:
  /// One block-row: `row` is its index, `constantRow` the same when known.
  void emitBlockRow(Value row, std::optional<int64_t> constantRow,
                    Value chunkBegin, Value fullEnd, Value chunkEnd);
  /// Token tiles of `rows` tokens in [begin, end) of one block-row.
  void emitTiles(Value begin, Value end, int64_t rows, Value row,
                 std::optional<int64_t> constantRow, ArrayRef<Value> masks,
                 ArrayRef<Value> biases);
  /// Carries `accs` through every nonzero block of the block-row.
  SmallVector<Value> accumulateBlocks(Value token, int64_t rows, Value row,
                                      std::optional<int64_t> constantRow,
                                      SmallVector<Value> accs);
  /// Carries `accs` through one block at block-column `col`, `inputs` of
  /// whose inputs are real.
  SmallVector<Value> accumulateBlock(Value token, int64_t rows, Value index,
                                     Value col, Value inputs,
                                     ValueRange accs);
  /// acc[m][v] += broadcast(lhs[token + m, lhsCol]) * rhs[rhsIndices..v].
  SmallVector<Value> fmaTile(Value lhs, Value token, int64_t rows,
                             Value lhsCol, Value rhs,
                             ArrayRef<Value> rhsIndices, ValueRange accs);

  BlockSparseMatmulOp op;
  ImplicitLocOpBuilder &b;
  KernelEmitter e;
  ScheduleAttr schedule;
  BlockMask mask;
  int64_t block = 0, in = 0, out = 0, width = 0, vectors = 0;
  VectorType vectorType, maskType;
  Value rowStartTable, colIndexTable;
  SmallVector<scf::ForOp> inputLoops;
};

void BlockSparseKernel::emit() {
  Value tokens = e.dim(op.getInput(), 0);
  Value rowBegin = op.getRowBegin() ? op.getRowBegin() : e.index(0);
  Value rowEnd = op.getRowEnd() ? op.getRowEnd() : e.index(mask.blockRows);
  if (!schedule.getUnrolled()) {
    rowStartTable = e.constantTable(mask.rowStart, "__pfc_row_start");
    colIndexTable = e.constantTable(mask.colIndex, "__pfc_col_index");
  }
  int64_t tile = schedule.getTile();
  e.loop(e.index(0), tokens, schedule.getChunk(), [&](Value chunkBegin) {
    Value chunkEnd =
        e.min(e.add(chunkBegin, e.index(schedule.getChunk())), tokens);
    Value count = b.create<arith::SubIOp>(chunkEnd, chunkBegin);
    Value fullEnd = b.create<arith::SubIOp>(
        chunkEnd, b.create<arith::RemUIOp>(count, e.index(tile)));
    e.loop(rowBegin, rowEnd, 1, [&](Value row) {
      if (!schedule.getUnrolled())
        return emitBlockRow(row, std::nullopt, chunkBegin, fullEnd, chunkEnd);
      SmallVector<int64_t> cases;
      for (int64_t r = 0; r < mask.blockRows; ++r)
        cases.push_back(r);
      auto switchOp =
          b.create<scf::IndexSwitchOp>(TypeRange{}, row, cases, cases.size());
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&switchOp.getDefaultRegion().emplaceBlock());
      b.create<scf::YieldOp>();
      for (int64_t r = 0; r < mask.blockRows; ++r) {
        b.setInsertionPointToStart(
            &switchOp.getCaseRegions()[r].emplaceBlock());
        emitBlockRow(e.index(r), r, chunkBegin, fullEnd, chunkEnd);
        b.create<scf::YieldOp>();
      }
    });
  });
  if (schedule.getUnroll() > 1)
    for (scf::ForOp loop : inputLoops)
      (void)loopUnrollByFactor(loop, schedule.getUnroll());
}

void BlockSparseKernel::emitBlockRow(Value row,
                                     std::optional<int64_t> constantRow,
                                     Value chunkBegin, Value fullEnd,
                                     Value chunkEnd) {
  Value outBase = e.mul(row, e.index(block));
  // Masks for the vectors of the last block-row that reach into padding.
  SmallVector<Value> masks(vectors);
  for (int64_t v = 0; v < vectors; ++v) {
    if (out % block == 0)
      continue;
    if (constantRow && out - *constantRow * block - v * width >= width)
      continue;
    Value valid = b.create<arith::SubIOp>(
        e.index(out), e.add(outBase, e.index(v * width)));
    masks[v] = b.create<vector::CreateMaskOp>(maskType, ValueRange{valid});
  }
  SmallVector<Value> biases;
  if (Value bias = op.getBias()) {
    Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(vectorType));
    for (int64_t v = 0; v < vectors; ++v) {
      Value at = e.add(outBase, e.index(v * width));
      biases.push_back(
          masks[v] ? b.create<vector::MaskedLoadOp>(vectorType, bias,
                                                    ValueRange{at}, masks[v],
                                                    zero)
                         .getResult()
                   : b.create<vector::LoadOp>(vectorType, bias, ValueRange{at})
                         .getResult());
    }
  }
  emitTiles(chunkBegin, fullEnd, schedule.getTile(), row, constantRow, masks,
            biases);
  emitTiles(fullEnd, chunkEnd, 1, row, constantRow, masks, biases);
}

void BlockSparseKernel::emitTiles(Value begin, Value end, int64_t rows,
                                  Value row,
                                  std::optional<int64_t> constantRow,
                                  ArrayRef<Value> masks,
                                  ArrayRef<Value> biases) {
  e.loop(begin, end, rows, [&](Value token) {
    Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(vectorType));
    SmallVector<Value> accs(rows * vectors, zero);
    accs = accumulateBlocks(token, rows, row, constantRow, accs);

    SmallVector<Value> tokenRows;
    for (int64_t m = 0; m < rows; ++m)
      tokenRows.push_back(e.add(token, e.index(m)));
    if (Value scale = op.getScale()) {
      for (int64_t m = 0; m < rows; ++m) {
        Value gamma = b.create<vector::BroadcastOp>(
            vectorType, e.loadPerToken(scale, tokenRows[m]));
        for (int64_t v = 0; v < vectors; ++v)
          accs[m * vectors + v] =
              b.create<arith::MulFOp>(accs[m * vectors + v], gamma);
      }
    }
    Value outBase = e.mul(row, e.index(block));
    if (Value extra = op.getExtra()) {
      scf::ForOp loop = e.loop(
          e.index(0), e.dim(extra, 1), 1, accs,
          [&](Value j, ValueRange args) {
            return fmaTile(extra, token, rows, j, op.getExtraWeights(),
                           {j, outBase}, args);
          });
      accs.assign(loop.getResults().begin(), loop.getResults().end());
    }
    for (int64_t m = 0; m < rows; ++m) {
      for (int64_t v = 0; v < vectors; ++v) {
        Value acc = accs[m * vectors + v];
        if (!biases.empty())
          acc = b.create<arith::AddFOp>(acc, biases[v]);
        SmallVector<Value> at = {tokenRows[m],
                                 e.add(outBase, e.index(v * width))};
        if (masks[v])
          b.create<vector::MaskedStoreOp>(op.getOutput(), at, masks[v], acc);
        else
          b.create<vector::StoreOp>(acc, op.getOutput(), at);
      }
    }
  });
}

SmallVector<Value>
BlockSparseKernel::accumulateBlocks(Value token, int64_t rows, Value row,
                                    std::optional<int64_t> constantRow,
                                    SmallVector<Value> accs) {
  if (constantRow) {
    for (int64_t n = mask.rowStart[*constantRow];
         n < mask.rowStart[*constantRow + 1]; ++n) {
      int64_t col = mask.colIndex[n];
      accs = accumulateBlock(token, rows, e.index(n), e.index(col),
                             e.index(std::min(block, in - col * block)), accs);
    }
    return accs;
  }
  Value first = b.create<memref::LoadOp>(rowStartTable, row);
  Value last = b.create<memref::LoadOp>(rowStartTable,
                                        e.add(row, e.index(1)));
  scf::ForOp loop = e.loop(first, last, 1, accs, [&](Value n, ValueRange args) {
    Value col = b.create<memref::LoadOp>(colIndexTable, n);
    Value inputs = e.min(
        e.index(block),
        b.create<arith::SubIOp>(e.index(in), e.mul(col, e.index(block))));
    return accumulateBlock(token, rows, n, col, inputs, args);
  });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> BlockSparseKernel::accumulateBlock(Value token, int64_t rows,
                                                      Value index, Value col,
                                                      Value inputs,
                                                      ValueRange accs) {
  Value colBase = e.mul(col, e.index(block));
  scf::ForOp loop =
      e.loop(e.index(0), inputs, 1, accs, [&](Value k, ValueRange args) {
        return fmaTile(op.getInput(), token, rows, e.add(colBase, k),
                       op.getBlocks(), {index, k, e.index(0)}, args);
      });
  inputLoops.push_back(loop);
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> BlockSparseKernel::fmaTile(Value lhs, Value token,
                                              int64_t rows, Value lhsCol,
                                              Value rhs,
                                              ArrayRef<Value> rhsIndices,
                                              ValueRange accs) {
  SmallVector<Value> weights;
  for (int64_t v = 0; v < vectors; ++v) {
    SmallVector<Value> at(rhsIndices);
    at.back() = e.add(at.back(), e.index(v * width));
    weights.push_back(b.create<vector::LoadOp>(vectorType, rhs, at));
  }
  SmallVector<Value> next(accs);
  for (int64_t m = 0; m < rows; ++m) {
    Value x = b.create<memref::LoadOp>(
        lhs, ValueRange{e.add(token, e.index(m)), lhsCol});
    Value broadcast = b.create<vector::BroadcastOp>(vectorType, x);
    for (int64_t v = 0; v < vectors; ++v)
      next[m * vectors + v] = b.create<vector::FMAOp>(
          broadcast, weights[v], next[m * vectors + v]);
  }
  return next;
}

} // namespace

LogicalResult lowerBlockSparseMatmul(BlockSparseMatmulOp op,
                                     int64_t vectorWidth, int64_t threads) {
  auto blocks = dyn_cast<BlocksAttr>(op.getPattern());
  if (!blocks)
    return op.emitOpError("needs an explicit block list to be lowered; run "
                          "pfc-materialize-pattern first");
  WeightShape shape = *getWeightShape(op);
  ScheduleAttr schedule = op.getScheduleAttr();
  if (!schedule)
    schedule = defaultSchedule(op.getContext(), shape.block,
                               blocks.getNumBlocks(), vectorWidth, threads);
  if (shape.block % std::min(schedule.getVector(), shape.block) != 0)
    return op.emitOpError("block size ")
           << shape.block << " is not a multiple of the vector width "
           << schedule.getVector();
  ImplicitLocOpBuilder b(op.getLoc(), op);
  BlockSparseKernel(op, b, schedule, getBlockMask(blocks, shape.block)).emit();
  op.erase();
  return success();
}

} // namespace pfc
