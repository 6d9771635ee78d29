//===- GradTestUtil.h - Gradients against the fp64 reference ----*- C++ -*-===//
//
// One check of a layer's gradients (LayerParams and dx) against
// referenceBackward, with bounds that know which gradients are sums that
// can cancel: LayerGradTest (the JIT), CApiTest (the C API) and the CUDA
// layer's GPU test use it.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TESTS_UNIT_GRADTESTUTIL_H
#define PFC_TESTS_UNIT_GRADTESTUTIL_H

#include "pfc/Runtime/Params.h"
#include "pfc/Runtime/Reference.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace pfc {

/// Whether element `i` of the blocks tensor lies in the padding.
inline bool isPadding(const LayerSpec &spec, const BlockMask &mask,
                      const std::vector<std::pair<int64_t, int64_t>> &blocks,
                      size_t i) {
  const size_t b = mask.block;
  const auto [br, bc] = blocks[i / (b * b)];
  return br * mask.block + int64_t(i / b % b) >= spec.outFeatures ||
         bc * mask.block + int64_t(i % b) >= spec.inFeatures;
}

// Each gradient is a sum of fp32 products over the tokens (and, for dx,
// dγ and the gate, over a token's features); its normwise error against
// fp64 grows like √(terms)·2⁻²⁴: observed up to 1.3e-6 (dV) on the layers
// drawn here.
inline constexpr double kTolerance = 1e-5;
// dγ = Σ_t,o dy·(s − l) and the gate's dz_t = −dγ_t·γ_t·(1−γ_t) are sums of
// terms of either sign that often cancel to far less than the terms: their
// fp32 error is relative to the sum of the terms' sizes (see GammaScale), a
// thousand times their value at times. Observed: up to 3e-8 of that sum.
inline constexpr double kSumTolerance = 1e-6;

/// The sums of |terms| that dγ (scalar mode) and the gate's gradients are
/// sums of: Σ_t,o |dy|·(|x|·|B|ᵀ + |x|·|V|·|U|ᵀ), each token's share weighed
/// by γ_t·(1−γ_t) for the gate, and by |x_t| for its weight.
/// Likewise dU and dV, sums over tokens of products through a dot product
/// (dy·U, x·V) that can cancel too: Σ_t |dy_t,o|·(|x_t|·|V|) for U and
/// Σ_t |x_t,i|·(|dy_t|·|U|) for V (an upper bound: (1−γ_t) ≤ 1 left out).
struct GammaScale {
  double gamma = 0.0, gateBias = 0.0;
  std::vector<double> gateWeight, u, v;
};

inline GammaScale gammaScale(const LayerSpec &spec, const BlockMask &mask,
                             const LayerParams &params,
                             const std::vector<float> &x,
                             const std::vector<float> &dy, int64_t tokens) {
  const int64_t in = spec.inFeatures, out = spec.outFeatures;
  auto absolute = [](std::vector<float> values) {
    for (float &value : values)
      value = std::abs(value);
    return values;
  };
  // The terms' sizes are the reference forward of |x| and |parameters|,
  // with γ fixed at 1 (the sparse term) and at 0 (the low-rank term).
  LayerSpec absSpec = spec;
  absSpec.gammaMode = GammaMode::Fixed;
  absSpec.bias = false;
  LayerParams absParams;
  absParams.blocks = absolute(params.blocks);
  absParams.u = absolute(params.u);
  absParams.v = absolute(params.v);
  const std::vector<float> absX = absolute(x);
  absParams.gamma = 1.0f;
  const std::vector<double> sparse =
      referenceForward(absSpec, mask, absParams, absX, tokens);
  absParams.gamma = 0.0f;
  const std::vector<double> lowRank =
      referenceForward(absSpec, mask, absParams, absX, tokens);

  GammaScale scale;
  scale.gateWeight.assign(spec.gammaMode == GammaMode::Gate ? in : 0, 0.0);
  const int64_t rank = spec.rank;
  scale.u.assign(out * rank, 0.0);
  scale.v.assign(in * rank, 0.0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t j = 0; j < rank; ++j) {
      double dyU = 0.0, xV = 0.0;
      for (int64_t o = 0; o < out; ++o)
        dyU += std::abs(dy[t * out + o]) * absParams.u[o * rank + j];
      for (int64_t k = 0; k < in; ++k)
        xV += absX[t * in + k] * absParams.v[k * rank + j];
      for (int64_t o = 0; o < out; ++o)
        scale.u[o * rank + j] += std::abs(dy[t * out + o]) * xV;
      for (int64_t k = 0; k < in; ++k)
        scale.v[k * rank + j] += absX[t * in + k] * dyU;
    }
  for (int64_t t = 0; t < tokens; ++t) {
    double terms = 0.0;
    for (int64_t o = 0; o < out; ++o)
      terms += std::abs(dy[t * out + o]) *
               (sparse[t * out + o] + lowRank[t * out + o]);
    if (spec.gammaMode == GammaMode::Scalar)
      scale.gamma += terms;
    if (spec.gammaMode != GammaMode::Gate)
      continue;
    double logit = params.gateBias;
    for (int64_t k = 0; k < in; ++k)
      logit += double(x[t * in + k]) * params.gateWeight[k];
    const double gamma = 1.0 - 1.0 / (1.0 + std::exp(-logit));
    const double share = gamma * (1.0 - gamma) * terms;
    scale.gateBias += share;
    for (int64_t k = 0; k < in; ++k)
      scale.gateWeight[k] += share * absX[t * in + k];
  }
  return scale;
}

inline double norm(const std::vector<double> &values) {
  double sum = 0.0;
  for (double value : values)
    sum += value * value;
  return std::sqrt(sum);
}

/// Expects ||got − want|| within kTolerance of ||want|| or kSumTolerance of
/// ||scale||, the sizes of the terms `want` sums.
inline void expectSum(const std::vector<float> &got,
                      const std::vector<double> &want,
                      const std::vector<double> &scale, const char *name) {
  double error = std::numeric_limits<double>::infinity();
  if (got.size() == want.size()) {
    error = 0.0;
    for (size_t i = 0; i < want.size(); ++i)
      error += (got[i] - want[i]) * (got[i] - want[i]);
    error = std::sqrt(error);
  }
  const double bound =
      std::max(kTolerance * norm(want), kSumTolerance * norm(scale));
  EXPECT_LE(error, bound) << name << ": error " << error << ", "
                          << error / norm(want) << " relative, "
                          << error / norm(scale) << " of the terms' sizes";
}

/// Compares `grads` and `dx` from x and dy with the reference, part by part.
inline void expectGradients(const LayerSpec &spec, const BlockMask &mask,
                            const LayerParams &params,
                            const std::vector<float> &x,
                            const std::vector<float> &dy, int64_t tokens,
                            const LayerParams &grads,
                            const std::vector<float> &dx) {
  const ReferenceGrads want =
      referenceBackward(spec, mask, params, x, dy, tokens);
  const GammaScale scale = gammaScale(spec, mask, params, x, dy, tokens);
  const bool gate = spec.gammaMode == GammaMode::Gate;
  EXPECT_LT(relativeError(dx, want.dx), kTolerance) << "dx";
  EXPECT_LT(relativeError(grads.blocks, want.blocks), kTolerance) << "blocks";
  if (grads.blocks.size() == want.blocks.size()) {
    const auto blocks = mask.blocks();
    size_t nonZero = 0;
    for (size_t i = 0; i < grads.blocks.size(); ++i)
      if (isPadding(spec, mask, blocks, i) && grads.blocks[i] != 0.0f)
        ++nonZero;
    EXPECT_EQ(nonZero, 0u) << "dblocks elements in the padding are not 0";
  }
  if (spec.rank) {
    expectSum(grads.u, want.u, scale.u, "U");
    expectSum(grads.v, want.v, scale.v, "V");
  } else {
    EXPECT_TRUE(grads.u.empty()) << "U without a rank";
    EXPECT_TRUE(grads.v.empty()) << "V without a rank";
  }
  if (spec.gammaMode == GammaMode::Scalar)
    expectSum({grads.gamma}, {want.gamma}, {scale.gamma}, "gamma");
  else
    EXPECT_EQ(grads.gamma, 0.0f)
        << "gamma in " << toString(spec.gammaMode) << " mode";
  if (gate) {
    expectSum(grads.gateWeight, want.gateWeight, scale.gateWeight,
              "gate.weight");
    expectSum({grads.gateBias}, {want.gateBias}, {scale.gateBias}, "gate.bias");
  } else {
    EXPECT_TRUE(grads.gateWeight.empty()) << "gate.weight without a gate";
    EXPECT_EQ(grads.gateBias, 0.0f) << "gate.bias without a gate";
  }
  if (spec.bias)
    EXPECT_LT(relativeError(grads.bias, want.bias), kTolerance) << "bias";
  else
    EXPECT_TRUE(grads.bias.empty()) << "bias without a bias";
}

/// The same for gradients as the C APIs give them: one tensor per
/// parameter, under paramInfos' names.
inline void expectGradients(const LayerSpec &spec, const BlockMask &mask,
                            const LayerParams &params,
                            const std::vector<float> &x,
                            const std::vector<float> &dy, int64_t tokens,
                            const TensorMap &grads,
                            const std::vector<float> &dx) {
  LayerParams got;
  std::string error;
  ASSERT_TRUE(paramsFromTensors(spec, mask, grads, got, error)) << error;
  // Only a scalar γ is a tensor; otherwise paramsFromTensors gives the
  // spec's start value, which is no gradient.
  if (spec.gammaMode != GammaMode::Scalar)
    got.gamma = 0.0f;
  expectGradients(spec, mask, params, x, dy, tokens, got, dx);
}

} // namespace pfc

#endif // PFC_TESTS_UNIT_GRADTESTUTIL_H
