/* Runs an AOT-compiled layer (pfc compile) on raw f32 files, splitting the
 * work into token and block-row ranges the way the runtime's threads do.
 * Usage: aot-driver DIR TOKENS, with DIR holding <tensor>.bin files from
 * arrays.py raw-params and x.bin; writes DIR/y.bin. */
#include LAYER_HEADER

#include <stdio.h>
#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define MACRO(name) CAT(LAYER_MACRO, name)
#define SYMBOL(name) CAT(LAYER_SYMBOL, name)

/* Reads `count` floats into a zeroed buffer with room for `spare` more. */
static float *readFloats(const char *dir, const char *name, size_t count,
                         size_t spare) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.bin", dir, name);
  float *data = calloc(count + spare + 1, sizeof(float));
  FILE *file = fopen(path, "rb");
  if (!file)
    return data; /* a part the layer lacks */
  size_t got = fread(data, sizeof(float), count, file);
  fclose(file);
  if (got != count) {
    fprintf(stderr, "%s: %zu floats, expected %zu\n", path, got, count);
    exit(1);
  }
  return data;
}

int main(int argc, char **argv) {
  const char *dir = argv[1];
  long tokens = atol(argv[2]);
  const size_t in = MACRO(_IN_FEATURES), out = MACRO(_OUT_FEATURES);
  const size_t b = MACRO(_BLOCK), rank = MACRO(_RANK);
  float *blocks = readFloats(dir, "blocks", MACRO(_NNZ_BLOCKS) * b * b, 0);
  float *u = readFloats(dir, "U", out * rank, 0);
  float *v = readFloats(dir, "V", in * rank, 0);
  float *gamma = readFloats(dir, "gamma", 1, 0);
  float *gate = readFloats(dir, "gate.weight", in, 1);
  float *gateBias = readFloats(dir, "gate.bias", 1, 0);
  float *bias = readFloats(dir, "bias", out, 0);
  float *x = readFloats(dir, "x", tokens * in, 0);
  gate[in] = gateBias[0];
  float *packedBlocks = calloc(MACRO(_NNZ_BLOCKS) * b * b, sizeof(float));
  float *packedU = calloc(MACRO(_PACKED_U_FLOATS) + 1, sizeof(float));
  float *y = calloc(tokens * out, sizeof(float));
  SYMBOL(_pack)(blocks, u, packedBlocks, packedU);
  const float *g = GATE ? gate : gamma;
  /* First half of the tokens in one call, the rest split by block-rows. */
  long half = tokens / 2, rows = MACRO(_BLOCK_ROWS);
  SYMBOL(_forward)
  (x, packedBlocks, packedU, v, g, bias, y, tokens, 0, half, 0, rows);
  SYMBOL(_forward)
  (x, packedBlocks, packedU, v, g, bias, y, tokens, half, tokens, 0, rows / 2);
  SYMBOL(_forward)
  (x, packedBlocks, packedU, v, g, bias, y, tokens, half, tokens, rows / 2,
   rows);
  char path[4096];
  snprintf(path, sizeof path, "%s/y.bin", dir);
  FILE *file = fopen(path, "wb");
  fwrite(y, sizeof(float), tokens * out, file);
  fclose(file);
  return 0;
}
