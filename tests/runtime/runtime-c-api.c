/* A C program that runs an AOT-compiled layer through the runtime C API
 * (pfc/runtime.h), linked with the runtime library alone: no LLVM, no MLIR,
 * no compiler. tests/lit/CLI/runtime-api.test compares what it writes with
 * an fp64 reference.
 *
 *   pfc-runtime-c-api DIR PARAMS.safetensors X.bin DY.bin TOKENS OUT
 *
 * reads raw f32 x [TOKENS, in] and dy [TOKENS, out] and writes OUT/y.bin,
 * OUT/dx.bin and OUT/<tensor>.bin for every parameter's gradient. */
#include "pfc/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *readFloats(const char *path, int64_t count) {
  float *values = malloc(sizeof(float) * (count ? count : 1));
  FILE *file = fopen(path, "rb");
  if (!file || fread(values, sizeof(float), count, file) != (size_t)count) {
    fprintf(stderr, "%s: error: cannot read %lld floats\n", path,
            (long long)count);
    exit(1);
  }
  fclose(file);
  return values;
}

static void writeFloats(const char *dir, const char *name,
                        const float *values, int64_t count) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.bin", dir, name);
  FILE *file = fopen(path, "wb");
  if (!file || fwrite(values, sizeof(float), count, file) != (size_t)count ||
      fclose(file) != 0) {
    fprintf(stderr, "%s: error: cannot write\n", path);
    exit(1);
  }
}

/* NaN, so that anything the layer leaves unwritten shows. */
static float *poisoned(int64_t count) {
  float *values = malloc(sizeof(float) * (count ? count : 1));
  for (int64_t i = 0; i < count; ++i)
    values[i] = 0.0f / 0.0f;
  return values;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s DIR PARAMS X.bin DY.bin TOKENS OUT\n", argv[0]);
    return 2;
  }
  char error[1024];
  pfc_layer *layer = pfc_layer_load(argv[1], 0, error, sizeof error);
  if (!layer) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  if (pfc_layer_load_params(layer, argv[2], error, sizeof error) != 0) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  int64_t tokens = atoll(argv[5]);
  int64_t in = pfc_layer_in_features(layer);
  int64_t out = pfc_layer_out_features(layer);
  float *x = readFloats(argv[3], tokens * in);
  float *dy = readFloats(argv[4], tokens * out);
  float *y = poisoned(tokens * out), *dx = poisoned(tokens * in);
  int count = pfc_layer_param_count(layer);
  float **grads = malloc(sizeof(float *) * count);
  for (int i = 0; i < count; ++i)
    grads[i] = poisoned(pfc_layer_param_size(layer, i));

  if (pfc_layer_forward(layer, x, tokens, y, error, sizeof error) != 0 ||
      pfc_layer_backward(layer, x, dy, tokens, dx, grads, error,
                         sizeof error) != 0) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  writeFloats(argv[6], "y", y, tokens * out);
  writeFloats(argv[6], "dx", dx, tokens * in);
  for (int i = 0; i < count; ++i) {
    writeFloats(argv[6], pfc_layer_param_name(layer, i), grads[i],
                pfc_layer_param_size(layer, i));
    free(grads[i]);
  }
  printf("%s: %d parameter tensors, forward and backward on %lld tokens\n",
         argv[1], count, (long long)tokens);
  free(grads);
  free(x);
  free(dy);
  free(y);
  free(dx);
  pfc_layer_destroy(layer);
  return 0;
}
