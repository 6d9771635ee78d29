//===- Attention.cpp - A compiled Pixelfly attention, ready to run --------===//
#include "pfc/Runtime/Attention.h"
#include "pfc/Pattern/RandomFeatures.h"
#include "pfc/Runtime/ThreadPool.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace pfc {

Attention::Attention(AttentionSpec spec, AttentionKernel kernel)
    : attentionSpec(std::move(spec)), supportMask(attentionSpec.support()),
      featureMatrix(drawRandomFeatures(attentionSpec)),
      kernel(std::move(kernel)) {
  // The kernel reads Wᵀ [d, m/2].
  const int64_t half = attentionSpec.features / 2, d = attentionSpec.headDim;
  featuresT.resize(featureMatrix.size());
  for (int64_t r = 0; r < half; ++r)
    for (int64_t c = 0; c < d; ++c)
      featuresT[static_cast<size_t>(c * half + r)] =
          featureMatrix[static_cast<size_t>(r * d + c)];
}

int64_t Attention::chunksFor(int64_t heads, int64_t tokens) const {
  const int64_t threads =
      std::clamp<int64_t>(kernel.threads, 1, ThreadPool::shared().size());
  const int64_t blockRows =
      (tokens + attentionSpec.block - 1) / attentionSpec.block;
  if (heads >= threads || blockRows < 2)
    return 1;
  return std::min(blockRows, (threads + heads - 1) / heads);
}

template <typename Call>
void Attention::forParts(int64_t heads, int64_t tokens, int64_t chunks,
                         Call call) const {
  ThreadPool &pool = ThreadPool::shared();
  const int64_t blockRows =
      (tokens + attentionSpec.block - 1) / attentionSpec.block;
  if (chunks == 1) {
    const int64_t parts =
        std::clamp<int64_t>(std::min(kernel.threads, heads), 1, pool.size());
    pool.run(parts, [&](int64_t i) {
      call(heads * i / parts, heads * (i + 1) / parts, 0, blockRows, 0);
    });
    return;
  }
  pool.run(heads * chunks, [&](int64_t i) {
    const int64_t head = i / chunks, chunk = i % chunks;
    call(head, head + 1, blockRows * chunk / chunks,
         blockRows * (chunk + 1) / chunks, chunk);
  });
}

void Attention::forward(const float *q, const float *k, const float *v,
                        int64_t batch, int64_t tokens, float *o,
                        float *stats) const {
  const int64_t heads = batch * attentionSpec.heads;
  std::vector<float> scratch;
  if (!stats) {
    scratch.resize(static_cast<size_t>(heads * tokens * 3));
    stats = scratch.data();
  }
  const float *w = featuresT.empty() ? nullptr : featuresT.data();
  // Each part writes its own queries' rows.
  forParts(heads, tokens, chunksFor(heads, tokens),
           [&](int64_t h0, int64_t h1, int64_t r0, int64_t r1, int64_t) {
             kernel.forward(q, k, v, w, o, stats, tokens, h0, h1, r0, r1);
           });
}

void Attention::backward(const float *q, const float *k, const float *v,
                         int64_t batch, int64_t tokens, const float *o,
                         const float *stats, const float *dout, float *dq,
                         float *dk, float *dv) const {
  if (!kernel.backward) {
    std::fprintf(stderr,
                 "pfc: attention '%s' was compiled without its "
                 "backward kernel\n",
                 attentionSpec.name.c_str());
    std::abort();
  }
  const float *w = featuresT.empty() ? nullptr : featuresT.data();
  const int64_t heads = batch * attentionSpec.heads;
  const int64_t chunks = chunksFor(heads, tokens);
  // Every chunk of block-rows but the first writes its part of dq, dk and
  // dv to scratch, added up after.
  const size_t n = static_cast<size_t>(heads * tokens * attentionSpec.headDim);
  std::unique_ptr<float[]> scratch(
      chunks > 1 ? new float[3 * n * static_cast<size_t>(chunks - 1)]
                 : nullptr);
  forParts(heads, tokens, chunks,
           [&](int64_t h0, int64_t h1, int64_t r0, int64_t r1, int64_t chunk) {
             float *part =
                 chunk ? scratch.get() + 3 * n * static_cast<size_t>(chunk - 1)
                       : nullptr;
             kernel.backward(q, k, v, w, o, stats, dout, part ? part : dq,
                             part ? part + n : dk, part ? part + 2 * n : dv,
                             tokens, h0, h1, r0, r1);
           });
  float *grads[] = {dq, dk, dv};
  for (int64_t chunk = 1; chunk < chunks; ++chunk)
    for (size_t g = 0; g < 3; ++g) {
      const float *part =
          scratch.get() + 3 * n * static_cast<size_t>(chunk - 1) + g * n;
      for (size_t i = 0; i < n; ++i)
        grads[g][i] += part[i];
    }
}

} // namespace pfc
