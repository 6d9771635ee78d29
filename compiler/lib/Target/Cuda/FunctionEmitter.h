//===- FunctionEmitter.h - One function's CUDA kernels and plan -*- C++ -*-===//
//
// Private to the CUDA target: the state CudaEmitter.cpp keeps while it walks a
// function (its buffers, its plan entry) and the per-op kernel emitters that
// CudaKernelEmitters.cpp defines.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_LIB_TARGET_CUDA_FUNCTIONEMITTER_H
#define PFC_LIB_TARGET_CUDA_FUNCTIONEMITTER_H

#include "pfc/Dialect/PfcOps.h"
#include "pfc/Target/CudaTarget.h"
#include "pfc/Transforms/BlockSparseProduct.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace pfc::cuda {

using namespace mlir;

inline std::string elementName(DType dtype) {
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

inline PlanExtent fixed(int64_t value) { return {0, 0, value, 1}; }
/// ceil(T·perToken / divisor) for the token count `tokens`.
inline PlanExtent perTokens(int64_t tokens, int64_t perToken, int64_t divisor) {
  return {tokens, perToken, 0, divisor};
}

inline MemRefType memrefType(Value value) {
  return cast<MemRefType>(value.getType());
}
inline int64_t dimSize(Value value, unsigned dim) {
  return memrefType(value).getDimSize(dim);
}
/// Columns of a matrix (features).
inline int64_t cols(Value matrix) { return dimSize(matrix, 1); }

/// The data type of a pfc op: the element type of its matrices and weights,
/// which its verifier checks agree (the parameters' gradients and the
/// vectors are f32 whatever it is).
inline DType dataTypeOf(Operation *op) {
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

} // namespace pfc::cuda

#endif // PFC_LIB_TARGET_CUDA_FUNCTIONEMITTER_H
