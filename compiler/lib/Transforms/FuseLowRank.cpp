//===- FuseLowRank.cpp - A layer as one fused block-sparse product --------===//
#include "LayerParts.h"
#include "pfc/Transforms/Passes.h"

namespace pfc {
#define GEN_PASS_DEF_FUSELOWRANK
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

void fuse(LayerOp layer) {
  OpBuilder builder(layer);
  Location loc = layer.getLoc();
  LayerTemporaries temporaries(builder, layer);
  Value gamma = temporaries.gamma();
  Value projected;
  if (Value v = layer.getLowRankV()) {
    projected = temporaries.matrix(cast<MemRefType>(v.getType()).getDimSize(1));
    builder.create<ProjectOp>(loc, layer.getInput(), v, gamma, projected);
  }
  builder.create<BlockSparseMatmulOp>(
      loc, layer.getInput(), layer.getBlocks(), gamma, projected,
      layer.getLowRankU(), layer.getBias(), layer.getOutput(),
      layer.getRowBegin(), layer.getRowEnd(), layer.getPattern(),
      layer.getScheduleAttr());
  temporaries.release();
  layer.erase();
}

struct FuseLowRankPass : impl::FuseLowRankBase<FuseLowRankPass> {
  void runOnOperation() override {
    SmallVector<LayerOp> layers;
    getOperation()->walk([&](LayerOp layer) { layers.push_back(layer); });
    for (LayerOp layer : layers)
      fuse(layer);
  }
};

} // namespace
} // namespace pfc
