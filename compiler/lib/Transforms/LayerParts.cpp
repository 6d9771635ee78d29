//===- LayerParts.cpp - Pieces shared by the layer rewrites ---------------===//
#include "LayerParts.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace pfc {

Type LayerTemporaries::elementType(size_t rank) const {
  return rank >= 2 ? data : builder.getF32Type();
}

Value LayerTemporaries::allocate(ArrayRef<int64_t> inner) {
  // As many tokens as the input: static when it is, else its runtime size.
  int64_t tokens = cast<MemRefType>(input.getType()).getDimSize(0);
  SmallVector<int64_t> shape = {tokens};
  shape.append(inner.begin(), inner.end());
  auto type = MemRefType::get(shape, elementType(shape.size()));
  SmallVector<Value> sizes;
  if (ShapedType::isDynamic(tokens))
    sizes.push_back(builder.create<memref::DimOp>(loc, input, 0));
  Value buffer = builder.create<memref::AllocOp>(loc, type, sizes);
  allocated.push_back(buffer);
  return buffer;
}

Value LayerTemporaries::matrix(int64_t cols) { return allocate({cols}); }

Value LayerTemporaries::perToken() { return allocate({}); }

Value LayerTemporaries::buffer(ArrayRef<int64_t> shape) {
  Value buffer = builder.create<memref::AllocOp>(
      loc, MemRefType::get(shape, elementType(shape.size())));
  allocated.push_back(buffer);
  return buffer;
}

Value LayerTemporaries::gamma() {
  switch (kind) {
  case GammaKind::Scalar:
    return gammaParams;
  case GammaKind::Fixed: {
    auto type = MemRefType::get({1}, builder.getF32Type());
    Value buffer = builder.create<memref::AllocaOp>(loc, type);
    Value value = builder.create<arith::ConstantOp>(
        loc, builder.getF32FloatAttr(gammaValue));
    Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
    builder.create<memref::StoreOp>(loc, value, buffer, zero);
    return buffer;
  }
  case GammaKind::Gate: {
    Value buffer = allocate({});
    builder.create<GateOp>(loc, input, gammaParams, buffer);
    return buffer;
  }
  }
  llvm_unreachable("unknown gamma kind");
}

void LayerTemporaries::release() {
  for (Value buffer : allocated)
    builder.create<memref::DeallocOp>(loc, buffer);
  allocated.clear();
}

LogicalResult applyPatternsToOps(Operation *root,
                                 function_ref<bool(Operation *)> select,
                                 RewritePatternSet &&patterns) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if (select(op))
      ops.push_back(op);
  });
  GreedyRewriteConfig config;
  config.strictMode = GreedyRewriteStrictness::ExistingOps;
  return applyOpPatternsAndFold(ops, std::move(patterns), config);
}

} // namespace pfc
