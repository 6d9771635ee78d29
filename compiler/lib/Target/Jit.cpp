//===- Jit.cpp - Compiling a layer in process -----------------------------===//
#include "pfc/Target/Jit.h"
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Dialect/Registration.h"
#include "pfc/Target/CpuTarget.h"
#include "pfc/Target/LayerModule.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <chrono>
#include <thread>

namespace pfc {

llvm::Expected<std::unique_ptr<Layer>>
compileLayer(const LayerSpec &spec, const CompileOptions &options,
             double *seconds) {
  auto start = std::chrono::steady_clock::now();
  mlir::DialectRegistry registry;
  registerPfcDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  context.loadDialect<PfcDialect>();

  int64_t threads = options.threads;
  if (threads <= 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  int64_t width = hostVectorWidth();
  BlockMask mask = buildBlockMask(spec.butterfly, spec.outFeatures,
                                  spec.inFeatures, spec.block);
  ScheduleAttr schedule = defaultSchedule(&context, spec.block,
                                          mask.nnzBlocks(), width, threads);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      buildLayerModule(context, spec, schedule);
  if (llvm::Error err = lowerToLLVMDialect(
          *module, CpuPipelineOptions{/*fuseLowRank=*/true, width}))
    return std::move(err);

  auto machine = createHostTargetMachine(/*pic=*/false);
  if (!machine)
    return machine.takeError();
  auto llvmContext = std::make_unique<llvm::LLVMContext>();
  auto llvmModule = translateToLLVMIR(*module, *llvmContext, **machine);
  if (!llvmModule)
    return llvmModule.takeError();

  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*builder))
                 .create();
  if (!jit)
    return jit.takeError();
  // Kernels call malloc and free for their temporaries.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process)
    return process.takeError();
  (*jit)->getMainJITDylib().addGenerator(std::move(*process));
  if (llvm::Error err = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(
          std::move(*llvmModule), std::move(llvmContext))))
    return std::move(err);

  std::string symbol = kernelSymbol(spec);
  auto pack = (*jit)->lookup(symbol + "_pack");
  if (!pack)
    return pack.takeError();
  auto forward = (*jit)->lookup(symbol + "_forward");
  if (!forward)
    return forward.takeError();

  LayerKernel kernel;
  kernel.pack = pack->toPtr<pfc_pack_fn>();
  kernel.forward = forward->toPtr<pfc_forward_fn>();
  kernel.tile = schedule.getTile();
  kernel.threads = threads;
  kernel.owner = std::shared_ptr<llvm::orc::LLJIT>(std::move(*jit));
  if (seconds)
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count();
  return std::make_unique<Layer>(spec, std::move(mask), std::move(kernel));
}

} // namespace pfc
