//===- Verifiers.h - Checks the pfc ops' verifiers share --------*- C++ -*-===//
//
// Private to the dialect library: PfcOps.cpp (the layer's ops) and
// AttentionOps.cpp (attention's) verify their operands with the same checks
// and the same messages.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_DIALECT_VERIFIERS_H
#define PFC_DIALECT_VERIFIERS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

namespace pfc {

mlir::MemRefType memrefType(mlir::Value value);

/// A token-row matrix's feature count (its static second size).
int64_t features(mlir::Value matrix);

/// Checks that the data operands (every matrix and block array except those
/// in `gradients`, which are f32 whatever the data type) share one element
/// type.
mlir::LogicalResult verifyDataType(mlir::Operation *op,
                                   llvm::ArrayRef<mlir::Value> gradients = {});

/// Checks that every matrix in `matrices` (rows are tokens) has the same
/// number of tokens where it is static, a static feature count and a
/// contiguous innermost dimension. Returns that number, or kDynamic when no
/// matrix has it static.
mlir::FailureOr<int64_t> verifyTokenRows(mlir::Operation *op,
                                         mlir::ValueRange matrices);

/// Checks that operands that only make sense together come in pairs (the
/// custom syntax ensures it, the generic form does not).
mlir::LogicalResult verifyPair(mlir::Operation *op, mlir::Value first,
                               mlir::Value second, llvm::StringRef what);

/// Checks `value` has the shape `shape` (kDynamic where it is dynamic); `what`
/// names it.
mlir::LogicalResult verifyShape(mlir::Operation *op, mlir::Value value,
                                llvm::ArrayRef<int64_t> shape,
                                llvm::StringRef what);

} // namespace pfc

#endif // PFC_DIALECT_VERIFIERS_H
