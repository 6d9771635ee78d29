//===- PfcDialect.cpp - The pfc dialect -----------------------------------===//
#include "pfc/Dialect/PfcDialect.h"
#include "pfc/Dialect/Registration.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"

#include "pfc/Dialect/PfcDialect.cpp.inc"

namespace pfc {

void PfcDialect::initialize() {}

void registerPfcDialects(mlir::DialectRegistry &registry) {
  registry
      .insert<PfcDialect, mlir::arith::ArithDialect, mlir::func::FuncDialect>();
}

} // namespace pfc
