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
// before they are scaled, so no pass computes s again.
//
//===----------------------------------------------------------------------===//
#include "LayerParts.h"
#include "pfc/Spec/Spec.h"
#include "pfc/Transforms/Passes.h"

namespace pfc {
#define GEN_PASS_DEF_DECOMPOSEGRADIENTS
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

void decompose(LayerGradOp grad) {
  OpBuilder builder(grad);
  Location loc = grad.getLoc();
  LayerTemporaries temporaries(builder, grad);
  Value x = grad.getInput(), dy = grad.getGradOutput();
  WeightShape shape = *getWeightShape(grad);
  bool learned = grad.getGamma() != GammaKind::Fixed;
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
  Value sparseDots = learned ? temporaries.perToken() : Value();
  builder.create<BlockSparseMatmulTransposeOp>(
      loc, dy, grad.getBlocks(), gamma, weighted, vt,
      learned ? x : Value(), sparseDots, grad.getGradInput(),
      grad.getPattern(), grad.getScheduleAttr());
  builder.create<SampledMatmulOp>(loc, dy, x, gamma, grad.getGradBlocks(),
                                  grad.getPattern());
  if (projected) {
    builder.create<OuterSumOp>(loc, dy, projected, grad.getGradU());
    builder.create<OuterSumOp>(loc, x, weighted, grad.getGradV());
  }
  if (learned) {
    bool gate = grad.getGamma() == GammaKind::Gate;
    builder.create<GammaGradOp>(
        loc, sparseDots, lowRankDots, gamma, gate ? x : Value(),
        gate ? grad.getGammaParams() : Value(),
        gate ? grad.getGradInput() : Value(), grad.getGradGamma(),
        grad.getGamma());
  }
  if (Value gradBias = grad.getGradBias())
    builder.create<SumTokensOp>(loc, dy, gradBias);
  temporaries.release();
  grad.erase();
}

struct DecomposeGradientsPass
    : impl::DecomposeGradientsBase<DecomposeGradientsPass> {
  void runOnOperation() override {
    SmallVector<LayerGradOp> grads;
    getOperation()->walk([&](LayerGradOp grad) { grads.push_back(grad); });
    for (LayerGradOp grad : grads)
      decompose(grad);
  }
};

} // namespace
} // namespace pfc
