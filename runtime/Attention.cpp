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

template <typename Call>
void Attention::forHeads(int64_t heads, Call call) const {
  ThreadPool &pool = ThreadPool::shared();
  const int64_t parts =
      std::clamp<int64_t>(std::min(kernel.threads, heads), 1, pool.size());
  pool.run(parts, [&](int64_t i) {
    call(heads * i / parts, heads * (i + 1) / parts);
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
  ThreadPool &pool = ThreadPool::shared();
  const int64_t threads = std::clamp<int64_t>(kernel.threads, 1, pool.size());
  const int64_t blockRows =
      (tokens + attentionSpec.block - 1) / attentionSpec.block;
  if (heads >= threads || blockRows < 2) {
    forHeads(heads, [&](int64_t h0, int64_t h1) {
      kernel.forward(q, k, v, w, o, stats, tokens, h0, h1, 0, blockRows);
    });
    return;
  }
  // Fewer heads than threads: each head's block-rows are split too.
  const int64_t chunks = std::min(blockRows, (threads + heads - 1) / heads);
  pool.run(heads * chunks, [&](int64_t i) {
    const int64_t head = i / chunks, chunk = i % chunks;
    kernel.forward(q, k, v, w, o, stats, tokens, head, head + 1,
                   blockRows * chunk / chunks,
                   blockRows * (chunk + 1) / chunks);
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
  forHeads(batch * attentionSpec.heads, [&](int64_t h0, int64_t h1) {
    kernel.backward(q, k, v, w, o, stats, dout, dq, dk, dv, tokens, h0, h1);
  });
}

} // namespace pfc
