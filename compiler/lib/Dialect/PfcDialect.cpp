//===- PfcDialect.cpp - The pfc dialect -----------------------------------===//
#include "pfc/Dialect/PfcDialect.h"
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Dialect/Registration.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectRegistry.h"

#include "pfc/Dialect/PfcDialect.cpp.inc"

namespace pfc {

void PfcDialect::initialize() {
  registerAttributes();
  registerOps();
}

void registerPfcDialects(mlir::DialectRegistry &registry) {
  registry.insert<PfcDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::memref::MemRefDialect>();
}

} // namespace pfc
