//===- BlockSparseKernel.cpp - The register-tiled block-sparse kernel -----===//
//
// One kernel for both block-sparse products: `pfc.bsmm` (y = x·Bᵀ over the
// packed, per-block transposed weights) and `pfc.bsmm_t` (dX = dY·B over the
// user's blocks, which are the packed blocks of the transposed pattern).
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
// `pfc.bsmm_t` can also write each token's dot product of the unscaled
// product with another matrix (the part of dγ through B), from the
// accumulators before they are scaled.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "RegisterTile.h"
#include "pfc/Spec/Spec.h"
#include "pfc/Transforms/BlockSparseProduct.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace pfc {
namespace {

class BlockSparseKernel {
public:
  /// Tiles of `panelVectors` vectors, block / (panelVectors·width) panels
  /// per block-row.
  BlockSparseKernel(BlockSparseProduct product, ImplicitLocOpBuilder &b,
                    ScheduleAttr schedule, int64_t panelVectors)
      : p(std::move(product)), b(b), e(b), schedule(schedule), mask(p.mask),
        block(p.block), in(p.in), out(p.out),
        tile(e, std::min(schedule.getVector(), block), panelVectors),
        panelWidth(tile.width() * panelVectors) {}

  void emit();

private:
  /// One block-row: `row` is its index, `constantRow` the same when known.
  void emitBlockRow(Value row, std::optional<int64_t> constantRow,
                    ArrayRef<TileRun> runs);
  /// Token tiles of `rows` tokens in [begin, end) of one panel of a
  /// block-row: its outputs from `outBase`, `panel` columns into its blocks.
  void emitTiles(Value begin, Value end, int64_t rows, Value row,
                 std::optional<int64_t> constantRow, Value outBase, Value panel,
                 ArrayRef<Value> masks, ArrayRef<Value> biases);
  /// Carries `accs` through the `panel` columns of every nonzero block of
  /// the block-row.
  SmallVector<Value> accumulateBlocks(Value token, int64_t rows, Value row,
                                      std::optional<int64_t> constantRow,
                                      Value panel, SmallVector<Value> accs);
  /// Carries `accs` through one block at block-column `col`, `inputs` of
  /// whose inputs are real.
  SmallVector<Value> accumulateBlock(Value token, int64_t rows, Value index,
                                     Value col, Value inputs, Value panel,
                                     ValueRange accs);
  /// The loop `for k in [0, count)` of `accs += lhs[:, lhsCol + k] ⊗
  /// rhs[rhsIndices + (k, 0)]`, unrolled by the schedule at the end when it
  /// runs full tiles; with `prefetchBlock`, it also prefetches row k of that
  /// block of rhs (the tile's columns of it, from the last index's).
  scf::ForOp fmaLoop(Value lhs, Value token, int64_t rows, Value lhsCol,
                     Value rhs, ArrayRef<Value> rhsIndices, Value count,
                     ValueRange accs, Value prefetchBlock = Value());

  /// The rhs block at BSR position `position`.
  Value blockAt(Value position);

  BlockSparseProduct p;
  ImplicitLocOpBuilder &b;
  KernelEmitter e;
  ScheduleAttr schedule;
  const BlockMask &mask;
  int64_t block, in, out;
  RegisterTile tile;
  int64_t panelWidth; ///< columns per tile
  Value rowStartTable, colIndexTable, blockIndexTable;
};

void BlockSparseKernel::emit() {
  Value tokens = e.dim(p.input, 0);
  Value rowBegin = p.rowBegin ? p.rowBegin : e.index(0);
  Value rowEnd = p.rowEnd ? p.rowEnd : e.index(mask.blockRows);
  if (!schedule.getUnrolled()) {
    rowStartTable = e.constantTable(mask.rowStart, "__pfc_row_start");
    colIndexTable = e.constantTable(mask.colIndex, "__pfc_col_index");
    if (!p.blockIndex.empty())
      blockIndexTable = e.constantTable(p.blockIndex, "__pfc_block_index");
  }
  if (p.dots)
    e.loop(e.index(0), tokens, 1, [&](Value token) {
      b.create<memref::StoreOp>(e.f32(0), p.dots, token);
    });
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
}

void BlockSparseKernel::emitBlockRow(Value row,
                                     std::optional<int64_t> constantRow,
                                     ArrayRef<TileRun> runs) {
  auto emitPanel = [&](Value panel) {
    Value outBase = e.add(e.mul(row, e.index(block)), panel);
    // Masks for the vectors of the last block-row that reach into padding.
    SmallVector<Value> masks = tile.masks(outBase, out, out % block != 0);
    SmallVector<Value> biases;
    if (p.bias)
      biases = tile.loadRow(p.bias, {outBase}, masks);
    for (const TileRun &run : runs)
      emitTiles(run.begin, run.end, run.rows, row, constantRow, outBase, panel,
                masks, biases);
  };
  // A loop over the panels, not a copy of the tiles per panel: the code (and
  // the compile time) stays that of one.
  if (panelWidth == block)
    emitPanel(e.index(0));
  else
    e.loop(e.index(0), e.index(block), panelWidth, emitPanel);
}

void BlockSparseKernel::emitTiles(Value begin, Value end, int64_t rows,
                                  Value row, std::optional<int64_t> constantRow,
                                  Value outBase, Value panel,
                                  ArrayRef<Value> masks,
                                  ArrayRef<Value> biases) {
  e.loop(begin, end, rows, [&](Value token) {
    SmallVector<Value> accs = accumulateBlocks(token, rows, row, constantRow,
                                               panel, tile.zeros(rows));
    if (p.dots)
      tile.accumulateRowDots(accs, rows, p.dotInput, token, outBase, masks,
                             p.dots);
    if (p.scale)
      tile.scaleRows(accs, token, rows,
                     [&](Value t) { return e.loadPerToken(p.scale, t); });
    if (p.extra) {
      scf::ForOp loop =
          fmaLoop(p.extra, token, rows, e.index(0), p.extraWeights,
                  {e.index(0), outBase}, e.dim(p.extra, 1), accs);
      accs.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (!biases.empty())
      tile.addRow(accs, biases);
    tile.store(accs, rows, p.output, token, outBase, masks);
  });
}

SmallVector<Value>
BlockSparseKernel::accumulateBlocks(Value token, int64_t rows, Value row,
                                    std::optional<int64_t> constantRow,
                                    Value panel, SmallVector<Value> accs) {
  if (constantRow) {
    for (int64_t n = mask.rowStart[*constantRow];
         n < mask.rowStart[*constantRow + 1]; ++n) {
      int64_t col = mask.colIndex[n];
      accs = accumulateBlock(token, rows, e.index(n), e.index(col),
                             e.index(std::min(block, in - col * block)), panel,
                             accs);
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
    return accumulateBlock(token, rows, n, col, inputs, panel, args);
  });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> BlockSparseKernel::accumulateBlock(Value token, int64_t rows,
                                                      Value index, Value col,
                                                      Value inputs, Value panel,
                                                      ValueRange accs) {
  // Row k of the block `prefetch` places ahead in BSR order (the order the
  // kernel visits the weights in) is fetched while this block's row k is
  // used.
  Value ahead;
  if (int64_t distance = schedule.getPrefetch())
    ahead = blockAt(
        e.min(e.add(index, e.index(distance)), e.index(mask.nnzBlocks() - 1)));
  scf::ForOp loop =
      fmaLoop(p.input, token, rows, e.mul(col, e.index(block)), p.blocks,
              {blockAt(index), e.index(0), panel}, inputs, accs, ahead);
  return SmallVector<Value>(loop.getResults());
}

Value BlockSparseKernel::blockAt(Value position) {
  if (p.blockIndex.empty())
    return position;
  if (std::optional<int64_t> known = getConstantIntValue(position))
    return e.index(p.blockIndex[*known]);
  return b.create<memref::LoadOp>(blockIndexTable, position);
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
                rhs,
                ValueRange{prefetchBlock, k,
                           e.add(rhsIndices.back(), e.index(v * tile.width()))},
                /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
        return tile.fma(lhs, token, rows, e.add(lhsCol, k),
                        tile.loadRow(rhs, at, {}), args);
      });
  // Only the full tiles are worth the code of an unrolled loop. The loop is
  // marked, not unrolled here: this runs inside a dialect conversion, whose
  // rewriter must see every op it was told of stay (unrollMarkedLoops).
  if (rows == schedule.getTile() && schedule.getUnroll() > 1)
    loop->setAttr(kUnrollAttr, b.getI64IntegerAttr(schedule.getUnroll()));
  return loop;
}

/// Checks `schedule` (or picks the default one) for `product` and emits its
/// kernel before `op`.
LogicalResult emitBlockSparseKernel(Operation *op, BlockSparseProduct product,
                                    ScheduleAttr schedule,
                                    const CpuTargetInfo &target,
                                    OpBuilder &builder) {
  if (!schedule)
    schedule = ScheduleAttr::get(
        op->getContext(),
        defaultSchedule(padTo(product.in, product.block), product.block,
                        product.mask.nnzBlocks(), target));
  int64_t width = std::min(schedule.getVector(), product.block);
  if (product.block % width != 0)
    return op->emitOpError("block size ")
           << product.block << " is not a multiple of the vector width "
           << schedule.getVector();
  // Beyond the 32 vector registers of AVX-512 a tile only spills.
  const int64_t panelVectors =
      blockRowPanelVectors(target, product.block / width);
  int64_t accumulators = schedule.getTile() * panelVectors;
  if (accumulators > 64)
    return op->emitOpError("schedule tile ")
           << schedule.getTile() << " needs " << accumulators
           << " vector accumulators for " << product.block
           << "-wide blocks, more than 64";
  ImplicitLocOpBuilder b(op->getLoc(), builder);
  BlockSparseKernel(std::move(product), b, schedule, panelVectors).emit();
  return success();
}

} // namespace

LogicalResult lowerBlockSparseMatmul(BlockSparseMatmulOp op,
                                     const CpuTargetInfo &target,
                                     OpBuilder &builder) {
  return emitBlockSparseKernel(op, blockSparseProduct(op), op.getScheduleAttr(),
                               target, builder);
}

LogicalResult lowerBlockSparseMatmulTranspose(BlockSparseMatmulTransposeOp op,
                                              const CpuTargetInfo &target,
                                              OpBuilder &builder) {
  return emitBlockSparseKernel(op, blockSparseProduct(op), op.getScheduleAttr(),
                               target, builder);
}

} // namespace pfc
