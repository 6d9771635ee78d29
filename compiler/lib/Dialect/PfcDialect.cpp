//===- PfcDialect.cpp - The pfc dialect -----------------------------------===//
#include "pfc/Dialect/PfcDialect.h"
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Dialect/Registration.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"

#include "pfc/Dialect/PfcDialect.cpp.inc"

namespace pfc {

void PfcDialect::initialize() {
  registerAttributes();
  registerOps();
}

void registerPfcDialects(mlir::DialectRegistry &registry) {
  // Every dialect a stage of pfc's pipelines holds, so that each module
  // `pfc compile` writes reads back into pfc-opt.
  registry.insert<PfcDialect, mlir::affine::AffineDialect,
                  mlir::arith::ArithDialect, mlir::cf::ControlFlowDialect,
                  mlir::func::FuncDialect, mlir::index::IndexDialect,
                  mlir::LLVM::LLVMDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::vector::VectorDialect>();
}

} // namespace pfc
