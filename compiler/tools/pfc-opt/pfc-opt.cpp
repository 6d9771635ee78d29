//===- pfc-opt.cpp - The pfc pass driver for tests ------------------------===//
#include "pfc/Dialect/Registration.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  pfc::registerPfcDialects(registry);
  pfc::registerPfcPassesAndPipelines();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "pfc pass driver\n", registry));
}
