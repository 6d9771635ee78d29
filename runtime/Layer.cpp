//===- Layer.cpp - A compiled Pixelfly layer, ready to run ----------------===//
#include "pfc/Runtime/Layer.h"
#include "pfc/Runtime/ThreadPool.h"

#include <algorithm>

namespace pfc {

Layer::Layer(LayerSpec spec, BlockMask mask, LayerKernel kernel)
    : layerSpec(std::move(spec)), blockMask(std::move(mask)),
      kernel(std::move(kernel)) {}

static bool checkSize(const std::vector<float> &tensor, size_t expected,
                      const char *name, std::string &error) {
  if (tensor.size() == expected)
    return true;
  error = std::string("parameter '") + name + "' has " +
          std::to_string(tensor.size()) + " elements (expected " +
          std::to_string(expected) + ")";
  return false;
}

bool Layer::setParams(const LayerParams &newParams, std::string &error) {
  const LayerSpec &s = layerSpec;
  size_t b = static_cast<size_t>(s.block);
  size_t rank = static_cast<size_t>(s.rank);
  bool gate = s.gammaMode == GammaMode::Gate;
  if (!checkSize(newParams.blocks, blockMask.nnzBlocks() * b * b, "blocks",
                 error) ||
      !checkSize(newParams.u, s.outFeatures * rank, "U", error) ||
      !checkSize(newParams.v, s.inFeatures * rank, "V", error) ||
      !checkSize(newParams.gateWeight, gate ? s.inFeatures : 0, "gate.weight",
                 error) ||
      !checkSize(newParams.bias, s.bias ? s.outFeatures : 0, "bias", error))
    return false;
  params = newParams;
  packedBlocks.assign(params.blocks.size(), 0.0f);
  packedU.assign(rank * s.paddedOut(), 0.0f);
  kernel.pack(params.blocks.data(), rank ? params.u.data() : nullptr,
              packedBlocks.data(), rank ? packedU.data() : nullptr);
  if (gate) {
    gamma = params.gateWeight;
    gamma.push_back(params.gateBias);
  } else {
    gamma = {params.gamma};
  }
  return true;
}

void Layer::forward(const float *x, int64_t tokens, float *y) const {
  auto data = [](const std::vector<float> &v) {
    return v.empty() ? nullptr : v.data();
  };
  const float *u = data(packedU), *v = data(params.v),
              *bias = data(params.bias);
  const float *g =
      layerSpec.gammaMode == GammaMode::Fixed ? nullptr : data(gamma);
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

} // namespace pfc
