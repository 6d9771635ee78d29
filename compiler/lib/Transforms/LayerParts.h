//===- LayerParts.h - Pieces shared by the layer rewrites -------*- C++ -*-===//
#ifndef PFC_TRANSFORMS_LAYERPARTS_H
#define PFC_TRANSFORMS_LAYERPARTS_H

#include "pfc/Dialect/PfcOps.h"

#include "mlir/IR/Builders.h"

namespace pfc {

/// The temporaries a rewritten layer (`pfc.layer` or `pfc.layer_grad`)
/// allocates; freed after its last use.
class LayerTemporaries {
public:
  /// Temporaries of `layer` with as many tokens as `input` (by default the
  /// layer's own).
  template <typename LayerLike>
  LayerTemporaries(mlir::OpBuilder &builder, LayerLike layer,
                   mlir::Value input = mlir::Value())
      : builder(builder), loc(layer.getLoc()),
        input(input ? input : layer.getInput()),
        data(mlir::cast<mlir::MemRefType>(layer.getInput().getType())
                 .getElementType()),
        kind(layer.getGamma()), gammaParams(layer.getGammaParams()),
        gammaValue(layer.getGammaValue()
                       ? layer.getGammaValue()->convertToDouble()
                       : 0.0) {}

  /// A `[tokens, cols]` buffer of the layer's data type, tokens as in the
  /// layer's input.
  mlir::Value matrix(int64_t cols);
  /// A `[tokens]` f32 buffer.
  mlir::Value perToken();
  /// A buffer of the static `shape`: of the layer's data type when it is a
  /// matrix (weights), else f32.
  mlir::Value buffer(llvm::ArrayRef<int64_t> shape);
  /// γ as a memref: the scalar parameter, a constant (fixed mode) or one γ
  /// per token of `input` from `pfc.gate` (gate mode).
  mlir::Value gamma();
  /// Frees every buffer allocated so far; call after the last use.
  void release();

private:
  /// A `[tokens, inner...]` buffer.
  mlir::Value allocate(llvm::ArrayRef<int64_t> inner);
  /// Matrices hold the data type; vectors (γ, dots) are f32.
  mlir::Type elementType(size_t rank) const;

  mlir::OpBuilder &builder;
  mlir::Location loc;
  mlir::Value input;
  mlir::Type data;
  GammaKind kind;
  mlir::Value gammaParams;
  double gammaValue;
  llvm::SmallVector<mlir::Value> allocated;
};

/// Applies `patterns` with the greedy driver to the ops of `root` that
/// `select` picks, and to nothing else: what the patterns create stays as
/// built (no folding or constant hoisting), as the CUDA target, which sizes
/// temporaries by the memref.dim they were allocated with, expects.
mlir::LogicalResult
applyPatternsToOps(mlir::Operation *root,
                   llvm::function_ref<bool(mlir::Operation *)> select,
                   mlir::RewritePatternSet &&patterns);

} // namespace pfc

#endif // PFC_TRANSFORMS_LAYERPARTS_H
