//===- Params.cpp - Names, shapes and initialisation of layer parameters --===//
//
// The initialisation follows HazyResearch fly's SparseLRLinear, whose parts
// are a BlockSparseLinear (src/models/layers/blocksparse_linear.py), a
// LowRank module and an nn.Linear gate (src/models/layers/fastlinear.py):
//
//  - B: a dense kaiming_uniform_(a=√5) weight over the padded shape, bound
//    sqrt(6 / ((1 + a²)·fan_in)) = 1/sqrt(paddedIn), each block-row scaled by
//    sqrt(blockCols / nnz of that block-row), then only the nonzero blocks
//    kept. (fly spreads the scaling with einops '(b m)', which indexes rows
//    modulo the block-row count; it agrees with this per-block-row scaling
//    whenever every block-row has the same number of blocks, the usual case,
//    and the per-block-row form is what its comment says it means.)
//  - U = lr_weight2 [out, r] and V = lr_weight1ᵀ (lr_weight1 is [r, in]):
//    kaiming_uniform_(a=√5), so fan_in is r for U and in for V.
//  - the gate, nn.Linear(in, 1): weight kaiming_uniform_(a=√5), fan_in = in.
//    Its bias is not drawn: c = logit(1 − gammaInit), so that the gate starts
//    at γ = 1 − sigmoid(c) = gammaInit (c = 0 for the default 0.5).
//  - bias: uniform ±1/sqrt(in), nn.Linear's bound. (fly's SparseLRLinear
//    takes fan_in from bias.shape[0], i.e. out; pfc keeps nn.Linear's rule.)
//
// Padded rows and columns of B are zero. Each tensor draws from its own
// stream, so a layer's blocks do not change when its rank or bias does.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/Params.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace pfc {

std::vector<ParamInfo> paramInfos(const LayerSpec &spec,
                                  const BlockMask &mask) {
  const int64_t b = mask.block;
  std::vector<ParamInfo> infos = {{"blocks", {mask.nnzBlocks(), b, b}}};
  if (spec.rank > 0) {
    infos.push_back({"U", {spec.outFeatures, spec.rank}});
    infos.push_back({"V", {spec.inFeatures, spec.rank}});
  }
  if (spec.gammaMode == GammaMode::Gate) {
    infos.push_back({"gate.weight", {spec.inFeatures}});
    infos.push_back({"gate.bias", {}});
  } else {
    infos.push_back({"gamma", {}});
  }
  if (spec.bias)
    infos.push_back({"bias", {spec.outFeatures}});
  return infos;
}

namespace {

/// The streams of initParams, one per tensor.
enum Stream : uint64_t {
  BlocksStream = 1,
  UStream,
  VStream,
  GateStream,
  BiasStream
};

uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Uniform draws in [-bound, bound). std::uniform_real_distribution differs
/// between standard libraries; this conversion is the same everywhere.
class UniformStream {
public:
  UniformStream(uint64_t seed, Stream stream)
      : engine(splitMix64(seed ^ splitMix64(stream))) {}

  double operator()(double bound) {
    const double unit = static_cast<double>(engine() >> 11) * 0x1.0p-53;
    return (2.0 * unit - 1.0) * bound;
  }

private:
  std::mt19937_64 engine;
};

/// kaiming_uniform_(a=√5)'s bound: gain·sqrt(3/fan_in) with gain² = 2/(1+a²).
double kaimingUniformBound(int64_t fanIn) {
  const double a2 = 5.0;
  return std::sqrt(6.0 / ((1.0 + a2) * static_cast<double>(fanIn)));
}

std::vector<float> uniformVector(int64_t count, double bound, uint64_t seed,
                                 Stream stream) {
  UniformStream draw(seed, stream);
  std::vector<float> values(static_cast<size_t>(count));
  for (float &value : values)
    value = static_cast<float>(draw(bound));
  return values;
}

std::vector<float> initBlocks(const LayerSpec &spec, const BlockMask &mask,
                              uint64_t seed) {
  const int64_t b = mask.block;
  const double bound = kaimingUniformBound(mask.cols);
  UniformStream draw(seed, BlocksStream);
  std::vector<float> blocks(static_cast<size_t>(mask.nnzBlocks() * b * b));
  for (int64_t br = 0; br < mask.blockRows; ++br) {
    const int64_t first = mask.rowStart[br], last = mask.rowStart[br + 1];
    if (first == last)
      continue;
    const double scale = std::sqrt(static_cast<double>(mask.blockCols) /
                                   static_cast<double>(last - first));
    for (int64_t index = first; index < last; ++index) {
      const int64_t bc = mask.colIndex[index];
      float *block = blocks.data() + index * b * b;
      for (int64_t i = 0; i < b; ++i) {
        for (int64_t j = 0; j < b; ++j) {
          // Draw padded entries too: the real ones then do not depend on how
          // much padding there is within a block.
          const double value = draw(bound) * scale;
          const bool real =
              br * b + i < spec.outFeatures && bc * b + j < spec.inFeatures;
          block[i * b + j] = real ? static_cast<float>(value) : 0.0f;
        }
      }
    }
  }
  return blocks;
}

} // namespace

LayerParams initParams(const LayerSpec &spec, const BlockMask &mask,
                       uint64_t seed) {
  LayerParams params;
  params.blocks = initBlocks(spec, mask, seed);
  if (spec.rank > 0) {
    params.u = uniformVector(spec.outFeatures * spec.rank,
                             kaimingUniformBound(spec.rank), seed, UStream);
    params.v =
        uniformVector(spec.inFeatures * spec.rank,
                      kaimingUniformBound(spec.inFeatures), seed, VStream);
  }
  params.gamma = static_cast<float>(spec.gammaInit);
  if (spec.gammaMode == GammaMode::Gate) {
    params.gateWeight =
        uniformVector(spec.inFeatures, kaimingUniformBound(spec.inFeatures),
                      seed, GateStream);
    // The spec parser keeps a gate's init inside (0, 1); clamp anyway so that
    // a hand-built spec still gets a finite bias.
    const double gamma0 = std::clamp(spec.gammaInit, 1e-6, 1.0 - 1e-6);
    params.gateBias = static_cast<float>(std::log((1.0 - gamma0) / gamma0));
  }
  if (spec.bias)
    params.bias = uniformVector(spec.outFeatures,
                                1.0 / std::sqrt(double(spec.inFeatures)), seed,
                                BiasStream);
  return params;
}

} // namespace pfc
