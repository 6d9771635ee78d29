//===- PfcOps.h - Pixelfly layers and their parts ---------------*- C++ -*-===//
#ifndef PFC_DIALECT_PFCOPS_H
#define PFC_DIALECT_PFCOPS_H

#include "pfc/Dialect/PfcAttrs.h"
#include "pfc/Dialect/PfcDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"

#define GET_OP_CLASSES
#include "pfc/Dialect/PfcOps.h.inc"

#endif // PFC_DIALECT_PFCOPS_H
