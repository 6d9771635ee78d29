/*===- runtime.h - pfc's runtime C API ----------------------------*- C -*-===*\
|*                                                                            *|
|* Load a layer that `pfc compile` wrote and run it forward and backward,     *|
|* with no compiler in the process (link the PfcRuntime library only). The    *|
|* compiler C API (pfc/compiler.h) makes the same handles in process. A       *|
|* Pixelfly attention (docs/ATTENTION.md) has a handle of its own, CPU only.  *|
|* Functions that can fail return NULL or a nonzero code and write a          *|
|* one-line message into `error` (when not NULL; `error_size` bytes, the      *|
|* message cut to fit). Calls on one handle run one at a time.                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef PFC_RUNTIME_H
#define PFC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* C names, snake_case as C APIs spell them, not LLVM's C++ style. */
/* NOLINTBEGIN(readability-identifier-naming) */

typedef struct pfc_layer pfc_layer;

/* Loads the layer `pfc compile` wrote into `dir`: for the host CPU (its
 * manifest.json and shared library; a call is split over `threads` parts,
 * 0: as compiled), or for CUDA (its launch plan and the cubin or PTX that
 * runs on device 0; `threads` is not used). The layer starts with the
 * reference initialisation of seed 0. */
pfc_layer *pfc_layer_load(const char *dir, int threads, char *error,
                          size_t error_size);

/* Sets the reference initialisation (as `pfc init --seed`). */
void pfc_layer_init_params(pfc_layer *layer, uint64_t seed);

/* Loads parameters from a safetensors file (as `pfc init` writes). */
int pfc_layer_load_params(pfc_layer *layer, const char *path, char *error,
                          size_t error_size);

/* The layer's parameter tensors, in a fixed order: blocks, U, V, gamma,
 * gate.weight, gate.bias, bias (those the layer has), under the names of
 * `pfc init`'s safetensors file; each one's size in floats. */
int pfc_layer_param_count(const pfc_layer *layer);
const char *pfc_layer_param_name(const pfc_layer *layer, int index);
int64_t pfc_layer_param_size(const pfc_layer *layer, int index);

/* Sets the parameters from one f32 array per tensor, in that order. */
int pfc_layer_set_params(pfc_layer *layer, const float *const *params,
                         char *error, size_t error_size);

/* "cpu" or "cuda": where the layer runs. */
const char *pfc_layer_target(const pfc_layer *layer);

/* "f32", "bf16" or "f16": the element type of a CUDA layer's device buffers
 * (x, y, dy, dx). Host arrays are f32 always, converted as need be. */
const char *pfc_layer_dtype(const pfc_layer *layer);

/* y [tokens, out] = the layer applied to x [tokens, in], row-major f32 host
 * arrays; nothing for tokens <= 0. Fails only for a CUDA layer (a device
 * error). */
int pfc_layer_forward(const pfc_layer *layer, const float *x, int64_t tokens,
                      float *y, char *error, size_t error_size);

/* Given x [tokens, in] and dy [tokens, out] = d(loss)/dy: dx [tokens, in]
 * and grads[i] = d(loss)/d(parameter tensor i), summed over the tokens, one
 * array per tensor in pfc_layer_param_name's order. */
int pfc_layer_backward(const pfc_layer *layer, const float *x,
                       const float *dy, int64_t tokens, float *dx,
                       float *const *grads, char *error, size_t error_size);

/* CUDA layers only: pfc_layer_forward and pfc_layer_backward on device
 * buffers (CUdeviceptr values) of device 0: x, y, dy, dx of the layer's
 * dtype, the gradients f32 (one buffer per parameter tensor, in
 * pfc_layer_param_name's order). The work is queued on `stream` (a
 * CUstream; NULL: the legacy default stream) and waited for. */
int pfc_layer_forward_device(const pfc_layer *layer, uint64_t x, int64_t tokens,
                             uint64_t y, void *stream, char *error,
                             size_t error_size);
int pfc_layer_backward_device(const pfc_layer *layer, uint64_t x, uint64_t dy,
                              int64_t tokens, uint64_t dx,
                              const uint64_t *grads, void *stream, char *error,
                              size_t error_size);

int64_t pfc_layer_in_features(const pfc_layer *layer);
int64_t pfc_layer_out_features(const pfc_layer *layer);

void pfc_layer_destroy(pfc_layer *layer);

/* Pixelfly attention: q, k, v and o are row-major f32 host arrays [batch,
 * heads, tokens, head_dim], heads and head_dim the spec's, 1 <= tokens <=
 * seq_len. */
typedef struct pfc_attention pfc_attention;

/* Loads the attention `pfc compile` wrote into `dir` (the CPU target: its
 * manifest.json and shared library); a call is split over `threads` parts
 * (0: as compiled). */
pfc_attention *pfc_attention_load(const char *dir, int threads, char *error,
                                  size_t error_size);

/* The spec's sizes: the most tokens a call takes, the heads, head_dim. */
int64_t pfc_attention_seq_len(const pfc_attention *attention);
int64_t pfc_attention_heads(const pfc_attention *attention);
int64_t pfc_attention_head_dim(const pfc_attention *attention);

/* o = the attention of q, k, v. Nothing for batch <= 0 or tokens <= 0;
 * fails for tokens > seq_len. */
int pfc_attention_forward(const pfc_attention *attention, const float *q,
                          const float *k, const float *v, int64_t batch,
                          int64_t tokens, float *o, char *error,
                          size_t error_size);

/* Given dout = d(loss)/do: dq, dk, dv = d(loss)/d(q, k, v), each of q's
 * shape. Runs the forward again for what the backward needs. */
int pfc_attention_backward(const pfc_attention *attention, const float *q,
                           const float *k, const float *v, const float *dout,
                           int64_t batch, int64_t tokens, float *dq, float *dk,
                           float *dv, char *error, size_t error_size);

void pfc_attention_destroy(pfc_attention *attention);

/* NOLINTEND(readability-identifier-naming) */

#ifdef __cplusplus
}
#endif

#endif /* PFC_RUNTIME_H */
