/*===- compiler.h - pfc's compiler C API -----------------------*- C -*-===*\
|*                                                                            *|
|* Compile a Pixelfly layer or attention spec in process (link the PfcTarget  *|
|* library, and with it LLVM and MLIR). The handles are the runtime C API's   *|
|* (pfc/runtime.h): set parameters, run forward and backward, destroy them    *|
|* with those functions.                                                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef PFC_COMPILER_H
#define PFC_COMPILER_H

#include "pfc/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C names, snake_case as C APIs spell them, not LLVM's C++ style. */
/* NOLINTBEGIN(readability-identifier-naming) */

/* Compiles the layer spec at `spec_path` for the host CPU, forward and
 * backward; `threads` is how many parts a call is split over (0: every
 * hardware thread). The layer starts with the reference initialisation of
 * seed 0. NULL with the reason in `error` (the spec's own `file:line:col`
 * errors included). */
pfc_layer *pfc_layer_compile(const char *spec_path, int threads, char *error,
                             size_t error_size);

/* Compiles the attention spec at `spec_path` for the host CPU, forward and
 * backward; `threads` as for pfc_layer_compile. NULL with the reason in
 * `error` (a layer spec given here among them). */
pfc_attention *pfc_attention_compile(const char *spec_path, int threads,
                                     char *error, size_t error_size);

/* NOLINTEND(readability-identifier-naming) */

#ifdef __cplusplus
}
#endif

#endif /* PFC_COMPILER_H */
