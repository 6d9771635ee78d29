//===- CpuTarget.h - From pfc IR to host machine code -----------*- C++ -*-===//
#ifndef PFC_TARGET_CPUTARGET_H
#define PFC_TARGET_CPUTARGET_H

#include "pfc/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
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

/// f32 lanes of the host's widest vector unit: 16 with AVX-512, 8 with AVX2.
int64_t hostVectorWidth();

/// Runs pfc-cpu-pipeline on `module` stage by stage, showing each result
/// to `onStage` ("pfc", "loops", "llvm"). Errors come back as text.
llvm::Error lowerToLLVMDialect(
    mlir::ModuleOp module, const CpuPipelineOptions &options,
    const std::function<void(llvm::StringRef, mlir::ModuleOp)> &onStage = {});

/// A target machine for the host CPU with all its features; `pic` for
/// object files that are linked into shared libraries or executables.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(bool pic);

/// Translates an LLVM-dialect module to LLVM IR for `machine`, optimized
/// with LLVM's O3 pipeline.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &context,
                  llvm::TargetMachine &machine);

/// Writes `module` as an object file.
llvm::Error emitObjectFile(llvm::Module &module, llvm::TargetMachine &machine,
                           llvm::raw_pwrite_stream &os);

} // namespace pfc

#endif // PFC_TARGET_CPUTARGET_H
