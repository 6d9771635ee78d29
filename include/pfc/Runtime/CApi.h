//===- CApi.h - The handles behind pfc's C APIs -----------------*- C++ -*-===//
//
// pfc/runtime.h's handles hold a Layer or an Attention; the compiler C API
// (pfc/compiler.h) makes the same handles from what it compiles in process.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_CAPI_H
#define PFC_RUNTIME_CAPI_H

#include "pfc/Runtime/Attention.h"
#include "pfc/Runtime/Layer.h"
#include "pfc/runtime.h"

#include <memory>
#include <string_view>

namespace pfc {

/// A handle for `layer`, which starts with the reference initialisation of
/// seed 0.
pfc_layer *wrapLayer(std::unique_ptr<Layer> layer);

/// A handle for `attention`.
pfc_attention *wrapAttention(std::unique_ptr<Attention> attention);

/// Copies `message`, without its trailing newlines, into `error` (when not
/// null), cut to `size` bytes with its NUL.
void setCError(char *error, size_t size, std::string_view message);

} // namespace pfc

#endif // PFC_RUNTIME_CAPI_H
