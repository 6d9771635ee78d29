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
