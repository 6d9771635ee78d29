//===- MaterializePattern.cpp - Butterfly patterns to block lists ---------===//
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Transforms/Passes.h"

namespace pfc {
#define GEN_PASS_DEF_MATERIALIZEPATTERN
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

struct MaterializePatternPass
    : impl::MaterializePatternBase<MaterializePatternPass> {
  void runOnOperation() override {
    WalkResult result = getOperation()->walk([](Operation *op) {
      auto butterfly = op->getAttrOfType<ButterflyAttr>("pattern");
      std::optional<WeightShape> shape = getWeightShape(op);
      if (!butterfly || !shape)
        return WalkResult::advance();
      FailureOr<BlockMask> mask =
          resolveBlockMask(butterfly, shape->out, shape->in, shape->block,
                           [&] { return op->emitOpError(); });
      if (failed(mask))
        return WalkResult::interrupt();
      op->setAttr("pattern", getBlocksAttr(op->getContext(), *mask));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
} // namespace pfc
