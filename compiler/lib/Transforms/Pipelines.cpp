//===- Pipelines.cpp - The pass pipelines every pfc driver runs -----------===//
#include "pfc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace pfc {

void buildPfcOptimizationPipeline(OpPassManager &pm,
                                  const CpuPipelineOptions &options) {
  OpPassManager &funcs = pm.nest<func::FuncOp>();
  funcs.addPass(createMaterializePattern());
  if (options.fuseLowRank)
    funcs.addPass(createFuseLowRank());
  funcs.addPass(createDecomposeLayer());
  funcs.addPass(createDecomposeGradients());
  funcs.addPass(createDecomposeAttention());
}

void buildPfcKernelPipeline(OpPassManager &pm,
                            const CpuPipelineOptions &options) {
  const CpuTargetInfo &target = options.target;
  pm.addPass(createLowerKernels(
      LowerKernelsOptions{target.vectorWidth, target.cacheBytes}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildPfcToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createEmitCInterface());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createConvertSCFToCFPass());
  // Subviews expand to affine.apply, which lower-affine then removes.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void buildPfcCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  buildPfcOptimizationPipeline(pm, options);
  buildPfcKernelPipeline(pm, options);
  buildPfcToLLVMPipeline(pm);
}

void buildPfcCudaPipeline(OpPassManager &pm) {
  // The CPU's optimization pipeline with fusion: the same kernel-level IR.
  buildPfcOptimizationPipeline(pm, CpuPipelineOptions());
}

namespace {
/// Every field of CpuPipelineOptions, as pfc-opt's pipeline options.
struct CpuPipelineCLOptions : public PassPipelineOptions<CpuPipelineCLOptions> {
  Option<bool> fuseLowRank{*this, "fuse-lowrank",
                           llvm::cl::desc("Fuse the low-rank term"),
                           llvm::cl::init(true)};
  Option<int64_t> vectorWidth{*this, "vector-width",
                              llvm::cl::desc("f32 lanes per vector"),
                              llvm::cl::init(CpuTargetInfo().vectorWidth)};
  Option<int64_t> cacheBytes{
      *this, "cache-bytes",
      llvm::cl::desc("Bytes of a core's L2 cache, for chunks of tokens"),
      llvm::cl::init(CpuTargetInfo().cacheBytes)};

  CpuPipelineOptions options() const {
    CpuPipelineOptions options;
    options.fuseLowRank = fuseLowRank;
    options.target.vectorWidth = vectorWidth;
    options.target.cacheBytes = cacheBytes;
    return options;
  }
};
} // namespace

void registerPfcPassesAndPipelines() {
  registerPfcPasses();
  PassPipelineRegistration<CpuPipelineCLOptions>(
      "pfc-cpu-pipeline", "Lowers pfc ops to the LLVM dialect for CPUs",
      [](OpPassManager &pm, const CpuPipelineCLOptions &cl) {
        buildPfcCpuPipeline(pm, cl.options());
      });
  // The three stages of pfc-cpu-pipeline, after each of which `pfc compile`
  // writes the module (.kernels.mlir, .loops.mlir, .llvm.mlir).
  PassPipelineRegistration<CpuPipelineCLOptions>(
      "pfc-optimization-pipeline",
      "pfc ops to kernel-level pfc ops (the CPU pipeline's first stage)",
      [](OpPassManager &pm, const CpuPipelineCLOptions &cl) {
        buildPfcOptimizationPipeline(pm, cl.options());
      });
  PassPipelineRegistration<CpuPipelineCLOptions>(
      "pfc-kernel-pipeline",
      "Kernel-level pfc ops to loops (the CPU pipeline's second stage)",
      [](OpPassManager &pm, const CpuPipelineCLOptions &cl) {
        buildPfcKernelPipeline(pm, cl.options());
      });
  PassPipelineRegistration<>(
      "pfc-to-llvm-pipeline",
      "Loops to the LLVM dialect (the CPU pipeline's last stage)",
      [](OpPassManager &pm) { buildPfcToLLVMPipeline(pm); });
  PassPipelineRegistration<>(
      "pfc-cuda-pipeline",
      "What the CUDA target runs before emitting: kernel-level pfc ops",
      [](OpPassManager &pm) { buildPfcCudaPipeline(pm); });
}

} // namespace pfc
