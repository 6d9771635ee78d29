//===- OuterSumKernel.cpp - Register-tiled sums over tokens (dB, dU, dV) --===//
//
// A weight's gradient is a sum over tokens of outer products, lhsᵀ·rhs:
// dV = xᵀ·w, dU = dYᵀ·t, and each nonzero block of dB is one such product
// over a b-wide strip of dY and of x. One register tile serves them all:
// `rows` rows of the output × up to four vectors of its columns are loaded,
// carried through a chunk of tokens (broadcast lhs[t, i], load rhs[t,
// j-vector], FMA) and stored back; the first chunk starts from zero, the
// last applies a single γ. Read in place, every token is a new row of lhs
// and rhs, a power-of-two stride apart in most layers: a tile's rows share a
// few cache sets and each its page. So each chunk is first packed in strips
// read as contiguous streams (without packing, dB ran at a third of the
// forward's speed), and is sized to stay in L2.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "RegisterTile.h"
#include "pfc/Spec/Spec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace pfc {
namespace {

/// Up to this many accumulators per tile.
constexpr int64_t kAccumulators = 24;

/// Where the kernels read a matrix's element (token, column): in place, or
/// in a copy packed by packStrips.
struct Operand {
  Value memref;
  /// Strip width of a packed copy ([strips, tokens, width]); 0: in place.
  int64_t strip = 0;
  /// Added to token indices (in place: the chunk's first token).
  Value tokenOffset = Value();

  /// The indices of element (token, first + m), where [first, first + m]
  /// does not cross a strip.
  SmallVector<Value> at(KernelEmitter &e, Value token, Value first,
                        int64_t m) const {
    if (tokenOffset)
      token = e.add(token, tokenOffset);
    if (!strip)
      return {token, e.add(first, e.index(m))};
    ImplicitLocOpBuilder &b = e.builder();
    Value width = e.index(strip);
    return {b.create<arith::DivUIOp>(first, width), token,
            e.add(b.create<arith::RemUIOp>(first, width), e.index(m))};
  }
};

/// One output of a sum over tokens: rows [0, rows) of
/// `out[prefix..., i, j]` += Σ_t scale_t · lhs(t, lhsBase + i) ·
/// rhs(t, rhsBase + j) for j in [0, cols) and t in a chunk of tokens, read
/// where `lhs` and `rhs` say. rhs's columns from `rhsLimit` on read as zero;
/// with `maskStores`, columns from `cols` on are neither read nor written.
struct OuterSum {
  Operand lhs;
  Value lhsBase, rows;
  Operand rhs;
  Value rhsBase;
  int64_t cols, rhsLimit;
  /// One γ per token, or null; token t's is at t + scaleOffset.
  Value scale, scaleOffset;
  Value out;
  SmallVector<Value> prefix;
  bool maskStores;
  /// With `dotBlocks`: at the chunk where `lastChunk` holds, dot[0] +=
  /// Σ sums ⊙ dotBlocks over the output, before `storeScale`.
  Value dotBlocks = Value(), dot = Value(), lastChunk = Value();
};

/// Whether `scale` holds one γ per token (not one for all).
bool perToken(Value scale) {
  return scale && cast<MemRefType>(scale.getType()).getDimSize(0) != 1;
}

/// Tokens per chunk: the chunk's rows of both inputs fill half the L2.
int64_t chunkTokens(const CpuTargetInfo &target, int64_t lhsCols,
                    int64_t rhsCols) {
  int64_t tokens = target.cacheBytes / 2 / (4 * (lhsCols + rhsCols));
  return std::clamp<int64_t>(tokens / 8 * 8, 16, 256);
}

/// Rows of the output per register tile, for `cols` columns.
int64_t tileRowsFor(int64_t cols, int64_t width, const CpuTargetInfo &target) {
  int64_t vectors = (cols + width - 1) / width;
  return registerTileRows(target, std::min(vectors, kPanelVectors),
                          kAccumulators, 8);
}

/// Adds the sum over tokens [tokenBegin, tokenEnd) to `sum.out` (to zero
/// when `firstChunk`), multiplied by `storeScale` when given.
/// dot[0] += Σ accs ⊙ dotBlocks[prefix..., row + m, base + v·width], once
/// the sums are complete (the last chunk).
void accumulateDot(KernelEmitter &e, RegisterTile &tile, const OuterSum &sum,
                   ArrayRef<Value> accs, int64_t rows, Value row, Value base,
                   ArrayRef<Value> masks) {
  ImplicitLocOpBuilder &b = e.builder();
  auto ifOp = b.create<scf::IfOp>(sum.lastChunk, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  Value total;
  for (int64_t m = 0; m < rows; ++m) {
    SmallVector<Value> at(sum.prefix);
    at.append({e.add(row, e.index(m)), base});
    SmallVector<Value> weights = tile.loadRow(sum.dotBlocks, at, masks);
    for (int64_t v = 0; v < tile.vectors(); ++v) {
      Value acc = accs[m * tile.vectors() + v];
      total = total ? b.create<vector::FMAOp>(acc, weights[v], total)
                    : b.create<arith::MulFOp>(acc, weights[v]).getResult();
    }
  }
  Value partial = b.create<vector::ReductionOp>(
      vector::CombiningKind::ADD, total, arith::FastMathFlags::reassoc);
  Value zero = e.index(0);
  Value previous = b.create<memref::LoadOp>(sum.dot, zero);
  b.create<memref::StoreOp>(b.create<arith::AddFOp>(previous, partial), sum.dot,
                            zero);
}

void emitOuterSum(KernelEmitter &e, int64_t width, const CpuTargetInfo &target,
                  const OuterSum &sum, Value tokenBegin, Value tokenEnd,
                  Value firstChunk, Value storeScale) {
  ImplicitLocOpBuilder &b = e.builder();
  const int64_t vectorsOfCols = (sum.cols + width - 1) / width;
  const int64_t tileRows = tileRowsFor(sum.cols, width, target);
  for (int64_t first = 0; first < vectorsOfCols; first += kPanelVectors) {
    RegisterTile tile(e, width, std::min(kPanelVectors, vectorsOfCols - first));
    Value base = e.index(first * width);
    Value rhsBase = e.add(sum.rhsBase, base);
    // Whether a vector can reach past the rhs's real columns; rhsBase is a
    // multiple of `cols` (a block-column's first input, or 0).
    bool mayOverrun = sum.rhsLimit % sum.cols != 0 || sum.cols % width != 0;
    SmallVector<Value> loadMasks =
        tile.masks(rhsBase, sum.rhsLimit, mayOverrun);
    SmallVector<Value> storeMasks =
        sum.maskStores ? tile.masks(base, sum.cols, sum.cols % width != 0)
                       : SmallVector<Value>(tile.vectors());
    for (const TileRun &run : e.tileRuns(e.index(0), sum.rows, tileRows)) {
      e.loop(run.begin, run.end, run.rows, [&](Value row) {
        Value lhsCol = e.add(sum.lhsBase, row);
        // The first chunk starts from zero, the others from the sums so far.
        SmallVector<Value> partial, zeros = tile.zeros(run.rows);
        for (int64_t m = 0; m < run.rows; ++m) {
          SmallVector<Value> at(sum.prefix);
          at.append({e.add(row, e.index(m)), base});
          llvm::append_range(partial, tile.loadRow(sum.out, at, storeMasks));
        }
        for (auto [acc, zero] : llvm::zip(partial, zeros))
          acc = b.create<arith::SelectOp>(firstChunk, zero, acc);
        scf::ForOp loop = e.loop(
            tokenBegin, tokenEnd, 1, partial,
            [&](Value token, ValueRange accs) {
              Value factor =
                  sum.scale
                      ? e.loadPerToken(sum.scale, e.add(token, sum.scaleOffset))
                      : Value();
              SmallVector<Value> scalars;
              for (int64_t m = 0; m < run.rows; ++m) {
                Value value = b.create<memref::LoadOp>(
                    sum.lhs.memref, sum.lhs.at(e, token, lhsCol, m));
                scalars.push_back(
                    factor ? b.create<arith::MulFOp>(value, factor) : value);
              }
              return tile.fma(scalars,
                              tile.loadRow(sum.rhs.memref,
                                           sum.rhs.at(e, token, rhsBase, 0),
                                           loadMasks),
                              accs);
            });
        SmallVector<Value> accs(loop.getResults());
        if (sum.dotBlocks)
          accumulateDot(e, tile, sum, accs, run.rows, row, base, storeMasks);
        if (storeScale)
          tile.scaleRows(accs, row, run.rows,
                         [&](Value) { return storeScale; });
        tile.store(accs, run.rows, sum.out, sum.prefix, row, base, storeMasks);
      });
    }
  }
}

/// A buffer for the packed copy of `count` tokens of `matrix` in strips of
/// `width` columns: [strips, count, width].
Value allocateStrips(KernelEmitter &e, Value matrix, int64_t count,
                     int64_t width) {
  int64_t cols = cast<MemRefType>(matrix.getType()).getDimSize(1);
  auto type = MemRefType::get({(cols + width - 1) / width, count, width},
                              e.builder().getF32Type());
  return e.builder().create<memref::AllocOp>(type);
}

/// packed[s, t, j] = matrix[begin + t, s·width + j] for t in [0, count),
/// zero past the matrix's columns. Rows of a chunk lie a whole row of
/// features apart, often a power of two (4 KiB and more): read in place, a
/// strip's rows share a few cache sets and each its own page. Packed, a
/// kernel reads a strip as one contiguous stream. Copies use vectors of at
/// most `vectorWidth` lanes.
void packStrips(KernelEmitter &e, Value matrix, Value begin, Value count,
                Value packed, int64_t vectorWidth) {
  ImplicitLocOpBuilder &b = e.builder();
  auto type = cast<MemRefType>(packed.getType());
  int64_t cols = cast<MemRefType>(matrix.getType()).getDimSize(1);
  int64_t width = type.getDimSize(2);
  int64_t full = cols / width, rest = cols % width;
  // Whole strips are copied in vectors of as many lanes as divide them.
  int64_t lanes = vectorWidth;
  while (lanes > 1 && width % lanes != 0)
    lanes /= 2;
  auto vectorType = VectorType::get({lanes}, b.getF32Type());
  Value zero = e.f32(0);
  e.loop(e.index(0), count, 1, [&](Value t) {
    Value row = e.add(begin, t);
    // A loop over the whole strips, not code per strip: a layer has up to
    // hundreds.
    e.loop(e.index(0), e.index(full), 1, [&](Value strip) {
      Value first = e.mul(strip, e.index(width));
      for (int64_t j = 0; j < width; j += lanes) {
        Value value = b.create<vector::LoadOp>(
            vectorType, matrix, ValueRange{row, e.add(first, e.index(j))});
        b.create<vector::StoreOp>(value, packed,
                                  ValueRange{strip, t, e.index(j)});
      }
    });
    if (rest == 0)
      return;
    // The last strip: its real columns, then zeros.
    Value strip = e.index(full);
    for (int64_t j = 0; j < width; ++j) {
      Value value =
          j < rest ? b.create<memref::LoadOp>(
                         matrix, ValueRange{row, e.index(full * width + j)})
                   : zero;
      b.create<memref::StoreOp>(value, packed,
                                ValueRange{strip, t, e.index(j)});
    }
  });
}

/// Zeroes rows [from, b) of block n of `blocks` [nnz, b, b].
void zeroRowsFrom(KernelEmitter &e, Value blocks, Value n, Value from) {
  ImplicitLocOpBuilder &b = e.builder();
  int64_t block = cast<MemRefType>(blocks.getType()).getDimSize(1);
  Value zero = e.f32(0);
  e.loop(from, e.index(block), 1, [&](Value row) {
    e.loop(e.index(0), e.index(block), 1, [&](Value col) {
      b.create<memref::StoreOp>(zero, blocks, ValueRange{n, row, col});
    });
  });
}

/// Runs `chunk(begin, end, first, last)` over the tokens of `lhs` in
/// chunks of `size`: once, empty, when there are none, so that the sums are
/// still written (as zeros).
void emitChunked(KernelEmitter &e, Value lhs, int64_t size,
                 function_ref<void(Value, Value, Value, Value)> chunk) {
  ImplicitLocOpBuilder &b = e.builder();
  Value tokens = e.dim(lhs, 0);
  Value chunks = b.create<arith::MaxSIOp>(tokens, e.index(1));
  e.loop(e.index(0), chunks, size, [&](Value begin) {
    Value end = e.min(e.add(begin, e.index(size)), tokens);
    Value first =
        b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, begin, e.index(0));
    Value last = b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, end, tokens);
    chunk(begin, end, first, last);
  });
}

} // namespace

void lowerOuterSum(OuterSumOp op, const CpuTargetInfo &target,
                   OpBuilder &builder) {
  ImplicitLocOpBuilder b(op.getLoc(), builder);
  KernelEmitter e(b);
  auto cols = [](Value matrix) {
    return cast<MemRefType>(matrix.getType()).getDimSize(1);
  };
  int64_t lhsCols = cols(op.getLhs()), rhsCols = cols(op.getRhs());
  int64_t width = target.vectorWidth;
  // The lhs (an input or dY: long rows) is packed in strips of one tile's
  // rows; the rhs (r columns) is read in place.
  int64_t size = chunkTokens(target, lhsCols, rhsCols);
  int64_t strip = tileRowsFor(rhsCols, width, target);
  Value packed = allocateStrips(e, op.getLhs(), size, strip);
  emitChunked(e, op.getLhs(), size,
              [&](Value begin, Value end, Value first, Value) {
                Value count = b.create<arith::SubIOp>(end, begin);
                packStrips(e, op.getLhs(), begin, count, packed, width);
                OuterSum sum{{packed, strip},
                             e.index(0),
                             e.index(lhsCols),
                             {op.getRhs(), 0, begin},
                             e.index(0),
                             rhsCols,
                             rhsCols,
                             Value(),
                             Value(),
                             op.getOutput(),
                             {},
                             /*maskStores=*/true};
                emitOuterSum(e, width, target, sum, e.index(0), count, first,
                             Value());
              });
  b.create<memref::DeallocOp>(packed);
}

LogicalResult lowerSampledMatmul(SampledMatmulOp op,
                                 const CpuTargetInfo &target,
                                 OpBuilder &builder) {
  WeightShape shape = op.getWeightShape();
  int64_t width = std::min(target.vectorWidth, shape.block);
  if (shape.block % width != 0)
    return op.emitOpError("block size ")
           << shape.block << " is not a multiple of the vector width "
           << target.vectorWidth;
  ImplicitLocOpBuilder b(op.getLoc(), builder);
  KernelEmitter e(b);
  auto pattern = cast<BlocksAttr>(op.getPattern());
  SmallVector<int64_t> rows, cols;
  for (auto [row, col] : getBlockMask(pattern, shape.block).blocks()) {
    rows.push_back(row);
    cols.push_back(col);
  }
  Value rowTable = e.constantTable(rows, "__pfc_block_row");
  Value colTable = e.constantTable(cols, "__pfc_block_col");
  Value block = e.index(shape.block);
  // Both inputs are packed in strips of a block's width, zero past their
  // features: a block reads one strip of each.
  int64_t size = chunkTokens(target, shape.out, shape.in);
  Value dy = op.getGradOutput(), x = op.getInput();
  Value packedDy = allocateStrips(e, dy, size, shape.block);
  Value packedX = allocateStrips(e, x, size, shape.block);
  // One γ per token scales dY's values, a single γ the sums once, as the
  // last chunk stores them.
  Value scale = perToken(op.getScale()) ? op.getScale() : Value();
  Value single = op.getScale() && !scale
                     ? e.loadPerToken(op.getScale(), e.index(0))
                     : Value();
  if (Value dot = op.getDot())
    b.create<memref::StoreOp>(e.f32(0), dot, e.index(0));
  Value blockBegin = op.getBlockBegin() ? op.getBlockBegin() : e.index(0);
  Value blockEnd =
      op.getBlockEnd() ? op.getBlockEnd() : e.index(pattern.getNumBlocks());
  emitChunked(e, x, size, [&](Value begin, Value end, Value first, Value last) {
    Value count = b.create<arith::SubIOp>(end, begin);
    packStrips(e, dy, begin, count, packedDy, width);
    packStrips(e, x, begin, count, packedX, width);
    Value storeScale =
        single ? b.create<arith::SelectOp>(last, single, e.f32(1)).getResult()
               : Value();
    e.loop(blockBegin, blockEnd, 1, [&](Value n) {
      Value outBase = e.mul(b.create<memref::LoadOp>(rowTable, n), block);
      Value inBase = e.mul(b.create<memref::LoadOp>(colTable, n), block);
      // The block's real outputs; its other rows cover padding.
      Value outputs =
          e.min(block, b.create<arith::SubIOp>(e.index(shape.out), outBase));
      OuterSum sum{{packedDy, shape.block},
                   outBase,
                   outputs,
                   {packedX, shape.block},
                   inBase,
                   shape.block,
                   shape.block,
                   scale,
                   begin,
                   op.getOutput(),
                   {n},
                   /*maskStores=*/false,
                   op.getDotBlocks(),
                   op.getDot(),
                   last};
      emitOuterSum(e, width, target, sum, e.index(0), count, first, storeScale);
      zeroRowsFrom(e, op.getOutput(), n, outputs);
    });
  });
  b.create<memref::DeallocOp>(packedDy);
  b.create<memref::DeallocOp>(packedX);
  return success();
}

} // namespace pfc
