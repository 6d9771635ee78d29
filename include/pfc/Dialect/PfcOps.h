//===- PfcOps.h - Pixelfly layers and their parts ---------------*- C++ -*-===//
#ifndef PFC_DIALECT_PFCOPS_H
#define PFC_DIALECT_PFCOPS_H

#include "pfc/Dialect/PfcAttrs.h"
#include "pfc/Dialect/PfcDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace pfc {

/// The weight an op with a `pattern` multiplies by: `out × in` features in
/// b×b blocks.
struct WeightShape {
  int64_t out = 0;
  int64_t in = 0;
  int64_t block = 0;
};

} // namespace pfc

#include "pfc/Dialect/PfcOpInterfaces.h.inc"

#define GET_OP_CLASSES
#include "pfc/Dialect/PfcOps.h.inc"

#endif // PFC_DIALECT_PFCOPS_H
