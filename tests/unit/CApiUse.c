/* The C API used from C: compiles as C, so pfc.h stays valid C. */
#include "pfc/pfc.h"

int pfcTestRunLayer(const char *specPath, const char *paramsPath,
                    const float *x, int64_t tokens, float *y, char *error,
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
  pfc_layer_forward(layer, x, tokens, y);
  pfc_layer_destroy(layer);
  return 0;
}
