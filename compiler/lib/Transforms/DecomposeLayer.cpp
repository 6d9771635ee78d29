//===- DecomposeLayer.cpp - A layer as separate parts ---------------------===//
#include "LayerParts.h"
#include "pfc/Transforms/Passes.h"

namespace pfc {
#define GEN_PASS_DEF_DECOMPOSELAYER
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

LogicalResult decompose(LayerOp layer) {
  // The γ combination writes every output, so a block-row range cannot be
  // honoured by the parts.
  if (layer.getRowBegin())
    return layer.emitOpError("with a block-row range cannot be decomposed; "
                             "use pfc-fuse-lowrank");
  OpBuilder builder(layer);
  Location loc = layer.getLoc();
  LayerTemporaries temporaries(builder, layer);
  int64_t out = cast<MemRefType>(layer.getOutput().getType()).getDimSize(1);
  Value gamma = temporaries.gamma();
  Value sparse = temporaries.matrix(out);
  builder.create<BlockSparseMatmulOp>(
      loc, layer.getInput(), layer.getBlocks(), Value(), Value(), Value(),
      Value(), sparse, Value(), Value(), layer.getPattern(),
      layer.getScheduleAttr());
  Value lowRank;
  if (layer.getLowRankU()) {
    lowRank = temporaries.matrix(out);
    builder.create<LowRankOp>(loc, layer.getInput(), layer.getLowRankU(),
                              layer.getLowRankV(), lowRank);
  }
  builder.create<CombineOp>(loc, sparse, lowRank, gamma, layer.getBias(),
                            layer.getOutput());
  temporaries.release();
  layer.erase();
  return success();
}

struct DecomposeLayerPass : impl::DecomposeLayerBase<DecomposeLayerPass> {
  void runOnOperation() override {
    SmallVector<LayerOp> layers;
    getOperation()->walk([&](LayerOp layer) { layers.push_back(layer); });
    for (LayerOp layer : layers)
      if (failed(decompose(layer)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace pfc
