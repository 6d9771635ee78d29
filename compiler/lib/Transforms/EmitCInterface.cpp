//===- EmitCInterface.cpp - Plain C signatures for kernels ----------------===//
//
// MLIR passes memrefs as descriptors. A kernel meant to be called from C, from
// a user's program (AOT) or from the runtime (JIT) gets a wrapper that takes
// one pointer per row-major array and builds the descriptors itself; LLVM
// inlines the original into it.
//
//===----------------------------------------------------------------------===//
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace pfc {
#define GEN_PASS_DEF_EMITCINTERFACE
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

constexpr StringLiteral kCInterface = "pfc.c_interface";
constexpr StringLiteral kTokens = "pfc.tokens";

/// The descriptor of a row-major `type` at `pointer`, whose dynamic leading
/// size (if any) is `tokens`.
Value buildDescriptor(ImplicitLocOpBuilder &b, Value pointer, MemRefType type,
                      Value tokens) {
  MLIRContext *context = b.getContext();
  Type i64 = b.getI64Type();
  auto pointerType = LLVM::LLVMPointerType::get(context);
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {pointerType, pointerType, i64};
  if (rank > 0) {
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
  }
  auto constant = [&](int64_t value) -> Value {
    return b.create<LLVM::ConstantOp>(i64, value);
  };
  Value descriptor = b.create<LLVM::UndefOp>(
      LLVM::LLVMStructType::getLiteral(context, fields));
  descriptor = b.create<LLVM::InsertValueOp>(descriptor, pointer, 0);
  descriptor = b.create<LLVM::InsertValueOp>(descriptor, pointer, 1);
  descriptor = b.create<LLVM::InsertValueOp>(descriptor, constant(0), 2);
  int64_t stride = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    Value size = type.isDynamicDim(i)
                     ? b.create<arith::IndexCastOp>(i64, tokens).getResult()
                     : constant(type.getDimSize(i));
    descriptor = b.create<LLVM::InsertValueOp>(descriptor, size,
                                               ArrayRef<int64_t>{3, i});
    descriptor = b.create<LLVM::InsertValueOp>(descriptor, constant(stride),
                                               ArrayRef<int64_t>{4, i});
    if (i > 0)
      stride *= type.getDimSize(i);
  }
  return b.create<UnrealizedConversionCastOp>(type, descriptor).getResult(0);
}

LogicalResult emitWrapper(func::FuncOp kernel) {
  FunctionType type = kernel.getFunctionType();
  if (type.getNumResults() != 0)
    return kernel.emitOpError("with a C interface must not return values");
  std::optional<unsigned> tokensArg;
  SmallVector<Type> wrapperInputs;
  auto pointerType = LLVM::LLVMPointerType::get(kernel.getContext());
  for (auto [i, input] : llvm::enumerate(type.getInputs())) {
    if (kernel.getArgAttr(i, kTokens)) {
      if (!input.isIndex())
        return kernel.emitOpError("marks argument ")
               << i << " of type " << input << " as " << kTokens
               << ", expected an index";
      tokensArg = i;
    }
    auto memref = dyn_cast<MemRefType>(input);
    if (!memref) {
      wrapperInputs.push_back(input);
      continue;
    }
    if (!memref.getLayout().isIdentity() ||
        llvm::any_of(memref.getShape().drop_front(), ShapedType::isDynamic))
      return kernel.emitOpError("argument ")
             << i << " of type " << memref
             << " is not a row-major array with at most its first size dynamic";
    wrapperInputs.push_back(pointerType);
  }
  // Every check comes before the first change to the module.
  if (!tokensArg && llvm::any_of(type.getInputs(), [](Type input) {
        auto memref = dyn_cast<MemRefType>(input);
        return memref && memref.getNumDynamicDims() > 0;
      }))
    return kernel.emitOpError("has a dynamic size but no argument marked ")
           << kTokens;

  std::string name = kernel.getName().str();
  kernel.setName(name + "_impl");
  kernel.setPrivate();
  kernel->removeAttr(kCInterface);
  // Internal linkage lets LLVM inline it into the wrapper and drop it.
  kernel->setAttr(
      "llvm.linkage",
      LLVM::LinkageAttr::get(kernel.getContext(), LLVM::Linkage::Internal));

  OpBuilder moduleBuilder(kernel);
  auto wrapper = moduleBuilder.create<func::FuncOp>(
      kernel.getLoc(), name,
      FunctionType::get(kernel.getContext(), wrapperInputs, {}));
  // The kernel is inlined into the wrapper: LLVM function attributes follow.
  if (Attribute passthrough = kernel->getAttr("passthrough"))
    wrapper->setAttr("passthrough", passthrough);
  auto b = ImplicitLocOpBuilder::atBlockBegin(kernel.getLoc(),
                                              wrapper.addEntryBlock());
  Value tokens = tokensArg ? wrapper.getArgument(*tokensArg) : Value();
  SmallVector<Value> operands;
  for (auto [input, arg] :
       llvm::zip(type.getInputs(), wrapper.getArguments())) {
    auto memref = dyn_cast<MemRefType>(input);
    operands.push_back(memref ? buildDescriptor(b, arg, memref, tokens) : arg);
  }
  b.create<func::CallOp>(kernel, operands);
  b.create<func::ReturnOp>();
  return success();
}

struct EmitCInterfacePass : impl::EmitCInterfaceBase<EmitCInterfacePass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> kernels;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr(kCInterface))
        kernels.push_back(func);
    for (func::FuncOp kernel : kernels)
      if (failed(emitWrapper(kernel)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace pfc
