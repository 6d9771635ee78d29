//===- Registration.h - Dialects every pfc driver loads ---------*- C++ -*-===//
//
// One place that lists the dialects `pfc`, `pfc-opt` and the runtime's JIT
// register, so that lit tests see what users run.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_DIALECT_REGISTRATION_H
#define PFC_DIALECT_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace pfc {

/// Registers the pfc dialect and the upstream dialects it lowers through,
/// down to the LLVM dialect.
void registerPfcDialects(mlir::DialectRegistry &registry);

} // namespace pfc

#endif // PFC_DIALECT_REGISTRATION_H
