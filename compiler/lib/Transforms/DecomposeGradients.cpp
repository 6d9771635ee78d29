//===- DecomposeGradients.cpp - A layer's backward pass as kernels --------===//
//
// `pfc.layer_grad` becomes the ops below, every product a register-tiled
// kernel. With s = x·Bᵀ, t = x·V, w = dY·U and γ one element or one per token:
//   dX = γ ⊙ (dY·B) + ((1−γ) ⊙ w)·Vᵀ      one pfc.bsmm_t, the low-rank term
//                                          fused as r extra columns
//   dB = (γ ⊙ dY)ᵀ·x on the pattern        pfc.sddmm
//   dU = dYᵀ·((1−γ) ⊙ t)                   pfc.outer_sum
//   dV = xᵀ·((1−γ) ⊙ w)                    pfc.outer_sum
//   dγ_t = Σ dY⊙s − Σ dY⊙l = (dY·B)_t·x_t − w_t·t_t
// The first dot of dγ comes out of the dX kernel, from its accumulators
// before they are scaled, so no pass computes s again; for a scalar γ only
// its sum over tokens counts, Σ B ⊙ (dYᵀ·x), which the dB kernel forms as it
// stores its last chunk. Every sum covers the op's token range; dB only its
// range of blocks.
//
//===----------------------------------------------------------------------===//
#include "LayerParts.h"
#include "pfc/Spec/Spec.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace pfc {
#define GEN_PASS_DEF_DECOMPOSEGRADIENTS
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

/// Rows [begin, end) of `matrix`.
Value tokenRows(OpBuilder &builder, Location loc, Value matrix, Value begin,
                Value end) {
  int64_t cols = cast<MemRefType>(matrix.getType()).getDimSize(1);
  Value count = builder.create<arith::SubIOp>(loc, end, begin);
  return builder.create<memref::SubViewOp>(
      loc, matrix, ArrayRef<OpFoldResult>{begin, builder.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{count, builder.getIndexAttr(cols)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(1), builder.getIndexAttr(1)});
}

void decompose(LayerGradOp grad, RewriterBase &builder) {
  Location loc = grad.getLoc();
  Value x = grad.getInput(), dy = grad.getGradOutput();
  Value dx = grad.getGradInput();
  WeightShape shape = grad.getWeightShape();
  bool learned = grad.getGamma() != GammaKind::Fixed;
  // The token range every gradient covers.
  if (Value begin = grad.getTokenBegin()) {
    Value end = grad.getTokenEnd();
    x = tokenRows(builder, loc, x, begin, end);
    dy = tokenRows(builder, loc, dy, begin, end);
    dx = tokenRows(builder, loc, dx, begin, end);
  }
  LayerTemporaries temporaries(builder, grad, x);
  Value gamma = temporaries.gamma();

  Value projected, weighted, vt, lowRankDots;
  if (Value v = grad.getLowRankV()) {
    int64_t rank = cast<MemRefType>(v.getType()).getDimSize(1);
    projected = temporaries.matrix(rank);
    builder.create<ProjectOp>(loc, x, v, Value(), projected);
    weighted = temporaries.matrix(rank);
    builder.create<ProjectOp>(loc, dy, grad.getLowRankU(), Value(), weighted);
    if (learned) {
      lowRankDots = temporaries.perToken();
      builder.create<RowDotOp>(loc, weighted, projected, lowRankDots);
    }
    builder.create<ScaleRowsOp>(loc, projected, gamma);
    builder.create<ScaleRowsOp>(loc, weighted, gamma);
    vt = temporaries.buffer({rank, padTo(shape.in, shape.block)});
    builder.create<TransposeOp>(loc, v, vt);
  }
  // dγ's part through B: a scalar γ's is the sum Σ B ⊙ (dYᵀ·x), which dB's
  // kernel has at hand (unless it writes only some blocks); a gate needs it
  // per token, from the dX kernel, which then reads x once more.
  bool sparseSum =
      grad.getGamma() == GammaKind::Scalar && !grad.getBlockBegin();
  Value sparseDots;
  if (learned)
    sparseDots = sparseSum ? temporaries.buffer({1}) : temporaries.perToken();
  Value tokenDots = learned && !sparseSum ? sparseDots : Value();
  builder.create<BlockSparseMatmulTransposeOp>(
      loc, dy, grad.getBlocks(), gamma, weighted, vt, tokenDots ? x : Value(),
      tokenDots, dx, grad.getPattern(), grad.getScheduleAttr());
  builder.create<SampledMatmulOp>(
      loc, dy, x, gamma, sparseSum ? grad.getBlocks() : Value(),
      sparseSum ? sparseDots : Value(), grad.getGradBlocks(),
      grad.getBlockBegin(), grad.getBlockEnd(), grad.getPattern());
  if (projected) {
    builder.create<OuterSumOp>(loc, dy, projected, grad.getGradU());
    builder.create<OuterSumOp>(loc, x, weighted, grad.getGradV());
  }
  if (learned) {
    bool gate = grad.getGamma() == GammaKind::Gate;
    builder.create<GammaGradOp>(
        loc, sparseDots, lowRankDots, gamma, gate ? x : Value(),
        gate ? grad.getGammaParams() : Value(), gate ? dx : Value(),
        grad.getGradGamma(), grad.getGamma());
  }
  if (Value gradBias = grad.getGradBias())
    builder.create<SumTokensOp>(loc, dy, gradBias);
  temporaries.release();
  builder.eraseOp(grad);
}

struct DecomposeLayerGrad : OpRewritePattern<LayerGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerGradOp grad,
                                PatternRewriter &rewriter) const override {
    decompose(grad, rewriter);
    return success();
  }
};

struct DecomposeGradientsPass
    : impl::DecomposeGradientsBase<DecomposeGradientsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeGradientsPatterns(patterns);
    if (failed(applyPatternsToOps(
            getOperation(), [](Operation *op) { return isa<LayerGradOp>(op); },
            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void populateDecomposeGradientsPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeLayerGrad>(patterns.getContext());
}
} // namespace pfc
