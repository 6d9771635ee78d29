//===- LayerParts.h - Pieces shared by the layer rewrites -------*- C++ -*-===//
#ifndef PFC_TRANSFORMS_LAYERPARTS_H
#define PFC_TRANSFORMS_LAYERPARTS_H

#include "pfc/Dialect/PfcOps.h"

#include "mlir/IR/Builders.h"

namespace pfc {

/// The temporaries a rewritten layer allocates; freed after its last use.
class LayerTemporaries {
public:
  LayerTemporaries(mlir::OpBuilder &builder, LayerOp layer)
      : builder(builder), layer(layer) {}

  /// A `[tokens, cols]` buffer, tokens as in the layer's input.
  mlir::Value matrix(int64_t cols);
  /// γ as a memref: the scalar parameter, a constant (fixed mode) or one γ
  /// per token from `pfc.gate` (gate mode).
  mlir::Value gamma();
  /// Frees every buffer allocated so far; call after the last use.
  void release();

private:
  /// A `[tokens, inner...]` buffer.
  mlir::Value allocate(llvm::ArrayRef<int64_t> inner);

  mlir::OpBuilder &builder;
  LayerOp layer;
  llvm::SmallVector<mlir::Value> allocated;
};

} // namespace pfc

#endif // PFC_TRANSFORMS_LAYERPARTS_H
