//===- LayerModule.h - A layer spec as pfc IR -------------------*- C++ -*-===//
#ifndef PFC_IMPORT_LAYERMODULE_H
#define PFC_IMPORT_LAYERMODULE_H

#include "pfc/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace pfc {

class ScheduleAttr;

/// The C symbol prefix of a layer's kernels: its name with every character
/// outside [A-Za-z0-9_] replaced, prefixed by `pfc_`.
std::string kernelSymbol(const LayerSpec &spec);

/// The module a layer spec compiles from: `<symbol>_pack`,
/// `<symbol>_forward` and (with `backward`) `<symbol>_backward` with the C
/// interface of pfc/Runtime/Kernel.h, holding a `pfc.pack`, a `pfc.layer`
/// (under `schedule`) and a `pfc.layer_grad` with the spec's butterfly
/// pattern.
mlir::OwningOpRef<mlir::ModuleOp> buildLayerModule(mlir::MLIRContext &context,
                                                   const LayerSpec &spec,
                                                   ScheduleAttr schedule,
                                                   bool backward = true);

} // namespace pfc

#endif // PFC_IMPORT_LAYERMODULE_H
