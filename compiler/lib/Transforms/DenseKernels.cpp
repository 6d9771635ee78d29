//===- DenseKernels.cpp - Register-tiled kernels of the dense parts -------===//
//
// The projection t = (1−γ)⊙(x·V) is a skinny dense product: r columns, often
// 16 to 128. It gets the block-sparse kernel's register tiles, over panels of
// up to four vectors of r. The gate γ(x) = 1 − sigmoid(x·g + c) is one dot
// product per token, summed in four vector accumulators.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "RegisterTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace pfc {

namespace {
/// Up to this many accumulators per tile (kPanelVectors vectors of r).
constexpr int64_t kAccumulators = 24;
/// Independent partial sums of the gate's dot product (FMA latency × rate).
constexpr int64_t kSums = 4;
} // namespace

void lowerProject(ProjectOp op, const CpuTargetInfo &target,
                  OpBuilder &builder) {
  ImplicitLocOpBuilder b(op.getLoc(), builder);
  KernelEmitter e(b);
  Value x = op.getInput(), v = op.getV(), t = op.getOutput();
  const int64_t in = cast<MemRefType>(x.getType()).getDimSize(1);
  const int64_t rank = cast<MemRefType>(t.getType()).getDimSize(1);
  const int64_t width = target.vectorWidth;
  const int64_t vectorsOfRank = (rank + width - 1) / width;
  const int64_t tileRows = registerTileRows(
      target, std::min(vectorsOfRank, kPanelVectors), kAccumulators, 12);
  Value tokens = e.dim(x, 0);

  auto emitTiles = [&](Value begin, Value end, int64_t rows) {
    e.loop(begin, end, rows, [&](Value token) {
      for (int64_t first = 0; first < vectorsOfRank; first += kPanelVectors) {
        RegisterTile tile(e, width,
                          std::min(kPanelVectors, vectorsOfRank - first));
        Value base = e.index(first * width);
        SmallVector<Value> masks = tile.masks(base, rank, rank % width != 0);
        scf::ForOp loop =
            e.loop(e.index(0), e.index(in), 1, tile.zeros(rows),
                   [&](Value k, ValueRange accs) {
                     return tile.fma(x, token, rows, k,
                                     tile.loadRow(v, {k, base}, masks), accs);
                   });
        SmallVector<Value> accs(loop.getResults());
        if (Value gamma = op.getGamma())
          tile.scaleRows(accs, token, rows, [&](Value row) -> Value {
            return b.create<arith::SubFOp>(e.f32(1),
                                           e.loadPerToken(gamma, row));
          });
        tile.store(accs, rows, t, token, base, masks);
      }
    });
  };
  for (const TileRun &run : e.tileRuns(e.index(0), tokens, tileRows))
    emitTiles(run.begin, run.end, run.rows);
}

void lowerGate(GateOp op, int64_t vectorWidth, OpBuilder &builder) {
  ImplicitLocOpBuilder b(op.getLoc(), builder);
  KernelEmitter e(b);
  Value x = op.getInput(), params = op.getParams();
  const int64_t in = cast<MemRefType>(x.getType()).getDimSize(1);
  const int64_t step = kSums * vectorWidth;
  auto vectorType = VectorType::get({vectorWidth}, b.getF32Type());
  e.loop(e.index(0), e.dim(x, 0), 1, [&](Value token) {
    // Four independent vector sums over whole steps, then a scalar tail.
    Value zero = b.create<arith::ConstantOp>(b.getZeroAttr(vectorType));
    scf::ForOp sums = e.loop(
        e.index(0), e.index(in / step * step), step,
        SmallVector<Value>(kSums, zero), [&](Value k, ValueRange accs) {
          SmallVector<Value> next;
          for (int64_t j = 0; j < kSums; ++j) {
            Value at = e.add(k, e.index(j * vectorWidth));
            next.push_back(b.create<vector::FMAOp>(
                b.create<vector::LoadOp>(vectorType, x, ValueRange{token, at}),
                b.create<vector::LoadOp>(vectorType, params, ValueRange{at}),
                accs[j]));
          }
          return next;
        });
    Value total = sums.getResult(0);
    for (int64_t j = 1; j < kSums; ++j)
      total = b.create<arith::AddFOp>(total, sums.getResult(j));
    Value dot = b.create<vector::ReductionOp>(vector::CombiningKind::ADD, total,
                                              arith::FastMathFlags::reassoc);
    scf::ForOp tail = e.loop(
        e.index(in / step * step), e.index(in), 1,
        {b.create<arith::AddFOp>(
            dot, b.create<memref::LoadOp>(params, ValueRange{e.index(in)}))},
        [&](Value k, ValueRange acc) {
          Value product = b.create<arith::MulFOp>(
              b.create<memref::LoadOp>(x, ValueRange{token, k}),
              b.create<memref::LoadOp>(params, ValueRange{k}));
          return SmallVector<Value>{b.create<arith::AddFOp>(acc[0], product)};
        });
    // 1 − sigmoid(z) = 1 / (1 + exp(z)).
    Value gamma = b.create<arith::DivFOp>(
        e.f32(1), b.create<arith::AddFOp>(
                      e.f32(1), b.create<math::ExpOp>(tail.getResult(0))));
    b.create<memref::StoreOp>(gamma, op.getOutput(), ValueRange{token});
  });
}

} // namespace pfc
