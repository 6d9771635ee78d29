//===- BlockSparseKernel.cpp - The register-tiled pfc.bsmm kernel ---------===//
//
// For each chunk of tokens, for each block-row in range, for each tile of
// `tile` tokens: `tile × b/vector` vector accumulators are carried through
// every nonzero block of the block-row (a loop over the block's inputs:
// broadcast x, load a row of the packed block, FMA), then scaled by γ, fed
// the extra low-rank columns, given the bias and stored once. Tokens left
// over after the last full tile go through the same code with tiles of half,
// a quarter, ... down to one token.
// Block offsets are constants (unrolled schedule: one `scf.index_switch`
// case per block-row) or come from constant tables in the module (table
// schedule). Padded features are never read or written: a block's input loop
// stops at the real inputs, and stores to the last block-row are masked.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "RegisterTile.h"
#include "pfc/Spec/Spec.h"
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
      : op(op), b(b), e(b), schedule(schedule), mask(std::move(mask)),
        block(getWeightShape(op)->block), in(getWeightShape(op)->in),
        out(getWeightShape(op)->out),
        tile(e, std::min(schedule.getVector(), block),
             block / std::min(schedule.getVector(), block)) {}

  void emit();

private:
  /// One block-row: `row` is its index, `constantRow` the same when known.
  void emitBlockRow(Value row, std::optional<int64_t> constantRow,
                    ArrayRef<TileRun> runs);
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
                                     Value col, Value inputs, ValueRange accs);
  /// The loop `for k in [0, count)` of `accs += lhs[:, lhsCol + k] ⊗
  /// rhs[rhsIndices + (k, 0)]`, unrolled by the schedule at the end when it
  /// runs full tiles; with `prefetchBlock`, it also prefetches row k of that
  /// block of rhs.
  scf::ForOp fmaLoop(Value lhs, Value token, int64_t rows, Value lhsCol,
                     Value rhs, ArrayRef<Value> rhsIndices, Value count,
                     ValueRange accs, Value prefetchBlock = Value());

  BlockSparseMatmulOp op;
  ImplicitLocOpBuilder &b;
  KernelEmitter e;
  ScheduleAttr schedule;
  BlockMask mask;
  int64_t block, in, out;
  RegisterTile tile;
  Value rowStartTable, colIndexTable;
  SmallVector<scf::ForOp> innerLoops;
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
    SmallVector<TileRun> runs = e.tileRuns(chunkBegin, chunkEnd, tile);
    e.loop(rowBegin, rowEnd, 1, [&](Value row) {
      if (!schedule.getUnrolled())
        return emitBlockRow(row, std::nullopt, runs);
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
        emitBlockRow(e.index(r), r, runs);
        b.create<scf::YieldOp>();
      }
    });
  });
  if (schedule.getUnroll() > 1)
    for (scf::ForOp loop : innerLoops)
      (void)loopUnrollByFactor(loop, schedule.getUnroll());
}

void BlockSparseKernel::emitBlockRow(Value row,
                                     std::optional<int64_t> constantRow,
                                     ArrayRef<TileRun> runs) {
  Value outBase = e.mul(row, e.index(block));
  // Masks for the vectors of the last block-row that reach into padding.
  SmallVector<Value> masks = tile.masks(outBase, out, out % block != 0);
  SmallVector<Value> biases;
  if (Value bias = op.getBias())
    biases = tile.loadRow(bias, {outBase}, masks);
  for (const TileRun &run : runs)
    emitTiles(run.begin, run.end, run.rows, row, constantRow, masks, biases);
}

void BlockSparseKernel::emitTiles(Value begin, Value end, int64_t rows,
                                  Value row, std::optional<int64_t> constantRow,
                                  ArrayRef<Value> masks,
                                  ArrayRef<Value> biases) {
  e.loop(begin, end, rows, [&](Value token) {
    SmallVector<Value> accs =
        accumulateBlocks(token, rows, row, constantRow, tile.zeros(rows));
    if (Value scale = op.getScale())
      tile.scaleRows(accs, token, rows,
                     [&](Value t) { return e.loadPerToken(scale, t); });
    Value outBase = e.mul(row, e.index(block));
    if (Value extra = op.getExtra()) {
      scf::ForOp loop =
          fmaLoop(extra, token, rows, e.index(0), op.getExtraWeights(),
                  {e.index(0), outBase}, e.dim(extra, 1), accs);
      accs.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (!biases.empty())
      tile.addRow(accs, biases);
    tile.store(accs, rows, op.getOutput(), token, outBase, masks);
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
  Value last = b.create<memref::LoadOp>(rowStartTable, e.add(row, e.index(1)));
  scf::ForOp loop = e.loop(first, last, 1, accs, [&](Value n, ValueRange args) {
    Value col = b.create<memref::LoadOp>(colIndexTable, n);
    Value inputs =
        e.min(e.index(block),
              b.create<arith::SubIOp>(e.index(in), e.mul(col, e.index(block))));
    return accumulateBlock(token, rows, n, col, inputs, args);
  });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> BlockSparseKernel::accumulateBlock(Value token, int64_t rows,
                                                      Value index, Value col,
                                                      Value inputs,
                                                      ValueRange accs) {
  // Row k of the block `prefetch` places ahead in BSR order (the order of
  // the packed weights) is fetched while this block's row k is used.
  Value ahead;
  if (int64_t distance = schedule.getPrefetch())
    ahead =
        e.min(e.add(index, e.index(distance)), e.index(mask.nnzBlocks() - 1));
  scf::ForOp loop = fmaLoop(
      op.getInput(), token, rows, e.mul(col, e.index(block)), op.getBlocks(),
      {index, e.index(0), e.index(0)}, inputs, accs, ahead);
  return SmallVector<Value>(loop.getResults());
}

scf::ForOp BlockSparseKernel::fmaLoop(Value lhs, Value token, int64_t rows,
                                      Value lhsCol, Value rhs,
                                      ArrayRef<Value> rhsIndices, Value count,
                                      ValueRange accs, Value prefetchBlock) {
  scf::ForOp loop =
      e.loop(e.index(0), count, 1, accs, [&](Value k, ValueRange args) {
        // k advances along the rhs's second-to-last index (its rows).
        SmallVector<Value> at(rhsIndices);
        at[at.size() - 2] = e.add(at[at.size() - 2], k);
        if (prefetchBlock)
          for (int64_t v = 0; v < tile.vectors(); ++v)
            b.create<memref::PrefetchOp>(
                rhs, ValueRange{prefetchBlock, k, e.index(v * tile.width())},
                /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
        return tile.fma(lhs, token, rows, e.add(lhsCol, k),
                        tile.loadRow(rhs, at, {}), args);
      });
  // Only the full tiles are worth the code of an unrolled loop.
  if (rows == schedule.getTile())
    innerLoops.push_back(loop);
  return loop;
}

} // namespace

LogicalResult lowerBlockSparseMatmul(BlockSparseMatmulOp op,
                                     const CpuTargetInfo &target) {
  auto blocks = dyn_cast<BlocksAttr>(op.getPattern());
  if (!blocks)
    return op.emitOpError("needs an explicit block list to be lowered; run "
                          "pfc-materialize-pattern first");
  WeightShape shape = *getWeightShape(op);
  ScheduleAttr schedule = op.getScheduleAttr();
  if (!schedule)
    schedule = defaultSchedule(op.getContext(), padTo(shape.in, shape.block),
                               shape.block, blocks.getNumBlocks(), target);
  int64_t width = std::min(schedule.getVector(), shape.block);
  if (shape.block % width != 0)
    return op.emitOpError("block size ")
           << shape.block << " is not a multiple of the vector width "
           << schedule.getVector();
  // Beyond the 32 vector registers of AVX-512 a tile only spills.
  int64_t accumulators = schedule.getTile() * (shape.block / width);
  if (accumulators > 64)
    return op.emitOpError("schedule tile ")
           << schedule.getTile() << " needs " << accumulators
           << " vector accumulators for " << shape.block
           << "-wide blocks, more than 64";
  ImplicitLocOpBuilder b(op.getLoc(), op);
  BlockSparseKernel(op, b, schedule, getBlockMask(blocks, shape.block)).emit();
  op.erase();
  return success();
}

} // namespace pfc
