/*===- pfc.h - pfc's C API ----------------------------------------*- C -*-===*\
|*                                                                            *|
|* Compile a Pixelfly layer spec in process and run it, from C or any         *|
|* language with a C FFI. Functions that can fail return NULL or a nonzero    *|
|* code and write a one-line message into `error` (when not NULL).            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef PFC_PFC_H
#define PFC_PFC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pfc_layer pfc_layer;

/* Compiles the layer spec at `spec_path` for the host CPU; `threads` is how
 * many threads a call is split over (0: all). The layer starts with the
 * reference initialisation of seed 0. */
pfc_layer *pfc_layer_compile(const char *spec_path, int threads, char *error,
                             size_t error_size);

/* Sets the reference initialisation (as `pfc init --seed`). */
void pfc_layer_init_params(pfc_layer *layer, uint64_t seed);

/* Loads parameters from a safetensors file (as `pfc init` writes). */
int pfc_layer_load_params(pfc_layer *layer, const char *path, char *error,
                          size_t error_size);

/* y [tokens, out] = the layer applied to x [tokens, in], row-major f32;
 * nothing for tokens <= 0. */
void pfc_layer_forward(const pfc_layer *layer, const float *x, int64_t tokens,
                       float *y);

int64_t pfc_layer_in_features(const pfc_layer *layer);
int64_t pfc_layer_out_features(const pfc_layer *layer);

void pfc_layer_destroy(pfc_layer *layer);

#ifdef __cplusplus
}
#endif

#endif /* PFC_PFC_H */
