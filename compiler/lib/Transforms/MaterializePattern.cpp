//===- MaterializePattern.cpp - Butterfly patterns to block lists ---------===//
#include "LayerParts.h"
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace pfc {
#define GEN_PASS_DEF_MATERIALIZEPATTERN
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

/// A pattern given by parameters becomes the block list it stands for.
struct MaterializeBlockPattern
    : OpInterfaceRewritePattern<BlockSparseOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(BlockSparseOpInterface op,
                                PatternRewriter &rewriter) const override {
    BlockPatternAttrInterface pattern = op.getPattern();
    if (pattern.isMaterialized())
      return rewriter.notifyMatchFailure(op, "already a block list");
    WeightShape shape = op.getWeightShape();
    // The verifier resolved the same mask: it fits.
    FailureOr<BlockMask> mask = pattern.getBlockMask(
        shape.out, shape.in, shape.block, [&] { return op->emitOpError(); });
    if (failed(mask))
      return failure();
    rewriter.modifyOpInPlace(
        op, [&] { op.setPatternAttr(getBlocksAttr(op->getContext(), *mask)); });
    return success();
  }
};

struct MaterializePatternPass
    : impl::MaterializePatternBase<MaterializePatternPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMaterializePatternPatterns(patterns);
    if (failed(applyPatternsToOps(
            getOperation(),
            [](Operation *op) { return isa<BlockSparseOpInterface>(op); },
            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void populateMaterializePatternPatterns(RewritePatternSet &patterns) {
  patterns.add<MaterializeBlockPattern>(patterns.getContext());
}

} // namespace pfc
