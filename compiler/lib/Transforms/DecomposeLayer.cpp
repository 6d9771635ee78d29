//===- DecomposeLayer.cpp - A layer as separate parts ---------------------===//
#include "LayerParts.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace pfc {
#define GEN_PASS_DEF_DECOMPOSELAYER
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

struct DecomposeLayerOp : OpRewritePattern<LayerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerOp layer,
                                PatternRewriter &rewriter) const override {
    // The γ combination writes every output, so a block-row range cannot be
    // honoured by the parts.
    if (layer.getRowBegin())
      return rewriter.notifyMatchFailure(
          layer, "a block-row range cannot be decomposed");
    Location loc = layer.getLoc();
    LayerTemporaries temporaries(rewriter, layer);
    int64_t out = cast<MemRefType>(layer.getOutput().getType()).getDimSize(1);
    Value gamma = temporaries.gamma();
    Value sparse = temporaries.matrix(out);
    rewriter.create<BlockSparseMatmulOp>(
        loc, layer.getInput(), layer.getBlocks(), Value(), Value(), Value(),
        Value(), sparse, Value(), Value(), layer.getPattern(),
        layer.getScheduleAttr());
    Value lowRank;
    if (layer.getLowRankU()) {
      lowRank = temporaries.matrix(out);
      rewriter.create<LowRankOp>(loc, layer.getInput(), layer.getLowRankU(),
                                 layer.getLowRankV(), lowRank);
    }
    rewriter.create<CombineOp>(loc, sparse, lowRank, gamma, layer.getBias(),
                               layer.getOutput());
    temporaries.release();
    rewriter.eraseOp(layer);
    return success();
  }
};

struct DecomposeLayerPass : impl::DecomposeLayerBase<DecomposeLayerPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeLayerPatterns(patterns);
    if (failed(applyPatternsToOps(
            getOperation(), [](Operation *op) { return isa<LayerOp>(op); },
            std::move(patterns))))
      return signalPassFailure();
    // The pass promises layers in parts: one the patterns had to leave is
    // an error, not a layer passed on whole.
    getOperation().walk([&](LayerOp layer) {
      layer.emitOpError("with a block-row range cannot be decomposed; use "
                        "pfc-fuse-lowrank");
      signalPassFailure();
    });
  }
};

} // namespace

void populateDecomposeLayerPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeLayerOp>(patterns.getContext());
}

} // namespace pfc
