//===- CpuTarget.cpp - From pfc IR to host machine code -------------------===//
#include "pfc/Target/CpuTarget.h"
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Dialect/Registration.h"
#include "pfc/Import/AttentionModule.h"
#include "pfc/Import/LayerModule.h"
#include "pfc/Tune/TuningDatabase.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <thread>
#include <unistd.h>

using namespace mlir;

namespace pfc {

namespace {
/// f32 lanes of the widest vector unit `hasFeature` names.
template <typename HasFeature> int64_t vectorWidth(HasFeature hasFeature) {
  return hasFeature("avx512f")                     ? 16
         : hasFeature("avx2") || hasFeature("avx") ? 8
                                                   : 4;
}
} // namespace

CpuTargetInfo hostTargetInfo(int64_t threads) {
  CpuTargetInfo target;
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  target.vectorWidth =
      vectorWidth([&](llvm::StringRef name) { return features.lookup(name); });
  long cache = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (cache > 0)
    target.cacheBytes = cache;
  target.threads =
      threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  return target;
}

bool isHostCpu(llvm::StringRef cpu) {
  return cpu.empty() || cpu == llvm::sys::getHostCPUName();
}

llvm::Expected<CpuTargetInfo> cpuTargetInfo(llvm::StringRef cpu,
                                            int64_t threads) {
  CpuTargetInfo target = hostTargetInfo(threads);
  if (isHostCpu(cpu))
    return target;
  if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) == llvm::X86::CK_None) {
    llvm::SmallVector<llvm::StringRef> known;
    llvm::X86::fillValidCPUArchList(known, /*Only64Bit=*/true);
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown x86-64 CPU '" + cpu +
                                       "' (LLVM knows " +
                                       llvm::join(known, ", ") + ")");
  }
  llvm::SmallVector<llvm::StringRef> features;
  llvm::X86::getFeaturesForCPU(cpu, features);
  target.vectorWidth = vectorWidth(
      [&](llvm::StringRef name) { return llvm::is_contained(features, name); });
  // Another model's caches are not the host's.
  target.cacheBytes = CpuTargetInfo().cacheBytes;
  return target;
}

llvm::Error lowerToLLVMDialect(ModuleOp module,
                               const CpuPipelineOptions &options,
                               const StageCallback &onStage) {
  std::string messages;
  llvm::raw_string_ostream os(messages);
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &diag) {
    os << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  using Builder = void (*)(OpPassManager &, const CpuPipelineOptions &);
  std::pair<StringRef, Builder> stages[] = {
      {"kernels", buildPfcOptimizationPipeline},
      {"loops", buildPfcKernelPipeline},
      {"llvm", [](OpPassManager &pm, const CpuPipelineOptions &) {
         buildPfcToLLVMPipeline(pm);
       }}};
  for (auto [name, build] : stages) {
    PassManager pm(module.getContext());
    build(pm, options);
    if (failed(pm.run(module)))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "lowering failed: " + messages);
    if (onStage)
      onStage(name, module);
  }
  return llvm::Error::success();
}

llvm::Expected<llvm::orc::JITTargetMachineBuilder>
hostMachineBuilder(bool pic) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  // The kernels arrive vectorized, unrolled and register-tiled; the
  // aggressive level only adds compile time to them.
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
  if (pic) {
    // An object for ordinary linking: position independent, small code
    // model (a JIT builder defaults to the large one).
    builder->setRelocationModel(llvm::Reloc::PIC_);
    builder->setCodeModel(llvm::CodeModel::Small);
  }
  return builder;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(bool pic, llvm::StringRef cpu) {
  auto builder = hostMachineBuilder(pic);
  if (!builder)
    return builder.takeError();
  if (!isHostCpu(cpu)) {
    // That CPU's own features, not the host's.
    builder->setCPU(cpu.str());
    builder->setFeatures("");
  }
  return builder->createTargetMachine();
}

llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                  llvm::TargetMachine &machine) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot translate the module to LLVM IR");
  llvmModule->setDataLayout(machine.createDataLayout());
  llvmModule->setTargetTriple(machine.getTargetTriple().str());
  // Without the host's features LLVM would vectorize for SSE2 only.
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", machine.getTargetCPU());
    function.addFnAttr("target-features", machine.getTargetFeatureString());
  }
  if (llvm::Error err =
          makeOptimizingTransformer(3, 0, &machine)(llvmModule.get()))
    return std::move(err);
  return std::move(llvmModule);
}

llvm::Error emitMachineCode(const llvm::Module &module,
                            llvm::TargetMachine &machine,
                            llvm::raw_pwrite_stream &os, bool assembly) {
  // Code generation changes the IR it runs on: it gets a copy.
  std::unique_ptr<llvm::Module> copy = llvm::CloneModule(module);
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  assembly ? llvm::CodeGenFileType::AssemblyFile
                                           : llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the target cannot emit machine code");
  pm.run(*copy);
  return llvm::Error::success();
}

Schedule defaultSchedule(const LayerSpec &spec, const CpuTargetInfo &target) {
  return defaultSchedule(spec.paddedIn(), spec.block,
                         spec.blockMask().nnzBlocks(), target);
}

llvm::Expected<HostLayerModule>
HostLayerModule::create(const CompileOptions &options) {
  HostLayerModule result;
  DialectRegistry registry;
  registerPfcDialects(registry);
  result.context =
      std::make_unique<MLIRContext>(registry, MLIRContext::Threading::DISABLED);
  result.context->loadDialect<PfcDialect>();
  llvm::Expected<CpuTargetInfo> target =
      cpuTargetInfo(options.cpu, options.threads);
  if (!target)
    return target.takeError();
  result.target = *target;
  return std::move(result);
}

llvm::Expected<HostLayerModule>
HostLayerModule::build(const AttentionSpec &spec,
                       const CompileOptions &options) {
  llvm::Expected<HostLayerModule> result = create(options);
  if (result)
    result->module =
        buildAttentionModule(*result->context, spec, options.backward);
  return result;
}

llvm::Expected<HostLayerModule>
HostLayerModule::build(const LayerSpec &spec, const CompileOptions &options) {
  llvm::Expected<HostLayerModule> created = create(options);
  if (!created)
    return created.takeError();
  HostLayerModule result = std::move(*created);
  MLIRContext *context = result.context.get();
  const Schedule defaults = defaultSchedule(spec, result.target);
  // The schedule `choice` makes of the defaults, or why it cannot.
  auto resolve = [&](const Schedule &choice, std::string &invalid) {
    Schedule resolved = choice.orDefaults(defaults);
    invalid = checkSchedule(resolved);
    return invalid.empty() ? ScheduleAttr::get(context, resolved)
                           : ScheduleAttr();
  };
  std::string invalid;
  ScheduleAttr schedule;
  // Schedules recorded on this machine are for its CPU.
  if (options.schedule.empty() && options.useTuned && options.cpu.empty())
    if (std::optional<TuningDatabase> database =
            TuningDatabase::fromEnvironment())
      if (std::optional<Schedule> tuned = database->lookup(
              tuningKey(spec, options.tokens ? options.tokens : 1024))) {
        schedule = resolve(*tuned, invalid);
        // A damaged record costs the tuning, never the compile.
        if (!schedule)
          llvm::WithColor::warning(llvm::errs(), "pfc")
              << "ignoring the tuned schedule of '" << spec.name
              << "': " << invalid << "\n";
      }
  if (!schedule)
    schedule = resolve(options.schedule, invalid);
  if (!schedule)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), invalid);
  result.tile = schedule.getTile();
  result.chunk = schedule.getChunk();
  result.module = buildLayerModule(*context, spec, schedule, options.backward);
  return std::move(result);
}

HostLayerModule::~HostLayerModule() {
  module = nullptr; // before its context
}

std::string HostLayerModule::text() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  ModuleOp(module.get()).print(os, OpPrintingFlags().enableDebugInfo(false));
  return text;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
HostLayerModule::lower(llvm::LLVMContext &llvmContext,
                       llvm::TargetMachine &machine,
                       const StageCallback &onStage) {
  if (onStage)
    onStage("layer", *module);
  CpuPipelineOptions pipeline;
  pipeline.target = target;
  if (llvm::Error err = lowerToLLVMDialect(*module, pipeline, onStage))
    return std::move(err);
  return translateToLLVMIR(*module, llvmContext, machine);
}

} // namespace pfc
