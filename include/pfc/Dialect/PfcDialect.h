//===- PfcDialect.h - The pfc dialect ---------------------------*- C++ -*-===//
#ifndef PFC_DIALECT_PFCDIALECT_H
#define PFC_DIALECT_PFCDIALECT_H

#include "mlir/IR/Dialect.h"

#include "pfc/Dialect/PfcDialect.h.inc"

#endif // PFC_DIALECT_PFCDIALECT_H
