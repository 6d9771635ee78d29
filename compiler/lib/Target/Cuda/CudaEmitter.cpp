//===- CudaEmitter.cpp - Kernel-level pfc ops as CUDA C++ kernels ---------===//
//
// Walks each function after pfc-fuse-lowrank / pfc-decompose-gradients and
// writes one `__global__` kernel per pfc op plus the function's launch plan.
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
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Support/Math.h"
#include "pfc/Target/CudaTarget.h"
#include "pfc/Transforms/BlockSparseProduct.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

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

namespace {

std::string elementName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "float";
  case DType::BF16:
    return "pfc_bf16";
  case DType::F16:
    return "pfc_f16";
  }
  llvm_unreachable("unknown dtype");
}

PlanExtent fixed(int64_t value) { return {0, 0, value, 1}; }
/// ceil(T·perToken / divisor) for the token count `tokens`.
PlanExtent perTokens(int64_t tokens, int64_t perToken, int64_t divisor) {
  return {tokens, perToken, 0, divisor};
}

MemRefType memrefType(Value value) { return cast<MemRefType>(value.getType()); }
int64_t dimSize(Value value, unsigned dim) {
  return memrefType(value).getDimSize(dim);
}
/// Columns of a matrix (features).
int64_t cols(Value matrix) { return dimSize(matrix, 1); }

/// The data type of a pfc op: the element type of its matrices and weights,
/// which its verifier checks agree (the parameters' gradients and the
/// vectors are f32 whatever it is).
DType dataTypeOf(Operation *op) {
  for (Value operand : op->getOperands())
    if (auto type = dyn_cast<MemRefType>(operand.getType()))
      if (type.getRank() >= 2)
        return *getDType(type.getElementType());
  return DType::F32;
}

/// A memref as the kernels see it.
struct Buffer {
  PlanParam param;
  DType dtype = DType::F32;
  /// A one-element buffer holding a constant (fixed γ): baked in.
  std::optional<double> constant;
};

/// One `__global__` function being written: its parameters, in order, and
/// what the plan binds them to.
class Kernel {
public:
  /// T, its first parameter, is the token count number `tokens`.
  Kernel(std::string name, int64_t tokens) : name(std::move(name)) {
    params.push_back({PlanParam::Kind::Tokens, tokens});
    decls.push_back("long long T");
  }

  /// A pointer parameter for `buffer`.
  void pointer(llvm::StringRef param, const Buffer &buffer, bool readOnly) {
    params.push_back(buffer.param);
    decls.push_back((readOnly ? "const " : "") + elementName(buffer.dtype) +
                    " *__restrict__ " + param.str());
  }
  /// An index parameter bound to the function's argument `arg`.
  void index(llvm::StringRef param, int64_t arg) {
    params.push_back({PlanParam::Kind::Index, arg});
    decls.push_back("long long " + param.str());
  }
  /// The token count T stands for.
  int64_t tokens() const { return params.front().index; }
  std::string signature(int64_t threads) const {
    std::string text = "extern \"C\" __global__ void __launch_bounds__(" +
                       std::to_string(threads) + ")\n" + name + "(";
    for (size_t i = 0; i < decls.size(); ++i)
      text += (i ? ",\n    " : "") + decls[i];
    return text + ") {\n";
  }

  std::string name;
  std::vector<PlanParam> params;
  std::vector<std::string> decls;
};

class FunctionEmitter {
public:
  FunctionEmitter(func::FuncOp func, const CudaOptions &options,
                  llvm::raw_ostream &os)
      : func(func), options(options), os(os) {}

  LogicalResult emit(PlanEntry &entry);

private:
  LogicalResult bind(Operation *op);
  /// The number of the token count of `value`'s rows (its first dimension).
  FailureOr<int64_t> tokenCount(Value value);
  /// A kernel whose T is the token count of `tokens` (none: 0).
  FailureOr<Kernel> kernel(llvm::StringRef what, Value tokens);
  int64_t tokenCountOf(const PlanTokens &tokens);
  /// The element type of a memref, which the verifiers and the
  /// translation's entry check are one pfc computes in.
  static DType dtypeOf(Value value) {
    return *getDType(memrefType(value).getElementType());
  }
  /// The index argument `value` is, or an error.
  FailureOr<int64_t> indexArg(Operation *op, Value value);

  void pointer(Kernel &k, llvm::StringRef param, Value value, bool readOnly) {
    k.pointer(param, buffers.lookup(value), readOnly);
  }
  /// γ (or 1 − γ) for the token `token` as an expression; adds the
  /// parameter `param` unless γ is a constant.
  std::string gamma(Kernel &k, llvm::StringRef param, Value scale,
                    llvm::StringRef token);
  bool isPerToken(Value scale) const {
    return !buffers.lookup(scale).constant && dimSize(scale, 0) != 1;
  }
  void launch(Kernel &k, PlanExtent x, PlanExtent y, int64_t threads) {
    PlanStep step;
    step.kernel = k.name;
    step.grid[0] = x;
    step.grid[1] = y;
    step.grid[2] = fixed(1);
    step.threads = threads;
    step.params = k.params;
    entry->steps.push_back(std::move(step));
  }
  void table(llvm::StringRef name, llvm::ArrayRef<int64_t> values);
  /// `pfc::Tile<...>` for a bm × bn tile, and its warps.
  std::string tileType(int64_t bm, int64_t bn, bool overTokens,
                       int64_t &threads) const;

  LogicalResult emitSparse(Operation *op, llvm::StringRef what,
                           const BlockSparseProduct &p);
  LogicalResult emitProject(ProjectOp op);
  LogicalResult emitSampled(SampledMatmulOp op);
  LogicalResult emitOuterSum(OuterSumOp op);
  LogicalResult emitElementwise(Operation *op);

  func::FuncOp func;
  const CudaOptions &options;
  llvm::raw_ostream &os;
  /// The data type of the op being emitted (its token matrices and
  /// weights): the element type of the products' tiles.
  DType dtype = DType::F32;
  PlanEntry *entry = nullptr;
  llvm::DenseMap<Value, Buffer> buffers;
  int kernels = 0;
};

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

LogicalResult FunctionEmitter::emitSparse(Operation *op, llvm::StringRef what,
                                          const BlockSparseProduct &p) {
  const int64_t b = p.block, bm = options.schedule.tileTokens;
  const int64_t bn = std::min(options.schedule.tileCols, b);
  FailureOr<Kernel> made = kernel(what, p.input);
  if (failed(made))
    return failure();
  Kernel &k = *made;
  std::string prefix = k.name;
  table(prefix + "_row_start", p.mask.rowStart);
  table(prefix + "_col_index", p.mask.colIndex);
  if (!p.blockIndex.empty())
    table(prefix + "_block_index", p.blockIndex);
  if (p.rowBegin) {
    FailureOr<int64_t> begin = indexArg(op, p.rowBegin);
    FailureOr<int64_t> end = indexArg(op, p.rowEnd);
    if (failed(begin) || failed(end))
      return failure();
    k.index("rowBegin", *begin);
    k.index("rowEnd", *end);
  }
  pointer(k, "input", p.input, true);
  pointer(k, "blocks", p.blocks, true);
  std::string body;
  llvm::raw_string_ostream s(body);
  int64_t threads;
  s << "  using Tile = " << tileType(bm, bn, false, threads) << ";\n"
    << "  using E = " << elementName(dtype) << ";\n"
    << "  constexpr long long B = " << b << ", IN = " << p.in
    << ", OUT = " << p.out << ", BN = " << bn << ", BM = " << bm << ";\n"
    << "  __shared__ Tile::Smem smem;\n"
    << "  const int row = blockIdx.y / (B / BN);\n"
    << "  const long long n0 = blockIdx.y % (B / BN) * BN;\n";
  if (p.rowBegin)
    s << "  if (row < rowBegin || row >= rowEnd)\n    return;\n";
  s << "  const long long t0 = (long long)blockIdx.x * BM, tokens = T - t0;\n"
    << "  const long long outBase = row * B + n0;\n"
    << "  const int first = " << prefix << "_row_start[row];\n"
    << "  const int count = " << prefix << "_row_start[row + 1] - first;\n"
    << "  Tile tile;\n  tile.zero();\n"
    << "  // Every nonzero block of the block-row, in k-tiles of 16.\n"
    << "  tile.accumulate(smem, count * (B / 16), [&](int i, pfc::Src<E> &a, "
       "pfc::Src<E> &b) {\n"
    << "    const int n = first + i / (B / 16);\n"
    << "    const long long k0 = i % (B / 16) * 16;\n"
    << "    const long long col = " << prefix << "_col_index[n];\n"
    << "    const long long k = pfc::minLL(B, IN - col * B) - k0;\n"
    << "    a = {input + t0 * IN + col * B + k0, IN, tokens, k, nullptr};\n"
    << "    b = {blocks + (long long)"
    << (p.blockIndex.empty() ? "n" : prefix + "_block_index[n]")
    << " * B * B + k0 * B + n0, B, k, BN, nullptr};\n"
    << "  });\n";
  if (p.dots) {
    pointer(k, "dotInput", p.dotInput, true);
    pointer(k, "dots", p.dots, false);
    s << "  // dγ's part through the weight, before γ: Σ (input·Wᵀ)⊙dotInput."
         "\n  tile.rowDots([&](int m, int n) {\n"
      << "    return m < tokens && outBase + n < OUT\n"
      << "        ? pfc::toFloat(dotInput[(t0 + m) * OUT + outBase + n]) : 0.f;"
         "\n  }, dots + t0, tokens);\n";
  }
  if (p.scale) {
    std::string g = gamma(k, "scale", p.scale, "t0 + m");
    s << "  tile.forEach([&](int m, int n, float &v) {\n"
      << "    if (m < tokens)\n      v *= " << g << ";\n  });\n";
  }
  if (p.extra) {
    pointer(k, "extra", p.extra, true);
    pointer(k, "extraWeights", p.extraWeights, true);
    int64_t rank = cols(p.extra), width = cols(p.extraWeights);
    s << "  // The low-rank term: " << rank << " extra columns.\n"
      << "  constexpr long long R = " << rank << ", LDW = " << width << ";\n"
      << "  tile.accumulate(smem, (R + 15) / 16, [&](int i, pfc::Src<E> &a, "
         "pfc::Src<E> &b) {\n"
      << "    const long long k0 = i * 16;\n"
      << "    a = {extra + t0 * R + k0, R, tokens, R - k0, nullptr};\n"
      << "    b = {extraWeights + k0 * LDW + outBase, LDW, R - k0, "
         "LDW - outBase, nullptr};\n"
      << "  });\n";
  }
  if (p.bias) {
    pointer(k, "bias", p.bias, true);
    s << "  tile.forEach([&](int m, int n, float &v) {\n"
      << "    if (outBase + n < OUT)\n      v += bias[outBase + n];\n  });\n";
  }
  pointer(k, "output", p.output, false);
  s << "  tile.store(output + t0 * OUT + outBase, OUT, tokens, OUT - outBase);"
       "\n}\n\n";
  os << k.signature(threads) << body;
  if (p.dots) {
    PlanStep zero;
    zero.kind = PlanStep::Kind::Zero;
    zero.params = {buffers.lookup(p.dots).param};
    FailureOr<int64_t> tokens = tokenCount(p.dots);
    if (failed(tokens))
      return failure();
    zero.elements = perTokens(*tokens, 1, 1);
    entry->steps.push_back(zero);
  }
  launch(k, perTokens(k.tokens(), 1, bm), fixed(p.mask.blockRows * (b / bn)),
         threads);
  return success();
}

LogicalResult FunctionEmitter::emitProject(ProjectOp op) {
  const int64_t rank = cols(op.getOutput()), in = cols(op.getInput());
  const int64_t bm = options.schedule.tileTokens;
  const int64_t bn = std::min(
      options.schedule.tileCols,
      roundUp(rank, 8 * std::max<int64_t>(1, options.schedule.warpsN)));
  FailureOr<Kernel> made = kernel("project", op.getInput());
  if (failed(made))
    return failure();
  Kernel &k = *made;
  pointer(k, "input", op.getInput(), true);
  pointer(k, "weights", op.getV(), true);
  std::string body;
  llvm::raw_string_ostream s(body);
  int64_t threads;
  s << "  using Tile = " << tileType(bm, bn, false, threads) << ";\n"
    << "  using E = " << elementName(dtype) << ";\n"
    << "  constexpr long long IN = " << in << ", R = " << rank
    << ", BM = " << bm << ", BN = " << bn << ";\n"
    << "  __shared__ Tile::Smem smem;\n"
    << "  const long long t0 = (long long)blockIdx.x * BM, tokens = T - t0;\n"
    << "  const long long n0 = (long long)blockIdx.y * BN;\n"
    << "  Tile tile;\n  tile.zero();\n"
    << "  tile.accumulate(smem, (IN + 15) / 16, [&](int i, pfc::Src<E> &a, "
       "pfc::Src<E> &b) {\n"
    << "    const long long k0 = i * 16;\n"
    << "    a = {input + t0 * IN + k0, IN, tokens, IN - k0, nullptr};\n"
    << "    b = {weights + k0 * R + n0, R, IN - k0, R - n0, nullptr};\n"
    << "  });\n";
  if (Value g = op.getGamma()) {
    std::string value = gamma(k, "gamma", g, "t0 + m");
    s << "  tile.forEach([&](int m, int n, float &v) {\n"
      << "    if (m < tokens)\n      v *= 1.f - " << value << ";\n  });\n";
  }
  pointer(k, "output", op.getOutput(), false);
  s << "  tile.store(output + t0 * R + n0, R, tokens, R - n0);\n}\n\n";
  os << k.signature(threads) << body;
  launch(k, perTokens(k.tokens(), 1, bm), fixed(ceilDiv(rank, bn)), threads);
  return success();
}

LogicalResult FunctionEmitter::emitSampled(SampledMatmulOp op) {
  auto pattern = dyn_cast<BlocksAttr>(op.getPattern());
  WeightShape shape = op.getWeightShape();
  const int64_t b = shape.block;
  const int64_t bm = std::min(options.schedule.tileCols, b), bn = bm;
  BlockMask mask = getBlockMask(pattern, b);
  std::vector<int64_t> blockRow;
  for (int64_t r = 0; r < mask.blockRows; ++r)
    for (int64_t n = mask.rowStart[r]; n < mask.rowStart[r + 1]; ++n)
      blockRow.push_back(r);
  FailureOr<Kernel> made = kernel("sddmm", op.getGradOutput());
  if (failed(made))
    return failure();
  Kernel &k = *made;
  table(k.name + "_block_row", blockRow);
  table(k.name + "_col_index", mask.colIndex);
  if (op.getBlockBegin()) {
    FailureOr<int64_t> begin = indexArg(op, op.getBlockBegin());
    FailureOr<int64_t> end = indexArg(op, op.getBlockEnd());
    if (failed(begin) || failed(end))
      return failure();
    k.index("blockBegin", *begin);
    k.index("blockEnd", *end);
  }
  pointer(k, "gradOutput", op.getGradOutput(), true);
  pointer(k, "input", op.getInput(), true);
  Value scale = op.getScale();
  bool perToken = scale && isPerToken(scale);
  // A per-token γ scales dY's rows as they are loaded, one γ for all the sum.
  std::string g;
  if (perToken)
    pointer(k, "scale", scale, true);
  else if (scale)
    g = gamma(k, "scale", scale, "0");
  pointer(k, "output", op.getOutput(), false);
  if (op.getDot()) {
    pointer(k, "dotBlocks", op.getDotBlocks(), true);
    pointer(k, "dot", op.getDot(), false);
  }
  int64_t threads;
  std::string tile = tileType(bm, bn, true, threads);
  os << k.signature(threads) << "  using Tile = " << tile << ";\n"
     << "  using E = " << elementName(dtype) << ";\n"
     << "  constexpr long long B = " << b << ", IN = " << shape.in
     << ", OUT = " << shape.out << ", BM = " << bm << ", BN = " << bn << ";\n"
     << "  __shared__ Tile::Smem smem;\n"
     << "  const int n = blockIdx.x / ((B / BM) * (B / BN));\n"
     << (op.getBlockBegin()
             ? "  if (n < blockBegin || n >= blockEnd)\n    return;\n"
             : "")
     << "  const int part = blockIdx.x % ((B / BM) * (B / BN));\n"
     << "  const long long m0 = part / (B / BN) * BM, n0 = part % (B / BN) * "
        "BN;\n"
     << "  const long long rowBase = " << k.name
     << "_block_row[n] * B + m0, colBase = " << k.name
     << "_col_index[n] * B + n0;\n"
     << "  Tile tile;\n  tile.zero();\n"
     << "  // Σ over tokens of gradOutput[t, rows]ᵀ·input[t, cols].\n"
     << "  tile.accumulate(smem, (int)((T + 15) / 16), [&](int i, pfc::Src<E> "
        "&a, pfc::Src<E> &b) {\n"
     << "    const long long k0 = (long long)i * 16;\n"
     << "    a = {gradOutput + k0 * OUT + rowBase, OUT, T - k0, OUT - rowBase, "
     << (perToken ? "scale + k0" : "nullptr") << "};\n"
     << "    b = {input + k0 * IN + colBase, IN, T - k0, IN - colBase, "
        "nullptr};\n"
     << "  });\n";
  if (op.getDot()) {
    // dγ's part through B, before γ: Σ B ⊙ (dYᵀ·x) over the block.
    os << "  float dotPart = 0.f;\n"
       << "  tile.forEach([&](int m, int c, float &v) {\n"
       << "    dotPart += v * pfc::toFloat(dotBlocks[(long long)n * B * B + "
          "(m0 + m) * B + n0 + c]);\n  });\n"
       << "  atomicAdd(dot, dotPart);\n";
  }
  if (!g.empty())
    os << "  tile.forEach([&](int m, int n, float &v) { v *= " << g
       << "; });\n";
  os << "  tile.store(output + (long long)n * B * B + m0 * B + n0, B, BM, BN);"
        "\n}\n\n";
  if (op.getDot()) {
    PlanStep zero;
    zero.kind = PlanStep::Kind::Zero;
    zero.params = {buffers.lookup(op.getDot()).param};
    zero.elements = fixed(1);
    entry->steps.push_back(zero);
  }
  launch(k, fixed(mask.nnzBlocks() * (b / bm) * (b / bn)), fixed(1), threads);
  return success();
}

LogicalResult FunctionEmitter::emitOuterSum(OuterSumOp op) {
  const int64_t rows = cols(op.getLhs()), width = cols(op.getRhs());
  const int64_t bm = options.schedule.tileCols;
  const int64_t bn = std::min(options.schedule.tileCols, roundUp(width, 16));
  FailureOr<Kernel> made = kernel("outer_sum", op.getLhs());
  if (failed(made))
    return failure();
  Kernel &k = *made;
  pointer(k, "lhs", op.getLhs(), true);
  pointer(k, "rhs", op.getRhs(), true);
  pointer(k, "output", op.getOutput(), false);
  int64_t threads;
  std::string tile = tileType(bm, bn, true, threads);
  os << k.signature(threads) << "  using Tile = " << tile << ";\n"
     << "  using E = " << elementName(dtype) << ";\n"
     << "  constexpr long long I = " << rows << ", J = " << width
     << ", BM = " << bm << ", BN = " << bn << ";\n"
     << "  __shared__ Tile::Smem smem;\n"
     << "  const long long m0 = (long long)blockIdx.y * BM, n0 = "
        "(long long)blockIdx.x * BN;\n"
     << "  Tile tile;\n  tile.zero();\n"
     << "  // Σ over tokens of lhs[t, i]·rhs[t, j].\n"
     << "  tile.accumulate(smem, (int)((T + 15) / 16), [&](int i, pfc::Src<E> "
        "&a, pfc::Src<E> &b) {\n"
     << "    const long long k0 = (long long)i * 16;\n"
     << "    a = {lhs + k0 * I + m0, I, T - k0, I - m0, nullptr};\n"
     << "    b = {rhs + k0 * J + n0, J, T - k0, J - n0, nullptr};\n"
     << "  });\n"
     << "  tile.store(output + m0 * J + n0, J, I - m0, J - n0);\n}\n\n";
  launch(k, fixed(ceilDiv(width, bn)), fixed(ceilDiv(rows, bm)), threads);
  return success();
}

LogicalResult FunctionEmitter::emitElementwise(Operation *op) {
  // The buffer whose rows are the op's tokens (none for the weights' ops).
  Value rows =
      llvm::TypeSwitch<Operation *, Value>(op)
          .Case([](GateOp op) { return op.getInput(); })
          .Case([](RowDotOp op) { return op.getLhs(); })
          .Case([](ScaleRowsOp op) { return op.getMatrix(); })
          .Case([](SumTokensOp op) { return op.getInput(); })
          .Case([](GammaGradOp op) {
            // A scalar γ's sparse dots may come summed already.
            return op.getGamma() != GammaKind::Gate && op.getLowRankDots()
                       ? op.getLowRankDots()
                       : op.getSparseDots();
          })
          .Default([](Operation *) { return Value(); });
  FailureOr<Kernel> made = kernel(op->getName().stripDialect(), rows);
  if (failed(made))
    return failure();
  Kernel &k = *made;
  std::string call;
  llvm::raw_string_ostream s(call);
  std::string t = elementName(dtype);
  int64_t threads = 256;
  PlanExtent grid = fixed(1);
  LogicalResult result =
      llvm::TypeSwitch<Operation *, LogicalResult>(op)
          .Case([&](PackOp op) {
            auto type = memrefType(op.getBlocks());
            int64_t nnz = type.getDimSize(0), b = type.getDimSize(1);
            int64_t rank = op.getU() ? cols(op.getU()) : 0;
            int64_t padded = op.getU() ? cols(op.getPackedU()) : 0;
            int64_t out = op.getU() ? dimSize(op.getU(), 0) : 0;
            pointer(k, "blocks", op.getBlocks(), true);
            if (op.getU())
              pointer(k, "u", op.getU(), true);
            pointer(k, "packed", op.getPackedBlocks(), false);
            if (op.getU())
              pointer(k, "packedU", op.getPackedU(), false);
            s << "pfc::pack<" << nnz << ", " << b << ", " << out << ", " << rank
              << ", " << padded << ">(blocks, "
              << (op.getU() ? "u" : "(const " + t + " *)nullptr")
              << ", packed, "
              << (op.getU() ? "packedU" : "(" + t + " *)nullptr") << ")";
            grid = fixed(ceilDiv(nnz * b * b + rank * padded, threads));
            return success();
          })
          .Case([&](GateOp op) {
            pointer(k, "x", op.getInput(), true);
            pointer(k, "params", op.getParams(), true);
            pointer(k, "gamma", op.getOutput(), false);
            s << "pfc::gate<" << cols(op.getInput())
              << ">(T, x, params, gamma)";
            threads = 128;
            grid = perTokens(k.tokens(), 1, threads / 32);
            return success();
          })
          .Case([&](RowDotOp op) {
            pointer(k, "lhs", op.getLhs(), true);
            pointer(k, "rhs", op.getRhs(), true);
            pointer(k, "out", op.getOutput(), false);
            s << "pfc::rowDot<" << cols(op.getLhs()) << ">(T, lhs, rhs, out)";
            threads = 128;
            grid = perTokens(k.tokens(), 1, threads / 32);
            return success();
          })
          .Case([&](ScaleRowsOp op) {
            pointer(k, "matrix", op.getMatrix(), false);
            std::string g = gamma(k, "gamma", op.getGamma(), "t");
            s << "pfc::scaleRows<" << cols(op.getMatrix())
              << ">(T, matrix, [&](long long t) { return " << g << "; })";
            grid = perTokens(k.tokens(), cols(op.getMatrix()), threads);
            return success();
          })
          .Case([&](TransposeOp op) {
            int64_t rows = dimSize(op.getInput(), 0);
            int64_t width = cols(op.getInput()), padded = cols(op.getOutput());
            pointer(k, "in", op.getInput(), true);
            pointer(k, "out", op.getOutput(), false);
            s << "pfc::transposePadded<" << rows << ", " << width << ", "
              << padded << ">(in, out)";
            grid = fixed(ceilDiv(width * padded, threads));
            return success();
          })
          .Case([&](SumTokensOp op) {
            int64_t width = cols(op.getInput());
            pointer(k, "in", op.getInput(), true);
            pointer(k, "out", op.getOutput(), false);
            s << "pfc::sumTokens<" << width << ">(T, in, out)";
            threads = 128;
            grid = fixed(ceilDiv(width, threads));
            return success();
          })
          .Case([&](GammaGradOp op) {
            pointer(k, "sparseDots", op.getSparseDots(), true);
            if (op.getLowRankDots())
              pointer(k, "lowRankDots", op.getLowRankDots(), true);
            std::string low =
                op.getLowRankDots() ? "lowRankDots" : "(const float *)nullptr";
            if (op.getGamma() != GammaKind::Gate) {
              pointer(k, "out", op.getOutput(), false);
              auto sparse = memrefType(op.getSparseDots());
              std::string count = sparse.isDynamicDim(0)
                                      ? "T"
                                      : std::to_string(sparse.getDimSize(0));
              s << "pfc::gammaGradScalar(" << count << ", T, sparseDots, "
                << low << ", out)";
              return success();
            }
            int64_t in = cols(op.getInput());
            pointer(k, "gamma", op.getGammaValues(), true);
            pointer(k, "x", op.getInput(), true);
            pointer(k, "params", op.getParams(), true);
            pointer(k, "dx", op.getGradInput(), false);
            pointer(k, "out", op.getOutput(), false);
            s << "pfc::gammaGradGate<" << in << ">(T, sparseDots, " << low
              << ", gamma, x, params, dx, out)";
            threads = 128;
            grid = fixed(ceilDiv(in + 1, threads));
            return success();
          })
          .Default([&](Operation *op) {
            return op->emitOpError(
                "has no CUDA kernel; the GPU target fuses the low-rank term "
                "(pfc-fuse-lowrank) and decomposes gradients "
                "(pfc-decompose-gradients)");
          });
  if (failed(result))
    return failure();
  os << k.signature(threads) << "  " << call << ";\n}\n\n";
  launch(k, grid, fixed(1), threads);
  return success();
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

} // namespace

FailureOr<CudaModule> translateToCuda(ModuleOp module,
                                      const CudaOptions &options) {
  CudaModule result;
  llvm::raw_string_ostream os(result.source);
  // The data type the header names: that of the first op with data.
  DType dtype = DType::F32;
  module.walk([&](Operation *op) {
    if (!isa<PfcDialect>(op->getDialect()))
      return WalkResult::advance();
    dtype = dataTypeOf(op);
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
    if (failed(FunctionEmitter(func, options, os).emit(entry)))
      return failure();
    result.plan.entries.push_back(std::move(entry));
  }
  return result;
}

} // namespace pfc
