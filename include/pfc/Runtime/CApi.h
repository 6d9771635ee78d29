//===- CApi.h - The handles behind pfc's C APIs -----------------*- C++ -*-===//
//
// pfc/runtime.h's handle holds a Layer; the compiler C API (pfc/compiler.h)
// makes the same handles from layers it compiles in process.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_CAPI_H
#define PFC_RUNTIME_CAPI_H

#include "pfc/Runtime/Layer.h"
#include "pfc/runtime.h"

#include <memory>
#include <string_view>

namespace pfc {

/// A handle for `layer`, which starts with the reference initialisation of
/// seed 0.
pfc_layer *wrapLayer(std::unique_ptr<Layer> layer);

/// Copies `message`, without its trailing newlines, into `error` (when not
/// null), cut to `size` bytes with its NUL.
void setCError(char *error, size_t size, std::string_view message);

} // namespace pfc

#endif // PFC_RUNTIME_CAPI_H
