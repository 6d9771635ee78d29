//===- AttentionModule.cpp - An attention spec as pfc IR ------------------===//
#include "pfc/Import/AttentionModule.h"
#include "pfc/Dialect/PfcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;

namespace pfc {

OwningOpRef<ModuleOp> buildAttentionModule(MLIRContext &context,
                                           const AttentionSpec &spec,
                                           bool backward) {
  context.loadDialect<PfcDialect, func::FuncDialect, memref::MemRefDialect,
                      arith::ArithDialect, scf::SCFDialect>();
  Location loc = FileLineColLoc::get(&context, spec.name, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc, spec.name);
  ImplicitLocOpBuilder b(loc, &context);
  Type f32 = b.getF32Type(), data = getElementType(&context, spec.dtype);
  Type index = b.getIndexType();
  const int64_t d = spec.headDim, half = spec.features / 2;
  const int64_t dynamic = ShapedType::kDynamic;
  // Heads follow each other: each is [tokens, d] at head·tokens·d, which
  // the body addresses from the first head's descriptor.
  auto headsType = MemRefType::get({dynamic, d}, data);
  auto statsType = MemRefType::get({dynamic, 3}, f32);
  Type featuresType = half ? MemRefType::get({d, half}, f32)
                           : MemRefType::get({1}, f32); // unused
  auto moduleBuilder = OpBuilder::atBlockEnd(module->getBody());
  auto forward = moduleBuilder.create<func::FuncOp>(
      loc, kernelSymbol(spec) + "_forward",
      b.getFunctionType({headsType, headsType, headsType, featuresType,
                         headsType, statsType, index, index, index, index,
                         index},
                        {}));
  forward->setAttr("pfc.c_interface", b.getUnitAttr());
  forward.setArgAttr(6, "pfc.tokens", b.getUnitAttr());
  b.setInsertionPointToStart(forward.addEntryBlock());
  auto arg = [&](unsigned i) { return forward.getArgument(i); };
  Value tokens = arg(6);
  Value one = b.create<arith::ConstantIndexOp>(1);
  auto loop = b.create<scf::ForOp>(arg(7), arg(8), one);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  Value head = loop.getInductionVar();
  // Head `head` of `matrix`, whose rows have `cols` elements.
  auto headOf = [&](Value matrix, int64_t cols) -> Value {
    Value offset =
        b.create<arith::MulIOp>(b.create<arith::MulIOp>(head, tokens),
                                b.create<arith::ConstantIndexOp>(cols));
    auto type = MemRefType::get(
        {dynamic, cols}, cast<MemRefType>(matrix.getType()).getElementType(),
        StridedLayoutAttr::get(&context, dynamic, {cols, 1}));
    return b.create<memref::ReinterpretCastOp>(
        type, matrix, OpFoldResult(offset),
        ArrayRef<OpFoldResult>{tokens, b.getIndexAttr(cols)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(cols), b.getIndexAttr(1)});
  };
  BlockPatternAttrInterface pattern =
      spec.butterfly ? BlockPatternAttrInterface(
                           getButterflyAttr(&context, *spec.butterfly))
                     : getBlocksAttr(&context, spec.support());
  b.create<AttentionOp>(
      headOf(arg(0), d), headOf(arg(1), d), headOf(arg(2), d),
      half ? arg(3) : Value(), headOf(arg(4), d), headOf(arg(5), 3), arg(9),
      arg(10), pattern, b.getI64IntegerAttr(spec.seqLen),
      b.getI64IntegerAttr(spec.block), b.getF64FloatAttr(spec.tau()),
      spec.causal ? b.getUnitAttr() : UnitAttr());
  b.setInsertionPointAfter(loop);
  b.create<func::ReturnOp>();
  if (!backward)
    return module;

  auto backwardKernel = moduleBuilder.create<func::FuncOp>(
      loc, kernelSymbol(spec) + "_backward",
      b.getFunctionType({headsType, headsType, headsType, featuresType,
                         headsType, statsType, headsType, headsType, headsType,
                         headsType, index, index, index, index, index},
                        {}));
  backwardKernel->setAttr("pfc.c_interface", b.getUnitAttr());
  backwardKernel.setArgAttr(10, "pfc.tokens", b.getUnitAttr());
  b.setInsertionPointToStart(backwardKernel.addEntryBlock());
  auto grad = [&](unsigned i) { return backwardKernel.getArgument(i); };
  tokens = grad(10);
  loop = b.create<scf::ForOp>(grad(11), grad(12),
                              b.create<arith::ConstantIndexOp>(1));
  b.setInsertionPoint(loop.getBody()->getTerminator());
  head = loop.getInductionVar();
  b.create<AttentionGradOp>(
      headOf(grad(0), d), headOf(grad(1), d), headOf(grad(2), d),
      half ? grad(3) : Value(), headOf(grad(4), d), headOf(grad(5), 3),
      headOf(grad(6), d), headOf(grad(7), d), headOf(grad(8), d),
      headOf(grad(9), d), grad(13), grad(14), pattern,
      b.getI64IntegerAttr(spec.seqLen), b.getI64IntegerAttr(spec.block),
      b.getF64FloatAttr(spec.tau()),
      spec.causal ? b.getUnitAttr() : UnitAttr());
  b.setInsertionPointAfter(loop);
  b.create<func::ReturnOp>();
  return module;
}

} // namespace pfc
