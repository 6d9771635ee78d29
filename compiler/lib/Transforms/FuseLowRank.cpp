//===- FuseLowRank.cpp - A layer as one fused block-sparse product --------===//
#include "LayerParts.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace pfc {
#define GEN_PASS_DEF_FUSELOWRANK
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

struct FuseLayer : OpRewritePattern<LayerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerOp layer,
                                PatternRewriter &rewriter) const override {
    Location loc = layer.getLoc();
    LayerTemporaries temporaries(rewriter, layer);
    Value gamma = temporaries.gamma();
    Value projected;
    if (Value v = layer.getLowRankV()) {
      projected =
          temporaries.matrix(cast<MemRefType>(v.getType()).getDimSize(1));
      rewriter.create<ProjectOp>(loc, layer.getInput(), v, gamma, projected);
    }
    rewriter.create<BlockSparseMatmulOp>(
        loc, layer.getInput(), layer.getBlocks(), gamma, projected,
        layer.getLowRankU(), layer.getBias(), layer.getOutput(),
        layer.getRowBegin(), layer.getRowEnd(), layer.getPattern(),
        layer.getScheduleAttr());
    temporaries.release();
    rewriter.eraseOp(layer);
    return success();
  }
};

struct FuseLowRankPass : impl::FuseLowRankBase<FuseLowRankPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseLowRankPatterns(patterns);
    if (failed(applyPatternsToOps(
            getOperation(), [](Operation *op) { return isa<LayerOp>(op); },
            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void populateFuseLowRankPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseLayer>(patterns.getContext());
}

} // namespace pfc
