//===- PfcAttrs.h - Patterns, schedules and γ modes -------------*- C++ -*-===//
#ifndef PFC_DIALECT_PFCATTRS_H
#define PFC_DIALECT_PFCATTRS_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Spec/Schedule.h"
#include "pfc/Spec/Spec.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include "pfc/Dialect/PfcAttrInterfaces.h.inc"
#include "pfc/Dialect/PfcEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "pfc/Dialect/PfcAttrs.h.inc"

namespace pfc {

/// The attribute form of a spec's butterfly parameters.
ButterflyAttr getButterflyAttr(mlir::MLIRContext *context,
                               const ButterflyPattern &pattern);
ButterflyPattern getButterflyPattern(ButterflyAttr attr);

/// The explicit block list of `mask`, and back (the block size is the op's).
BlocksAttr getBlocksAttr(mlir::MLIRContext *context, const BlockMask &mask);
BlockMask getBlockMask(BlocksAttr attr, int64_t block);

/// The spec's γ mode as the dialect's, and back: the one mapping between
/// the two enums.
GammaKind getGammaKind(GammaMode mode);
GammaMode getGammaMode(GammaKind kind);

/// The element type of a spec's data type, and back: std::nullopt for a
/// type pfc does not compute in. The one mapping between the two.
mlir::FloatType getElementType(mlir::MLIRContext *context, DType dtype);
std::optional<DType> getDType(mlir::Type type);

} // namespace pfc

#endif // PFC_DIALECT_PFCATTRS_H
