//===- Jit.cpp - Compiling a layer in process -----------------------------===//
#include "pfc/Target/Jit.h"
#include "pfc/Target/CpuTarget.h"
#include "pfc/Target/LayerModule.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <chrono>

namespace pfc {

llvm::Expected<std::unique_ptr<Layer>>
compileLayer(const LayerSpec &spec, const CompileOptions &options,
             double *seconds) {
  auto start = std::chrono::steady_clock::now();
  auto machine = createHostTargetMachine(/*pic=*/false);
  if (!machine)
    return machine.takeError();
  auto llvmContext = std::make_unique<llvm::LLVMContext>();
  auto compiled = compileForHost(spec, options, *llvmContext, **machine);
  if (!compiled)
    return compiled.takeError();

  auto builder = hostMachineBuilder(/*pic=*/false);
  if (!builder)
    return builder.takeError();
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
          std::move(compiled->module), std::move(llvmContext))))
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
  kernel.tile = compiled->tile;
  kernel.threads = compiled->target.threads;
  kernel.owner = std::shared_ptr<llvm::orc::LLJIT>(std::move(*jit));
  if (seconds)
    *seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  return std::make_unique<Layer>(spec, spec.blockMask(), std::move(kernel));
}

} // namespace pfc
