//===- Passes.h - pfc's passes and pipelines --------------------*- C++ -*-===//
#ifndef PFC_TRANSFORMS_PASSES_H
#define PFC_TRANSFORMS_PASSES_H

#include "pfc/Spec/Schedule.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/DialectConversion.h"

namespace pfc {

#define GEN_PASS_DECL
#include "pfc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "pfc/Transforms/Passes.h.inc"

class ScheduleAttr;

/// What the CPU kernels are made for.
struct CpuTargetInfo {
  /// f32 lanes of a vector: 16 with AVX-512, 8 with AVX2.
  int64_t vectorWidth = 16;
  /// Vector registers: 32 with AVX-512 (zmm0-31, of any width), 16 with
  /// AVX2 (ymm0-15) and SSE.
  int64_t vectorRegisters() const { return vectorWidth >= 16 ? 32 : 16; }
  /// Bytes of a core's own L2 cache, where a chunk of tokens should stay.
  int64_t cacheBytes = 1 << 20;
  /// Threads a call is split over.
  int64_t threads = 1;
};

/// The schedule of a block-sparse product with `in` (padded) inputs and
/// `nnzBlocks` b×b blocks when none is given: the register tile that fills
/// the vector registers without spilling (DESIGN.md), chunks of tokens sized
/// for the L2 cache, block offsets from constant tables.
Schedule defaultSchedule(int64_t in, int64_t block, int64_t nnzBlocks,
                         const CpuTargetInfo &target);

/// The rewrites of the passes of the same names, for the greedy driver.
void populateMaterializePatternPatterns(mlir::RewritePatternSet &patterns);
void populateFuseLowRankPatterns(mlir::RewritePatternSet &patterns);
void populateDecomposeLayerPatterns(mlir::RewritePatternSet &patterns);
void populateDecomposeGradientsPatterns(mlir::RewritePatternSet &patterns);
void populateDecomposeAttentionPatterns(mlir::RewritePatternSet &patterns);
/// The conversion of every kernel-level pfc op to scf/vector/memref loops
/// (pfc-lower-kernels) for CPUs described by `target`. Loops that a schedule
/// unrolls are only marked (a conversion's rewriter must see every op it
/// made stay): run unrollMarkedLoops on the result.
void populateLowerKernelsPatterns(mlir::RewritePatternSet &patterns,
                                  const CpuTargetInfo &target);
/// Unrolls every `scf.for` under `root` that the kernel patterns marked with
/// a `pfc.unroll` factor, and drops the mark.
void unrollMarkedLoops(mlir::Operation *root);

/// Options of the CPU pipeline, shared by `pfc`, `pfc-opt` and the runtime.
struct CpuPipelineOptions {
  /// Fuse the low-rank term into the block-sparse product (else decompose).
  bool fuseLowRank = true;
  /// Used where an op has no schedule, and for the dense parts.
  CpuTargetInfo target;
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
/// What the GPU target runs before translating (`pfc-cuda-pipeline`):
/// materialize patterns, fuse the low-rank term, decompose gradients, the
/// same kernel-level IR as the CPU's optimization pipeline with fusion.
void buildPfcCudaPipeline(mlir::OpPassManager &pm);

/// Registers the passes and the pipelines (`pfc-cpu-pipeline`, its three
/// stages and `pfc-cuda-pipeline`) for pfc-opt.
void registerPfcPassesAndPipelines();

} // namespace pfc

#endif // PFC_TRANSFORMS_PASSES_H
