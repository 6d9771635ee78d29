//===- KernelParams.cpp - A layer's parameters as its kernels take them ---===//
#include "KernelParams.h"

namespace pfc {

static bool checkSize(const std::vector<float> &tensor, size_t expected,
                      const char *name, std::string &error) {
  if (tensor.size() == expected)
    return true;
  error = std::string("parameter '") + name + "' has " +
          std::to_string(tensor.size()) + " elements (expected " +
          std::to_string(expected) + ")";
  return false;
}

bool checkParamSizes(const LayerSpec &spec, const BlockMask &mask,
                     const LayerParams &params, std::string &error) {
  size_t b = static_cast<size_t>(spec.block);
  size_t rank = static_cast<size_t>(spec.rank);
  bool gate = spec.gammaMode == GammaMode::Gate;
  return checkSize(params.blocks, mask.nnzBlocks() * b * b, "blocks", error) &&
         checkSize(params.u, spec.outFeatures * rank, "U", error) &&
         checkSize(params.v, spec.inFeatures * rank, "V", error) &&
         checkSize(params.gateWeight, gate ? spec.inFeatures : 0, "gate.weight",
                   error) &&
         checkSize(params.bias, spec.bias ? spec.outFeatures : 0, "bias",
                   error);
}

void zeroBlockPadding(const LayerSpec &spec, const BlockMask &mask,
                      std::vector<float> &blocks) {
  const int64_t b = spec.block;
  if (spec.outFeatures % b == 0 && spec.inFeatures % b == 0)
    return;
  float *values = blocks.data();
  for (const auto &[row, col] : mask.blocks()) {
    for (int64_t i = 0; i < b; ++i)
      for (int64_t j = 0; j < b; ++j)
        if (row * b + i >= spec.outFeatures || col * b + j >= spec.inFeatures)
          values[i * b + j] = 0.0f;
    values += b * b;
  }
}

size_t kernelGammaSize(const LayerSpec &spec) {
  switch (spec.gammaMode) {
  case GammaMode::Gate:
    return static_cast<size_t>(spec.inFeatures) + 1;
  case GammaMode::Scalar:
    return 1;
  case GammaMode::Fixed:
    return 0;
  }
  return 0;
}

std::vector<float> kernelGamma(const LayerSpec &spec,
                               const LayerParams &params) {
  switch (spec.gammaMode) {
  case GammaMode::Gate: {
    std::vector<float> gamma = params.gateWeight;
    gamma.push_back(params.gateBias);
    return gamma;
  }
  case GammaMode::Scalar:
    return {params.gamma};
  case GammaMode::Fixed:
    return {};
  }
  return {};
}

void setGammaGrads(const LayerSpec &spec, const float *kernelGrad,
                   LayerParams &grads) {
  grads.gamma = 0.0f;
  grads.gateBias = 0.0f;
  grads.gateWeight.clear();
  if (spec.gammaMode == GammaMode::Scalar) {
    grads.gamma = kernelGrad[0];
  } else if (spec.gammaMode == GammaMode::Gate) {
    grads.gateWeight.assign(kernelGrad, kernelGrad + spec.inFeatures);
    grads.gateBias = kernelGrad[spec.inFeatures];
  }
}

} // namespace pfc
