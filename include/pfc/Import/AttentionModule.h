//===- AttentionModule.h - An attention spec as pfc IR ----------*- C++ -*-===//
#ifndef PFC_IMPORT_ATTENTIONMODULE_H
#define PFC_IMPORT_ATTENTIONMODULE_H

#include "pfc/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace pfc {

/// The C symbol prefix of an attention's kernels, as kernelSymbol(LayerSpec)
/// makes a layer's.
std::string kernelSymbol(const AttentionSpec &spec);

/// The module an attention spec compiles from: `<symbol>_forward` and
/// `<symbol>_backward` with the C interfaces pfc_attention_forward_fn and
/// pfc_attention_backward_fn (pfc/Runtime/Attention.h), each a loop over
/// the heads around one `pfc.attention` or `pfc.attention_grad` with the
/// spec's pattern (the backward only with `backward`).
mlir::OwningOpRef<mlir::ModuleOp>
buildAttentionModule(mlir::MLIRContext &context, const AttentionSpec &spec,
                     bool backward = true);

} // namespace pfc

#endif // PFC_IMPORT_ATTENTIONMODULE_H
