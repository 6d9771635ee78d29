//===- LayerModule.cpp - A layer spec as pfc IR ---------------------------===//
#include "pfc/Import/LayerModule.h"
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Import/AttentionModule.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <cctype>

using namespace mlir;

namespace pfc {

/// `pfc_` and `name` with every character outside [A-Za-z0-9_] replaced.
static std::string symbolFor(const std::string &name) {
  std::string symbol = "pfc_" + name;
  for (char &c : symbol)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return symbol;
}

std::string kernelSymbol(const LayerSpec &spec) { return symbolFor(spec.name); }

std::string kernelSymbol(const AttentionSpec &spec) {
  return symbolFor(spec.name);
}

OwningOpRef<ModuleOp> buildLayerModule(MLIRContext &context,
                                       const LayerSpec &spec,
                                       ScheduleAttr schedule, bool backward) {
  context.loadDialect<PfcDialect, func::FuncDialect, memref::MemRefDialect,
                      arith::ArithDialect>();
  Location loc = FileLineColLoc::get(&context, spec.name, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc, spec.name);
  ImplicitLocOpBuilder b(loc, &context);
  Type f32 = b.getF32Type();
  // Token matrices and weights hold the spec's data type; γ, the bias and
  // the parameters' gradients stay f32.
  Type data = getElementType(&context, spec.dtype);
  Type index = b.getIndexType();
  const int64_t dynamic = ShapedType::kDynamic;
  const int64_t in = spec.inFeatures, out = spec.outFeatures;
  const int64_t block = spec.block, rank = spec.rank;
  const int64_t nnz = spec.blockMask().nnzBlocks();

  auto type = [&](ArrayRef<int64_t> shape, Type element) -> Type {
    return MemRefType::get(shape, element);
  };
  auto dataType = [&](ArrayRef<int64_t> shape) { return type(shape, data); };
  // Placeholders for absent parts keep one C signature for every layer.
  Type unused = type({1}, f32);
  Type blocksType = dataType({nnz, block, block});
  Type uType = rank ? dataType({out, rank}) : unused;
  Type packedUType = rank ? dataType({rank, spec.paddedOut()}) : unused;
  Type vType = rank ? dataType({in, rank}) : unused;
  Type gammaType =
      spec.gammaMode == GammaMode::Gate ? type({in + 1}, f32) : unused;
  Type biasType = spec.bias ? type({out}, f32) : unused;
  Type gradBlocksType = type({nnz, block, block}, f32);
  Type gradUType = rank ? type({out, rank}, f32) : unused;
  Type gradVType = rank ? type({in, rank}, f32) : unused;
  std::string symbol = kernelSymbol(spec);
  // A kernel with the C interface, its body at the builder.
  auto kernel = [&](StringRef name, ArrayRef<Type> inputs) {
    OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module->getBody());
    auto func = moduleBuilder.create<func::FuncOp>(
        loc, (symbol + name).str(), b.getFunctionType(inputs, {}));
    func->setAttr("pfc.c_interface", b.getUnitAttr());
    b.setInsertionPointToStart(func.addEntryBlock());
    return func;
  };

  func::FuncOp pack =
      kernel("_pack", {blocksType, uType, blocksType, packedUType});
  // Packing runs once per parameter update, every training step.
  b.create<PackOp>(pack.getArgument(0), rank ? pack.getArgument(1) : Value(),
                   pack.getArgument(2), rank ? pack.getArgument(3) : Value());
  b.create<func::ReturnOp>();

  func::FuncOp forward =
      kernel("_forward", {dataType({dynamic, in}), blocksType, packedUType,
                          vType, gammaType, biasType, dataType({dynamic, out}),
                          index, index, index, index, index});
  forward.setArgAttr(7, "pfc.tokens", b.getUnitAttr());
  auto arg = [&](unsigned i) { return forward.getArgument(i); };
  Value t0 = arg(8), t1 = arg(9);
  Value count = b.create<arith::SubIOp>(t1, t0);
  auto tokenRows = [&](Value matrix, int64_t cols) -> Value {
    return b.create<memref::SubViewOp>(
        matrix, ArrayRef<OpFoldResult>{t0, b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{count, b.getIndexAttr(cols)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  };
  GammaKind gamma = getGammaKind(spec.gammaMode);
  b.create<LayerOp>(
      tokenRows(arg(0), in), arg(1), rank ? arg(2) : Value(),
      rank ? arg(3) : Value(), gamma == GammaKind::Fixed ? Value() : arg(4),
      spec.bias ? arg(5) : Value(), tokenRows(arg(6), out), arg(10), arg(11),
      getButterflyAttr(&context, spec.butterfly),
      GammaKindAttr::get(&context, gamma),
      gamma == GammaKind::Fixed ? b.getF64FloatAttr(spec.gammaInit)
                                : FloatAttr(),
      schedule);
  b.create<func::ReturnOp>();
  if (!backward)
    return module;

  func::FuncOp backwardKernel =
      kernel("_backward",
             {dataType({dynamic, in}), dataType({dynamic, out}), blocksType,
              uType, vType, gammaType, dataType({dynamic, in}), gradBlocksType,
              gradUType, gradVType, gammaType, biasType, index, index, index});
  backwardKernel.setArgAttr(12, "pfc.tokens", b.getUnitAttr());
  auto grad = [&](unsigned i) { return backwardKernel.getArgument(i); };
  bool learned = gamma != GammaKind::Fixed;
  b.create<LayerGradOp>(
      grad(0), grad(1), grad(2), rank ? grad(3) : Value(),
      rank ? grad(4) : Value(), learned ? grad(5) : Value(), grad(6), grad(7),
      rank ? grad(8) : Value(), rank ? grad(9) : Value(),
      learned ? grad(10) : Value(), spec.bias ? grad(11) : Value(), grad(13),
      grad(14), Value(), Value(), getButterflyAttr(&context, spec.butterfly),
      GammaKindAttr::get(&context, gamma),
      gamma == GammaKind::Fixed ? b.getF64FloatAttr(spec.gammaInit)
                                : FloatAttr(),
      // The dX product's shape differs from the forward's: it gets the
      // default schedule for its own.
      ScheduleAttr());
  b.create<func::ReturnOp>();
  return module;
}

} // namespace pfc
