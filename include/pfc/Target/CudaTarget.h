//===- CudaTarget.h - CUDA C++ and a launch plan from pfc IR ----*- C++ -*-===//
//
// The GPU back end's compiler half: the kernel-level pfc ops (after
// pfc-materialize-pattern and pfc-fuse-lowrank / pfc-decompose-gradients)
// become one `__global__` function each, with the pattern baked in as
// constant tables, and every function of the module a launch plan: which
// kernels run in which order, on which grid, with which arguments. The
// runtime (pfc/Runtime/Cuda*.h) compiles the source with NVRTC and runs the
// plan; it never sees MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TARGET_CUDATARGET_H
#define PFC_TARGET_CUDATARGET_H

#include "pfc/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pfc {

/// How the products are tiled: the autotuner's knobs for the GPU.
struct CudaSchedule {
  /// Token rows of a CTA's output tile (products over features).
  int64_t tileTokens = 64;
  /// Output columns of a CTA's tile (at most the block size).
  int64_t tileCols = 64;
  /// Warps of a CTA, along rows and columns of its tile.
  int64_t warpsM = 2;
  int64_t warpsN = 2;
  /// Shared-memory buffers per operand: 2 streams the next k-tile in with
  /// cp.async while the current one is used, 1 does not.
  int64_t stages = 2;
  /// f32 products on TF32 tensor cores (else exact FMAs).
  bool tf32 = false;
};

/// The data type is not an option: each op's comes from the element type of
/// its memrefs (pfc/Dialect/PfcOps.td), as the spec's dtype made them.
struct CudaOptions {
  CudaSchedule schedule;
};

/// A grid dimension or an element count: ceil((T·perToken + constant) /
/// divisor), T the entry's token count number `tokens`.
struct CudaExtent {
  int64_t tokens = 0;
  int64_t perToken = 0;
  int64_t constant = 0;
  int64_t divisor = 1;
};

/// What a kernel parameter is bound to.
struct CudaParam {
  enum class Kind {
    Tokens, ///< the entry's token count number `index` (int64)
    Index,  ///< the entry's index argument `index` (int64)
    Arg,    ///< the entry's buffer argument `index`
    Temp,   ///< the plan's temporary `index`
  };
  /// Arg and Temp: advanced by `rowElems` elements for each of the first
  /// tokens, as many as the index argument `rowOffset` (-1: none) says.
  Kind kind = Kind::Tokens;
  int64_t index = 0;
  int64_t rowOffset = -1;
  int64_t rowElems = 0;
};

/// One step of a plan: a kernel launch, or zeroing a buffer.
struct CudaStep {
  enum class Kind { Launch, Zero };
  Kind kind = Kind::Launch;
  std::string kernel;
  CudaExtent grid[3];
  int64_t threads = 0;
  /// Launch: the kernel's parameters in order. Zero: the buffer.
  std::vector<CudaParam> params;
  /// Zero: how many f32 elements.
  CudaExtent elements;
};

/// A device buffer a plan allocates: `elements` of `dtype`.
struct CudaTemp {
  DType dtype = DType::F32;
  CudaExtent elements;
};

/// An argument of an entry: a buffer (its element type) or an index.
struct CudaArg {
  bool isBuffer = true;
  DType dtype = DType::F32;
};

/// How a token count T comes from an entry's arguments (a function may
/// have several: all the tokens, and the range a call covers).
struct CudaTokens {
  enum class Kind { Static, Caller, Arg, ArgDifference };
  Kind kind = Kind::Static;
  /// Static: the count. Caller: given with the call. Arg: the index
  /// argument. Difference: index arguments end − begin.
  int64_t value = 0, end = -1, begin = -1;
};

/// The launch plan of one function of the module (`<sym>_forward`, ...).
struct CudaEntry {
  std::string name;
  std::vector<CudaTokens> tokenCounts;
  std::vector<CudaArg> args;
  std::vector<CudaTemp> temps;
  std::vector<CudaStep> steps;
};

struct CudaModule {
  std::string source;
  std::vector<CudaEntry> entries;
};

/// Translates every function of `module` holding kernel-level pfc ops.
/// Reports what it cannot translate through the context's diagnostics.
mlir::FailureOr<CudaModule> translateToCuda(mlir::ModuleOp module,
                                            const CudaOptions &options);

/// The plans as JSON (the `plan` the runtime reads).
std::string cudaPlanJson(const CudaModule &module);

/// What the GPU target runs before translating: materialize patterns, fuse
/// the low-rank term, decompose gradients.
void buildPfcCudaPipeline(mlir::OpPassManager &pm);

/// A layer spec's module (pfc/Target/LayerModule.h) through the GPU
/// pipeline and translated: `<sym>_pack`, `<sym>_forward`, `<sym>_backward`.
/// The data type is the spec's.
llvm::Expected<CudaModule> compileLayerToCuda(const LayerSpec &spec,
                                              const CudaOptions &options);

/// Checks `schedule` for products over `block`-wide blocks; the reason when
/// it cannot be used, else empty.
std::string checkCudaSchedule(const CudaSchedule &schedule, int64_t block);

} // namespace pfc

#endif // PFC_TARGET_CUDATARGET_H
