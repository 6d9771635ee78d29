/* The compiler and runtime C APIs used from C: compiles as C, so both
 * headers stay valid C. */
#include "pfc/compiler.h"

#include <string.h>

int pfcTestRunLayer(const char *specPath, const char *paramsPath,
                    const float *x, const float *dy, int64_t tokens, float *y,
                    float *dx, float *const *grads, char *error,
                    size_t errorSize) {
  pfc_layer *layer = pfc_layer_compile(specPath, 0, error, errorSize);
  if (!layer)
    return 1;
  if (paramsPath &&
      pfc_layer_load_params(layer, paramsPath, error, errorSize) != 0) {
    pfc_layer_destroy(layer);
    return 2;
  }
  if (!paramsPath)
    pfc_layer_init_params(layer, 0);
  int code = 0;
  if (pfc_layer_forward(layer, x, tokens, y, error, errorSize) != 0)
    code = 3;
  else if (dy && pfc_layer_backward(layer, x, dy, tokens, dx, grads, error,
                                    errorSize) != 0)
    code = 3;
  pfc_layer_destroy(layer);
  return code;
}

/* Compiles the attention spec at `specPath` (compiledDir NULL) or loads the
 * one `pfc compile` wrote into `compiledDir`; gets its seq_len, heads and
 * head_dim into `sizes`, then runs o and, with dout, dq, dk and dv. */
int pfcTestRunAttention(const char *specPath, const char *compiledDir,
                        const float *q, const float *k, const float *v,
                        const float *dout, int64_t batch, int64_t tokens,
                        float *o, float *dq, float *dk, float *dv,
                        int64_t *sizes, char *error, size_t errorSize) {
  pfc_attention *attention =
      compiledDir ? pfc_attention_load(compiledDir, 0, error, errorSize)
                  : pfc_attention_compile(specPath, 0, error, errorSize);
  if (!attention)
    return 1;
  sizes[0] = pfc_attention_seq_len(attention);
  sizes[1] = pfc_attention_heads(attention);
  sizes[2] = pfc_attention_head_dim(attention);
  int code = 0;
  if (pfc_attention_forward(attention, q, k, v, batch, tokens, o, error,
                            errorSize) != 0)
    code = 3;
  else if (dout &&
           pfc_attention_backward(attention, q, k, v, dout, batch, tokens, dq,
                                  dk, dv, error, errorSize) != 0)
    code = 3;
  pfc_attention_destroy(attention);
  return code;
}
