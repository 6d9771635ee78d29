//===- CudaTarget.h - CUDA C++ and a launch plan from pfc IR ----*- C++ -*-===//
//
// The GPU back end's compiler half: the kernel-level pfc ops (after
// pfc-materialize-pattern and pfc-fuse-lowrank / pfc-decompose-gradients)
// become one `__global__` function each, with the pattern baked in as
// constant tables, and every function of the module a launch plan
// (pfc/Runtime/LaunchPlan.h). The runtime (pfc/Runtime/Cuda*.h) compiles the
// source with NVRTC and runs the plan; it never sees MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TARGET_CUDATARGET_H
#define PFC_TARGET_CUDATARGET_H

#include "pfc/Runtime/LaunchPlan.h"
#include "pfc/Spec/Spec.h"
#include "pfc/Transforms/Passes.h" // buildPfcCudaPipeline

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

/// A translated module: the CUDA C++ of its kernels and their launch plan.
struct CudaModule {
  std::string source;
  LaunchPlan plan;
};

/// Translates every function of `module` holding kernel-level pfc ops.
/// Reports what it cannot translate through the context's diagnostics.
mlir::FailureOr<CudaModule> translateToCuda(mlir::ModuleOp module,
                                            const CudaOptions &options);

/// A layer spec's module (pfc/Import/LayerModule.h) through the GPU
/// pipeline and translated: `<sym>_pack`, `<sym>_forward`, `<sym>_backward`.
/// The data type is the spec's.
llvm::Expected<CudaModule> compileLayerToCuda(const LayerSpec &spec,
                                              const CudaOptions &options);

/// Checks `schedule` for products over `block`-wide blocks; the reason when
/// it cannot be used, else empty.
std::string checkCudaSchedule(const CudaSchedule &schedule, int64_t block);

} // namespace pfc

#endif // PFC_TARGET_CUDATARGET_H
