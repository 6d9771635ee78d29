//===- CpuTarget.h - From pfc IR to host machine code -----------*- C++ -*-===//
#ifndef PFC_TARGET_CPUTARGET_H
#define PFC_TARGET_CPUTARGET_H

#include "pfc/Spec/Spec.h"
#include "pfc/Target/Jit.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace pfc {

/// The host CPU: f32 lanes of its widest vector unit (16 with AVX-512, 8 with
/// AVX2), its per-core L2 cache, and `threads` (0: every hardware thread).
CpuTargetInfo hostTargetInfo(int64_t threads);

/// Whether `cpu` names the host's CPU: empty, or the host's own name.
bool isHostCpu(llvm::StringRef cpu);

/// The CPU named `cpu` as hostTargetInfo describes the host (empty: the
/// host): its vector width from LLVM's features of that CPU, the L2 size
/// the host's when it is the host's model and CpuTargetInfo's default
/// otherwise; an error listing the names LLVM knows for an unknown one.
llvm::Expected<CpuTargetInfo> cpuTargetInfo(llvm::StringRef cpu,
                                            int64_t threads);

/// Sees the IR of each stage: "layer" (as built from the spec), "kernels"
/// (patterns materialized, low-rank fused), "loops" (scf and vector), "llvm"
/// (the LLVM dialect).
using StageCallback = std::function<void(llvm::StringRef, mlir::ModuleOp)>;

/// Runs pfc-cpu-pipeline on `module` stage by stage. Errors come back as
/// text.
llvm::Error lowerToLLVMDialect(mlir::ModuleOp module,
                               const CpuPipelineOptions &options,
                               const StageCallback &onStage = {});

/// The default schedule of `spec` for `target`, every knob resolved.
Schedule defaultSchedule(const LayerSpec &spec, const CpuTargetInfo &target);

/// A layer's module for the host, with the schedule chosen for it (the
/// options' knobs, else the default for the layer and the host): what the
/// JIT's kernel cache keys on, before the costly part of compiling.
class HostLayerModule {
public:
  static llvm::Expected<HostLayerModule> build(const LayerSpec &spec,
                                               const CompileOptions &options);
  /// An attention's module (buildAttentionModule): no schedule yet.
  static llvm::Expected<HostLayerModule> build(const AttentionSpec &spec,
                                               const CompileOptions &options);
  HostLayerModule(HostLayerModule &&) = default;
  ~HostLayerModule();

  /// The module as printed, schedule included.
  std::string text() const;
  /// Lowers the module (showing each stage to `onStage`) and translates it
  /// to LLVM IR optimized for `machine`. Consumes the module.
  llvm::Expected<std::unique_ptr<llvm::Module>>
  lower(llvm::LLVMContext &context, llvm::TargetMachine &machine,
        const StageCallback &onStage = {});

  CpuTargetInfo target;
  int64_t tile = 0;  ///< token rows per register tile
  int64_t chunk = 0; ///< tokens per chunk

private:
  HostLayerModule() = default;
  /// A context with the dialects loaded and `options`' target, no module.
  static llvm::Expected<HostLayerModule> create(const CompileOptions &options);

  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// How pfc generates machine code for the host CPU, with all its features;
/// `pic` for object files that are linked into shared libraries or
/// executables (the JIT takes the builder itself).
llvm::Expected<llvm::orc::JITTargetMachineBuilder> hostMachineBuilder(bool pic);

/// The target machine of hostMachineBuilder(pic), or, with a `cpu` name,
/// one for that x86-64 CPU (cpuTargetInfo checks the name).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(bool pic, llvm::StringRef cpu = "");

/// Translates an LLVM-dialect module to LLVM IR for `machine`, optimized
/// with LLVM's O3 pipeline.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &context,
                  llvm::TargetMachine &machine);

/// Writes `module` as an object file, or as assembly text.
llvm::Error emitMachineCode(const llvm::Module &module,
                            llvm::TargetMachine &machine,
                            llvm::raw_pwrite_stream &os, bool assembly);

/// `object`, a position-independent object file, linked by the system C
/// compiler driver (`$CC`, else `cc`) into a shared library, returned in
/// memory; an error saying why when there is no driver or it fails.
llvm::Expected<std::string> linkSharedLibrary(llvm::StringRef object);

} // namespace pfc

#endif // PFC_TARGET_CPUTARGET_H
