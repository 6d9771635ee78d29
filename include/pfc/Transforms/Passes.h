//===- Passes.h - pfc's passes and pipelines --------------------*- C++ -*-===//
#ifndef PFC_TRANSFORMS_PASSES_H
#define PFC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace pfc {

#define GEN_PASS_DECL
#include "pfc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "pfc/Transforms/Passes.h.inc"

class ScheduleAttr;

/// The schedule of a block-sparse product when none is given: the register
/// tile that fills the vector registers without spilling (DESIGN.md), block
/// offsets from constant tables.
ScheduleAttr defaultSchedule(mlir::MLIRContext *context, int64_t block,
                             int64_t nnzBlocks, int64_t vectorWidth,
                             int64_t threads);

/// Options of the CPU pipeline, shared by `pfc`, `pfc-opt` and the runtime.
struct CpuPipelineOptions {
  /// Fuse the low-rank term into the block-sparse product (else decompose).
  bool fuseLowRank = true;
  /// f32 lanes for ops without a schedule: 16 for AVX-512, 8 for AVX2.
  int64_t vectorWidth = 16;
};

/// pfc ops → pfc ops: materialize patterns, then fuse or decompose layers.
void buildPfcOptimizationPipeline(mlir::OpPassManager &pm,
                                  const CpuPipelineOptions &options);
/// pfc ops → scf/vector/memref: the kernels, cleaned up.
void buildPfcKernelPipeline(mlir::OpPassManager &pm,
                            const CpuPipelineOptions &options);
/// scf/vector/memref → LLVM dialect, with the C interface.
void buildPfcToLLVMPipeline(mlir::OpPassManager &pm);
/// All three: `pfc-cpu-pipeline`.
void buildPfcCpuPipeline(mlir::OpPassManager &pm,
                         const CpuPipelineOptions &options);

/// Registers the passes and `pfc-cpu-pipeline` for pfc-opt.
void registerPfcPassesAndPipelines();

} // namespace pfc

#endif // PFC_TRANSFORMS_PASSES_H
