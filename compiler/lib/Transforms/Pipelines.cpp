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
  pm.addPass(createMaterializePattern());
  if (options.fuseLowRank)
    pm.addPass(createFuseLowRank());
  pm.addPass(createDecomposeLayer());
  pm.addPass(createDecomposeGradients());
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

namespace {
struct CpuPipelineCLOptions : public PassPipelineOptions<CpuPipelineCLOptions> {
  Option<bool> fuseLowRank{*this, "fuse-lowrank",
                           llvm::cl::desc("Fuse the low-rank term"),
                           llvm::cl::init(true)};
  Option<int64_t> vectorWidth{*this, "vector-width",
                              llvm::cl::desc("f32 lanes per vector"),
                              llvm::cl::init(16)};
};
} // namespace

void registerPfcPassesAndPipelines() {
  registerPfcPasses();
  PassPipelineRegistration<CpuPipelineCLOptions>(
      "pfc-cpu-pipeline", "Lowers pfc ops to the LLVM dialect for CPUs",
      [](OpPassManager &pm, const CpuPipelineCLOptions &cl) {
        CpuPipelineOptions options;
        options.fuseLowRank = cl.fuseLowRank;
        options.target.vectorWidth = cl.vectorWidth;
        buildPfcCpuPipeline(pm, options);
      });
}

} // namespace pfc
