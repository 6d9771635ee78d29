//===- BsrLoop.cpp - The layer as a plain BSR loop (no compiler) ----------===//
//
// Compiled with -O3 -march=native (bench/CMakeLists.txt): the baseline gets
// the build machine's vector units, as pfc's kernels get the host's.
//
//===----------------------------------------------------------------------===//
#include "Baselines.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace pfc {

namespace {

/// y += γ·x·Bᵀ for tokens [t0, t1), blocks of B×B, each stored transposed.
/// The block size is a template argument, as in a hand-written kernel: with
/// a constant trip count the inner loop becomes whole vector registers. (With
/// a run-time b, clang's vector loop wanted 64 iterations and b = 32 ran
/// scalar, 4x slower.)
template <int64_t B>
void addBlockSparse(const BlockMask &mask, const float *blocksT, const float *x,
                    const float *gammas, float *y, int64_t in, int64_t out,
                    int64_t t0, int64_t t1) {
  const int64_t *rowStart = mask.rowStart.data();
  const int64_t *colIndex = mask.colIndex.data();
  // Block-rows outside, so that a row's blocks stay in cache across the
  // tokens. Padded rows and columns are skipped.
  for (int64_t br = 0; br < mask.blockRows; ++br) {
    const int64_t rows = std::min(B, out - br * B);
    for (int64_t t = t0; t < t1; ++t) {
      float acc[B] = {};
      for (int64_t index = rowStart[br]; index < rowStart[br + 1]; ++index) {
        const int64_t bc = colIndex[index];
        const int64_t cols = std::min(B, in - bc * B);
        const float *xs = x + t * in + bc * B;
        const float *block = blocksT + index * B * B;
        for (int64_t j = 0; j < cols; ++j) {
          const float xj = xs[j];
          const float *column = block + j * B;
          for (int64_t i = 0; i < B; ++i)
            acc[i] += xj * column[i];
        }
      }
      float *yt = y + t * out + br * B;
      for (int64_t i = 0; i < rows; ++i)
        yt[i] += gammas[t - t0] * acc[i];
    }
  }
}

} // namespace

BsrLoopLayer::BsrLoopLayer(const LayerSpec &spec, const BlockMask &mask,
                           const LayerParams &params)
    : spec(spec), mask(mask), v(params.v), gateWeight(params.gateWeight),
      bias(params.bias), gamma(params.gamma), gateBias(params.gateBias) {
  const int64_t b = mask.block, r = spec.rank, out = spec.outFeatures;
  blocksT.resize(params.blocks.size());
  for (int64_t index = 0; index < mask.nnzBlocks(); ++index)
    for (int64_t i = 0; i < b; ++i)
      for (int64_t j = 0; j < b; ++j)
        blocksT[(index * b + j) * b + i] =
            params.blocks[(index * b + i) * b + j];
  uT.resize(params.u.size());
  for (int64_t o = 0; o < out; ++o)
    for (int64_t j = 0; j < r; ++j)
      uT[j * out + o] = params.u[o * r + j];
}

void BsrLoopLayer::forward(const float *x, int64_t tokens, float *y,
                           int64_t threads) const {
  threads = std::clamp<int64_t>(threads, 1, std::max<int64_t>(tokens, 1));
  std::vector<std::thread> workers;
  for (int64_t i = 1; i < threads; ++i)
    workers.emplace_back([=] {
      forwardTokens(x, y, tokens * i / threads, tokens * (i + 1) / threads);
    });
  forwardTokens(x, y, 0, tokens / threads);
  for (std::thread &worker : workers)
    worker.join();
}

void BsrLoopLayer::forwardTokens(const float *x, float *y, int64_t t0,
                                 int64_t t1) const {
  const int64_t in = spec.inFeatures, out = spec.outFeatures, r = spec.rank;
  const int64_t b = mask.block;
  std::vector<float> gammas(t1 - t0, gamma), xv(r);

  // y = (1 − γ)·(x·V)·Uᵀ + bias, token by token.
  for (int64_t t = t0; t < t1; ++t) {
    const float *xt = x + t * in;
    float *yt = y + t * out;
    if (spec.gammaMode == GammaMode::Gate) {
      float logit = gateBias;
      for (int64_t k = 0; k < in; ++k)
        logit += xt[k] * gateWeight[k];
      gammas[t - t0] = 1.0f - 1.0f / (1.0f + std::exp(-logit));
    }
    for (int64_t o = 0; o < out; ++o)
      yt[o] = spec.bias ? bias[o] : 0.0f;
    std::fill(xv.begin(), xv.end(), 0.0f);
    for (int64_t k = 0; k < in; ++k)
      for (int64_t j = 0; j < r; ++j)
        xv[j] += xt[k] * v[k * r + j];
    for (int64_t j = 0; j < r; ++j) {
      const float scale = (1.0f - gammas[t - t0]) * xv[j];
      for (int64_t o = 0; o < out; ++o)
        yt[o] += scale * uT[j * out + o];
    }
  }

  switch (b) {
  case 4:
    return addBlockSparse<4>(mask, blocksT.data(), x, gammas.data(), y, in, out,
                             t0, t1);
  case 8:
    return addBlockSparse<8>(mask, blocksT.data(), x, gammas.data(), y, in, out,
                             t0, t1);
  case 16:
    return addBlockSparse<16>(mask, blocksT.data(), x, gammas.data(), y, in,
                              out, t0, t1);
  case 32:
    return addBlockSparse<32>(mask, blocksT.data(), x, gammas.data(), y, in,
                              out, t0, t1);
  case 64:
    return addBlockSparse<64>(mask, blocksT.data(), x, gammas.data(), y, in,
                              out, t0, t1);
  case 128:
    return addBlockSparse<128>(mask, blocksT.data(), x, gammas.data(), y, in,
                               out, t0, t1);
  default: // 256, the largest block a spec allows
    return addBlockSparse<256>(mask, blocksT.data(), x, gammas.data(), y, in,
                               out, t0, t1);
  }
}

} // namespace pfc
