//===- Layer.cpp - A compiled Pixelfly layer, ready to run ----------------===//
#include "pfc/Runtime/Layer.h"
#include "pfc/Runtime/ThreadPool.h"

#include "KernelParams.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace pfc {

Layer::Layer(LayerSpec spec, BlockMask mask, LayerKernel kernel)
    : layerSpec(std::move(spec)), blockMask(std::move(mask)),
      kernel(std::move(kernel)), scratch(std::make_unique<BackwardScratch>()) {}

bool Layer::setParams(const LayerParams &newParams, std::string &error) {
  if (!checkParamSizes(layerSpec, blockMask, newParams, error))
    return false;
  current = newParams;
  zeroBlockPadding(layerSpec, blockMask, current.blocks);
  const size_t rank = static_cast<size_t>(layerSpec.rank);
  // The kernel writes every element, padding included.
  packedBlocks.resize(current.blocks.size());
  packedU.resize(rank * layerSpec.paddedOut());
  kernel.pack(current.blocks.data(), rank ? current.u.data() : nullptr,
              packedBlocks.data(), rank ? packedU.data() : nullptr);
  gamma = kernelGamma(layerSpec, current);
  return true;
}

void Layer::forward(const float *x, int64_t tokens, float *y) const {
  auto data = [](const std::vector<float> &v) {
    return v.empty() ? nullptr : v.data();
  };
  const float *u = data(packedU), *v = data(current.v),
              *bias = data(current.bias);
  const float *g = data(gamma); // empty in fixed mode
  const int64_t blockRows = blockMask.blockRows;
  // Enough tokens for every thread to fill its register tiles: split the
  // tokens, each thread reading all weights. Otherwise (the memory-bound
  // case) split the block-rows, each thread reading its share of weights.
  ThreadPool &pool = ThreadPool::shared();
  const int64_t parts = std::clamp<int64_t>(kernel.threads, 1, pool.size());
  const bool byTokens = tokens >= parts * kernel.tile * 4 || parts > blockRows;
  const int64_t total = byTokens ? tokens : blockRows;
  const int64_t grain = byTokens ? kernel.tile : 1;
  const int64_t units = (total + grain - 1) / grain;
  const int64_t n = std::clamp<int64_t>(units, 1, parts);
  pool.run(n, [&](int64_t i) {
    int64_t begin = std::min(total, units * i / n * grain);
    int64_t end = std::min(total, units * (i + 1) / n * grain);
    if (byTokens)
      kernel.forward(x, data(packedBlocks), u, v, g, bias, y, tokens, begin,
                     end, 0, blockRows);
    else
      kernel.forward(x, data(packedBlocks), u, v, g, bias, y, tokens, 0, tokens,
                     begin, end);
  });
}

/// The gradients a part of a backward call sums over its tokens: the
/// parameters' shapes, with γ's (or the gate's weight and bias) in one array.
struct KernelGrads {
  std::vector<float> blocks, u, v, gamma, bias;

  /// Sizes the arrays for `spec` and `params` (no allocation when they are).
  void resize(const LayerSpec &spec, const LayerParams &params) {
    blocks.resize(params.blocks.size());
    u.resize(params.u.size());
    v.resize(params.v.size());
    bias.resize(params.bias.size());
    gamma.resize(kernelGammaSize(spec));
  }

  std::array<std::vector<float> *, 5> arrays() {
    return {&blocks, &u, &v, &gamma, &bias};
  }
};

/// What backward keeps between calls: the gradients of the parts of a call
/// (the first part's go straight to the caller's, but for γ's).
struct Layer::BackwardScratch {
  std::mutex mutex;
  std::vector<KernelGrads> parts;
};

Layer::~Layer() = default;

static float *data(std::vector<float> &v) {
  return v.empty() ? nullptr : v.data();
}

void Layer::backward(const float *x, const float *dy, int64_t tokens, float *dx,
                     LayerParams &grads) const {
  if (!kernel.backward) {
    std::fprintf(stderr,
                 "pfc: Layer::backward on layer '%s', compiled without its "
                 "backward kernel\n",
                 layerSpec.name.c_str());
    std::abort();
  }
  const LayerParams &p = current;
  auto in = [](const std::vector<float> &v) {
    return v.empty() ? nullptr : v.data();
  };
  const float *g = in(gamma); // empty in fixed mode
  // Every gradient is a sum over tokens: each part takes a share of the
  // tokens into gradients of its own, which are then added up.
  ThreadPool &pool = ThreadPool::shared();
  const int64_t parts = std::clamp<int64_t>(kernel.threads, 1, pool.size());
  const int64_t units = std::max<int64_t>(1, tokens / kernel.tile);
  const int64_t n = std::clamp<int64_t>(units, 1, parts);
  std::lock_guard<std::mutex> lock(scratch->mutex);
  std::vector<KernelGrads> &partial = scratch->parts;
  partial.resize(n);
  KernelGrads &total = partial[0];
  // The first part writes into the caller's arrays, swapped in and back.
  std::swap(total.blocks, grads.blocks);
  std::swap(total.u, grads.u);
  std::swap(total.v, grads.v);
  std::swap(total.bias, grads.bias);
  for (KernelGrads &part : partial)
    part.resize(layerSpec, p);
  // Splitting dB's blocks between parts instead would spare its sum, but
  // every part would read (and pack) all of x and dY: more traffic whenever
  // dB is smaller than the batch's inputs and output gradients (the
  // dialect's pfc.layer_grad still takes a block range).
  pool.run(n, [&](int64_t i) {
    int64_t begin = i == 0 ? 0 : units * i / n * kernel.tile;
    int64_t end = i == n - 1 ? tokens : units * (i + 1) / n * kernel.tile;
    KernelGrads &out = partial[i];
    kernel.backward(x, dy, in(p.blocks), in(p.u), in(p.v), g, dx,
                    data(out.blocks), data(out.u), data(out.v), data(out.gamma),
                    data(out.bias), tokens, begin, end);
  });
  // The sums, each array split between the parts.
  if (n > 1)
    pool.run(n, [&](int64_t i) {
      for (size_t a = 0; a < total.arrays().size(); ++a) {
        std::vector<float> &sum = *total.arrays()[a];
        size_t begin = sum.size() * i / n, end = sum.size() * (i + 1) / n;
        for (int64_t j = 1; j < n; ++j) {
          const float *part = partial[j].arrays()[a]->data();
          for (size_t k = begin; k < end; ++k)
            sum[k] += part[k];
        }
      }
    });
  std::swap(total.blocks, grads.blocks);
  std::swap(total.u, grads.u);
  std::swap(total.v, grads.v);
  std::swap(total.bias, grads.bias);
  setGammaGrads(layerSpec, total.gamma.data(), grads);
}

} // namespace pfc
