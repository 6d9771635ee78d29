//===- CudaEmitter.cpp - Kernel-level pfc IR as CUDA C++ and launch plans -===//
//
// Walks each function after pfc-fuse-lowrank / pfc-decompose-gradients and
// writes one `__global__` kernel per pfc op (CudaKernelEmitters.cpp) plus the
// function's launch plan.
// The products (pfc.bsmm, pfc.bsmm_t, pfc.project, pfc.sddmm,
// pfc.outer_sum) are two lowerings of one tiled product from the prelude
// (pfc::Tile): over features with token rows (the block-sparse products,
// their blocks from constant tables, and the projection), and over tokens
// (the weight gradients). γ, the low-rank columns, the bias and the dots dγ
// needs are applied in the epilogue, from the accumulators. The other ops
// call the prelude's element-wise kernels with their sizes as constants.
// Memrefs become kernel parameters bound in the plan to the function's
// arguments (a token sub-range advances the pointer) or to temporaries.
//
//===----------------------------------------------------------------------===//
#include "CudaPrelude.h"
#include "FunctionEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

using namespace mlir;

namespace pfc {

std::string checkCudaSchedule(const CudaSchedule &s, int64_t block) {
  std::string why;
  llvm::raw_string_ostream os(why);
  if (block < 16)
    os << "block size " << block << " is below 16, the smallest the CUDA "
       << "target tiles";
  else if (s.warpsM < 1 || s.warpsN < 1 || s.warpsM * s.warpsN > 16)
    os << "warps " << s.warpsM << "x" << s.warpsN << " must be 1 to 16";
  else if (s.tileTokens < 16 || s.tileTokens % (16 * s.warpsM) != 0)
    os << "tile of " << s.tileTokens << " tokens is not a multiple of 16 × "
       << s.warpsM << " warps";
  else if (s.tileCols < 16 || s.tileCols % (8 * s.warpsN) != 0 ||
           (s.tileCols & (s.tileCols - 1)) != 0)
    os << "tile of " << s.tileCols << " columns is not a power of two and a "
       << "multiple of 8 × " << s.warpsN << " warps";
  else if (s.stages != 1 && s.stages != 2)
    os << "stages " << s.stages << " is not 1 or 2";
  return why;
}

namespace cuda {

FailureOr<int64_t> FunctionEmitter::indexArg(Operation *op, Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    if (arg.getOwner()->getParentOp() == func)
      return arg.getArgNumber();
  return op->emitOpError("the CUDA target needs this index to be an argument "
                         "of the function");
}

FailureOr<int64_t> FunctionEmitter::tokenCount(Value value) {
  PlanTokens tokens;
  auto type = memrefType(value);
  if (!type.isDynamicDim(0)) {
    tokens.value = type.getDimSize(0);
  } else if (auto view = value.getDefiningOp<memref::SubViewOp>()) {
    Value count = dyn_cast<Value>(view.getMixedSizes()[0]);
    auto sub = count ? count.getDefiningOp<arith::SubIOp>() : nullptr;
    FailureOr<int64_t> end = failure(), begin = failure();
    if (sub) {
      end = indexArg(view, sub.getLhs());
      begin = indexArg(view, sub.getRhs());
    }
    if (failed(end) || failed(begin))
      return view.emitOpError("the CUDA target needs token ranges of the form "
                              "end - begin of two arguments");
    tokens.kind = PlanTokens::Kind::ArgDifference;
    tokens.end = *end;
    tokens.begin = *begin;
  } else if (auto alloc = value.getDefiningOp<memref::AllocOp>()) {
    auto dim = alloc.getDynamicSizes()[0].getDefiningOp<memref::DimOp>();
    if (!dim)
      return alloc.emitOpError("the CUDA target sizes temporaries by the "
                               "tokens of another buffer");
    return tokenCount(dim.getSource());
  } else if (isa<BlockArgument>(value)) {
    tokens.kind = PlanTokens::Kind::Caller;
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (func.getArgAttr(i, "pfc.tokens")) {
        tokens.kind = PlanTokens::Kind::Arg;
        tokens.value = i;
      }
  } else {
    return emitError(value.getLoc(), "the CUDA target cannot tell the tokens "
                                     "of this buffer");
  }
  return tokenCountOf(tokens);
}

int64_t FunctionEmitter::tokenCountOf(const PlanTokens &tokens) {
  std::vector<PlanTokens> &counts = entry->tokenCounts;
  for (size_t i = 0; i < counts.size(); ++i)
    if (counts[i].kind == tokens.kind && counts[i].value == tokens.value &&
        counts[i].end == tokens.end && counts[i].begin == tokens.begin)
      return static_cast<int64_t>(i);
  counts.push_back(tokens);
  return static_cast<int64_t>(counts.size() - 1);
}

FailureOr<Kernel> FunctionEmitter::kernel(llvm::StringRef what, Value tokens) {
  // Kernels that do not depend on tokens get T = 0, a static count.
  FailureOr<int64_t> count =
      tokens ? tokenCount(tokens) : FailureOr<int64_t>(tokenCountOf({}));
  if (failed(count))
    return failure();
  return Kernel(func.getSymName().str() + "_" + std::to_string(kernels++) +
                    "_" + what.str(),
                *count);
}

LogicalResult FunctionEmitter::bind(Operation *op) {
  if (auto view = dyn_cast<memref::SubViewOp>(op)) {
    // A range of token rows: the pointer advances by whole rows.
    auto offsets = view.getMixedOffsets();
    Buffer buffer = buffers.lookup(view.getSource());
    int64_t rank = view.getSourceType().getRank();
    bool param = buffer.param.kind == PlanParam::Kind::Arg ||
                 buffer.param.kind == PlanParam::Kind::Temp;
    if (!param || buffer.param.rowOffset >= 0 || rank > 2 ||
        (rank == 2 && (!isConstantIntValue(offsets[1], 0) ||
                       view.getType().getDimSize(1) != cols(view.getSource()))))
      return view.emitOpError("the CUDA target takes only whole token rows "
                              "of a buffer");
    Value offset = dyn_cast<Value>(offsets[0]);
    if (!offset)
      return view.emitOpError("the CUDA target needs a token offset argument");
    FailureOr<int64_t> arg = indexArg(op, offset);
    if (failed(arg))
      return failure();
    buffer.param.rowOffset = *arg;
    buffer.param.rowElems = rank == 2 ? cols(view.getSource()) : 1;
    buffers[view.getResult()] = buffer;
    return success();
  }
  if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
    MemRefType type = alloc.getType();
    PlanTemp temp;
    temp.dtype = dtypeOf(alloc.getResult());
    int64_t inner = 1;
    for (int64_t d = 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    if (type.isDynamicDim(0)) {
      FailureOr<int64_t> tokens = tokenCount(alloc.getResult());
      if (failed(tokens))
        return failure();
      temp.elements = perTokens(*tokens, inner, 1);
    } else {
      temp.elements = fixed(inner * type.getDimSize(0));
    }
    Buffer buffer;
    buffer.param = {PlanParam::Kind::Temp,
                    static_cast<int64_t>(entry->temps.size())};
    buffer.dtype = temp.dtype;
    entry->temps.push_back(temp);
    buffers[alloc.getResult()] = buffer;
    return success();
  }
  if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
    buffers[alloca.getResult()] = Buffer();
    return success();
  }
  if (auto store = dyn_cast<memref::StoreOp>(op)) {
    // A fixed γ: a constant stored into a one-element alloca.
    auto constant = store.getValue().getDefiningOp<arith::ConstantOp>();
    auto value = constant ? dyn_cast<FloatAttr>(constant.getValue()) : nullptr;
    if (!value || !store.getMemRef().getDefiningOp<memref::AllocaOp>())
      return store.emitOpError("the CUDA target bakes in only constants "
                               "stored into a local buffer");
    buffers[store.getMemRef()].constant = value.getValueAsDouble();
    return success();
  }
  if (isa<arith::ConstantOp, arith::SubIOp, memref::DimOp, memref::DeallocOp,
          func::ReturnOp>(op))
    return success();
  return op->emitOpError("cannot be translated to CUDA");
}

std::string FunctionEmitter::gamma(Kernel &k, llvm::StringRef param,
                                   Value scale, llvm::StringRef token) {
  if (std::optional<double> constant = buffers.lookup(scale).constant) {
    std::string text;
    llvm::raw_string_ostream(text) << llvm::format("%.9gf", *constant);
    return text;
  }
  pointer(k, param, scale, /*readOnly=*/true);
  return (param + "[" + (isPerToken(scale) ? token : "0") + "]").str();
}

void FunctionEmitter::table(llvm::StringRef name,
                            llvm::ArrayRef<int64_t> values) {
  os << "__constant__ int " << name << "[" << std::max<size_t>(1, values.size())
     << "] = {";
  for (size_t i = 0; i < values.size(); ++i)
    os << (i ? "," : "") << (i % 16 ? " " : "\n    ") << values[i];
  os << "};\n";
}

std::string FunctionEmitter::tileType(int64_t bm, int64_t bn, bool overTokens,
                                      int64_t &threads) const {
  const CudaSchedule &s = options.schedule;
  int64_t wm = std::max<int64_t>(1, std::min(s.warpsM, bm / 16));
  int64_t wn = std::max<int64_t>(1, std::min(s.warpsN, bn / 8));
  threads = wm * wn * 32;
  int math = dtype != DType::F32 ? 2 : s.tf32 ? 1 : 0;
  std::string text;
  llvm::raw_string_ostream(text)
      << "pfc::Tile<" << elementName(dtype) << ", " << bm << ", " << bn << ", "
      << wm << ", " << wn << ", " << s.stages << ", " << math << ", "
      << (overTokens ? "true" : "false") << ">";
  return text;
}

LogicalResult FunctionEmitter::emit(PlanEntry &result) {
  entry = &result;
  entry->name = func.getSymName().str();
  for (BlockArgument arg : func.getArguments()) {
    PlanArg info;
    info.isBuffer = isa<MemRefType>(arg.getType());
    if (info.isBuffer) {
      if (!getDType(memrefType(arg).getElementType()))
        return func.emitOpError("argument ")
               << arg.getArgNumber() << " has type " << arg.getType()
               << "; the CUDA target takes f32, bf16 and f16 buffers";
      info.dtype = dtypeOf(arg);
      Buffer buffer;
      buffer.param = {PlanParam::Kind::Arg, arg.getArgNumber()};
      buffer.dtype = info.dtype;
      buffers[arg] = buffer;
    }
    entry->args.push_back(info);
  }
  os << "// ---- " << entry->name << "\n\n";
  for (Operation &op : func.getBody().getOps()) {
    if (!isa<PfcDialect>(op.getDialect())) {
      if (failed(bind(&op)))
        return failure();
      continue;
    }
    if (isa<LayerOp, LayerGradOp>(op))
      return op.emitOpError("must be fused or decomposed before translation "
                            "to CUDA; run pfc-fuse-lowrank and "
                            "pfc-decompose-gradients");
    dtype = dataTypeOf(&op);
    if (auto sparse = dyn_cast<BlockSparseOpInterface>(op)) {
      if (!sparse.getPattern().isMaterialized())
        return op.emitOpError("needs an explicit block list; run "
                              "pfc-materialize-pattern first");
      std::string why =
          checkCudaSchedule(options.schedule, sparse.getWeightShape().block);
      if (!why.empty())
        return op.emitOpError("cannot be translated to CUDA: ") << why;
    }
    LogicalResult emitted =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](BlockSparseMatmulOp op) {
              return emitSparse(op, "bsmm", blockSparseProduct(op));
            })
            .Case([&](BlockSparseMatmulTransposeOp op) {
              return emitSparse(op, "bsmm_t", blockSparseProduct(op));
            })
            .Case([&](ProjectOp op) { return emitProject(op); })
            .Case([&](SampledMatmulOp op) { return emitSampled(op); })
            .Case([&](OuterSumOp op) { return emitOuterSum(op); })
            .Default([&](Operation *op) { return emitElementwise(op); });
    if (failed(emitted))
      return failure();
  }
  return success();
}
} // namespace cuda

FailureOr<CudaModule> translateToCuda(ModuleOp module,
                                      const CudaOptions &options) {
  CudaModule result;
  llvm::raw_string_ostream os(result.source);
  // The data type the header names: that of the first op with data.
  DType dtype = DType::F32;
  module.walk([&](Operation *op) {
    if (!isa<PfcDialect>(op->getDialect()))
      return WalkResult::advance();
    dtype = cuda::dataTypeOf(op);
    return WalkResult::interrupt();
  });
  os << "// Generated by pfc from "
     << (module.getSymName() ? *module.getSymName() : "a module") << ": "
     << toString(dtype) << " data, f32 accumulation.\n"
     << cudaPrelude() << "\n";
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    PlanEntry entry;
    if (failed(cuda::FunctionEmitter(func, options, os).emit(entry)))
      return failure();
    result.plan.entries.push_back(std::move(entry));
  }
  return result;
}

} // namespace pfc
