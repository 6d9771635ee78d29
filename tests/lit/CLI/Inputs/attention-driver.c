/* Runs an AOT-compiled attention (pfc compile) on raw f32 files, in ranges
 * of heads and of block-rows as the runtime's threads split them. The spec
 * must have no
 * random features (the kernels' features argument is then NULL).
 * Usage: attention-driver DIR BATCH TOKENS, with DIR holding q.bin, k.bin,
 * v.bin and dout.bin [BATCH, heads, TOKENS, head_dim]; writes DIR/o.bin,
 * dq.bin, dk.bin and dv.bin. */
#include ATTENTION_HEADER

#include <stdio.h>
#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define MACRO(name) CAT(ATTENTION_MACRO, name)
#define SYMBOL(name) CAT(ATTENTION_SYMBOL, name)

#if MACRO(_FEATURES) != 0
#error "the driver passes no random features"
#endif

static float *readFloats(const char *dir, const char *name, size_t count) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.bin", dir, name);
  float *data = calloc(count + 1, sizeof(float));
  FILE *file = fopen(path, "rb");
  size_t got = file ? fread(data, sizeof(float), count, file) : 0;
  if (file)
    fclose(file);
  if (got != count) {
    fprintf(stderr, "%s: %zu floats, expected %zu\n", path, got, count);
    exit(1);
  }
  return data;
}

static void writeFloats(const char *dir, const char *name, const float *data,
                        size_t count) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.bin", dir, name);
  FILE *file = fopen(path, "wb");
  if (!file || fwrite(data, sizeof(float), count, file) != count ||
      fclose(file) != 0) {
    fprintf(stderr, "%s: cannot write\n", path);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s DIR BATCH TOKENS\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  const int64_t batch = atol(argv[2]), tokens = atol(argv[3]);
  const int64_t heads = batch * MACRO(_HEADS);
  const size_t n = (size_t)(heads * tokens * MACRO(_HEAD_DIM));
  float *q = readFloats(dir, "q", n), *k = readFloats(dir, "k", n);
  float *v = readFloats(dir, "v", n), *dout = readFloats(dir, "dout", n);
  float *o = calloc(n + 1, sizeof(float));
  float *stats = calloc((size_t)(heads * tokens * MACRO(_STATS_PER_ROW)) + 1,
                        sizeof(float));
  float *dq = calloc(n + 1, sizeof(float)), *dk = calloc(n + 1, sizeof(float));
  float *dv = calloc(n + 1, sizeof(float));
  /* The first half of the heads whole, the rest in two ranges of
   * block-rows, as threads would run them. */
  const int64_t split = heads / 2;
  const int64_t rows = (tokens + MACRO(_BLOCK) - 1) / MACRO(_BLOCK);
  SYMBOL(_forward)(q, k, v, NULL, o, stats, tokens, 0, split, 0, rows);
  SYMBOL(_forward)(q, k, v, NULL, o, stats, tokens, split, heads, 0, rows / 2);
  SYMBOL(_forward)(q, k, v, NULL, o, stats, tokens, split, heads, rows / 2,
                   rows);
  /* The backward overwrites its heads' dq, dk, dv, so the second range of
   * block-rows writes other buffers, added to the first's: the sum is the
   * gradient. */
  float *dq2 = calloc(n + 1, sizeof(float)),
        *dk2 = calloc(n + 1, sizeof(float));
  float *dv2 = calloc(n + 1, sizeof(float));
  SYMBOL(_backward)(q, k, v, NULL, o, stats, dout, dq, dk, dv, tokens, 0, split,
                    0, rows);
  SYMBOL(_backward)(q, k, v, NULL, o, stats, dout, dq, dk, dv, tokens, split,
                    heads, 0, rows / 2);
  SYMBOL(_backward)(q, k, v, NULL, o, stats, dout, dq2, dk2, dv2, tokens, split,
                    heads, rows / 2, rows);
  for (size_t i = (size_t)(split * tokens * MACRO(_HEAD_DIM)); i < n; ++i) {
    dq[i] += dq2[i];
    dk[i] += dk2[i];
    dv[i] += dv2[i];
  }
  writeFloats(dir, "o", o, n);
  writeFloats(dir, "dq", dq, n);
  writeFloats(dir, "dk", dk, n);
  writeFloats(dir, "dv", dv, n);
  return 0;
}
