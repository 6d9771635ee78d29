//===- pfc-translate.cpp - pfc IR to CUDA C++, for tests and users --------===//
//
// `--pfc-to-cuda` writes the CUDA source of a module, `--pfc-to-cuda-plan`
// its launch plans. Both first run the GPU target's pipeline
// (buildPfcCudaPipeline), which leaves already lowered IR as it is; the
// `--cuda-*` options are those of `pfc compile --target cuda`.
//
//===----------------------------------------------------------------------===//
#include "pfc/Dialect/Registration.h"
#include "pfc/Target/CudaTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;

namespace {

llvm::cl::OptionCategory category("pfc CUDA options");
llvm::cl::opt<int64_t> tileTokens("cuda-tile-tokens",
                                  llvm::cl::desc("Token rows per CTA tile"),
                                  llvm::cl::init(64), llvm::cl::cat(category));
llvm::cl::opt<int64_t> tileCols("cuda-tile-cols",
                                llvm::cl::desc("Output columns per CTA tile"),
                                llvm::cl::init(64), llvm::cl::cat(category));
llvm::cl::opt<int64_t> warpsM("cuda-warps-m",
                              llvm::cl::desc("Warps along rows"),
                              llvm::cl::init(2), llvm::cl::cat(category));
llvm::cl::opt<int64_t> warpsN("cuda-warps-n",
                              llvm::cl::desc("Warps along columns"),
                              llvm::cl::init(2), llvm::cl::cat(category));
llvm::cl::opt<int64_t> stages("cuda-stages",
                              llvm::cl::desc("Shared-memory stages (1 or 2)"),
                              llvm::cl::init(2), llvm::cl::cat(category));
llvm::cl::opt<bool> tf32("cuda-tf32",
                         llvm::cl::desc("f32 products on TF32 tensor cores"),
                         llvm::cl::init(false), llvm::cl::cat(category));

FailureOr<pfc::CudaModule> translate(ModuleOp module) {
  PassManager pm(module.getContext());
  pfc::buildPfcCudaPipeline(pm);
  if (failed(pm.run(module)))
    return failure();
  pfc::CudaOptions options;
  options.schedule = {tileTokens, tileCols, warpsM, warpsN, stages, tf32};
  return pfc::translateToCuda(module, options);
}

void registerDialects(DialectRegistry &registry) {
  pfc::registerPfcDialects(registry);
}

} // namespace

int main(int argc, char **argv) {
  TranslateFromMLIRRegistration toCuda(
      "pfc-to-cuda", "pfc IR to CUDA C++",
      [](ModuleOp module, llvm::raw_ostream &os) -> LogicalResult {
        FailureOr<pfc::CudaModule> cuda = translate(module);
        if (failed(cuda))
          return failure();
        os << cuda->source;
        return success();
      },
      registerDialects);
  TranslateFromMLIRRegistration toPlan(
      "pfc-to-cuda-plan", "pfc IR to the launch plans of its CUDA kernels",
      [](ModuleOp module, llvm::raw_ostream &os) -> LogicalResult {
        FailureOr<pfc::CudaModule> cuda = translate(module);
        if (failed(cuda))
          return failure();
        os << pfc::writeLaunchPlan(cuda->plan);
        return success();
      },
      registerDialects);
  return failed(mlirTranslateMain(argc, argv, "pfc translation driver"));
}
