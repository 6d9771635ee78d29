//===- Jit.h - Compiling a layer in process ---------------------*- C++ -*-===//
#ifndef PFC_TARGET_JIT_H
#define PFC_TARGET_JIT_H

#include "pfc/Runtime/Layer.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace pfc {

struct CompileOptions {
  /// Threads a call is split over; 0 takes every hardware thread.
  int64_t threads = 0;
};

/// Compiles `spec` for the host CPU with ORC's LLJIT and returns the layer,
/// ready for setParams. `seconds`, when given, gets the compile time.
llvm::Expected<std::unique_ptr<Layer>>
compileLayer(const LayerSpec &spec, const CompileOptions &options = {},
             double *seconds = nullptr);

} // namespace pfc

#endif // PFC_TARGET_JIT_H
