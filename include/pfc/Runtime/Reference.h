//===- Reference.h - An fp64 reference of a layer's forward -----*- C++ -*-===//
//
// The forward pass computed the plain way, in double, from the dense masked
// weight. It shares nothing with the compiler but the BlockMask and the
// parameter layout, so a kernel and this reference agree only if both are
// right: the tests and the autotuner check kernels against it. Header-only.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_REFERENCE_H
#define PFC_RUNTIME_REFERENCE_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Spec/Spec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace pfc {

/// The dense masked weight B [out, in] in double: the nonzero blocks of
/// `params.blocks` placed by `mask`, padding dropped.
inline std::vector<double> referenceDenseWeight(const LayerSpec &spec,
                                                const BlockMask &mask,
                                                const LayerParams &params) {
  const int64_t out = spec.outFeatures, in = spec.inFeatures;
  const int64_t b = mask.block;
  std::vector<double> weight(static_cast<size_t>(out * in), 0.0);
  for (int64_t br = 0; br < mask.blockRows; ++br) {
    for (int64_t index = mask.rowStart[br]; index < mask.rowStart[br + 1];
         ++index) {
      const int64_t bc = mask.colIndex[index];
      for (int64_t i = 0; i < b; ++i) {
        const int64_t row = br * b + i;
        for (int64_t j = 0; j < b; ++j) {
          const int64_t col = bc * b + j;
          if (row < out && col < in)
            weight[row * in + col] = params.blocks[(index * b + i) * b + j];
        }
      }
    }
  }
  return weight;
}

/// y [tokens, out] = γ·(x·Bᵀ) + (1−γ)·((x·V)·Uᵀ) + bias for x [tokens, in],
/// with γ = params.gamma (scalar, fixed) or, per token t, γ_t = 1 −
/// sigmoid(x_t·gateWeight + gateBias) (gate).
inline std::vector<double> referenceForward(const LayerSpec &spec,
                                            const BlockMask &mask,
                                            const LayerParams &params,
                                            const std::vector<float> &x,
                                            int64_t tokens) {
  const int64_t out = spec.outFeatures, in = spec.inFeatures, r = spec.rank;
  const std::vector<double> weight = referenceDenseWeight(spec, mask, params);
  std::vector<double> y(static_cast<size_t>(tokens * out), 0.0);
  std::vector<double> xv(static_cast<size_t>(r));
  for (int64_t t = 0; t < tokens; ++t) {
    const float *xt = x.data() + t * in;
    double gamma = params.gamma;
    if (spec.gammaMode == GammaMode::Gate) {
      double logit = params.gateBias;
      for (int64_t k = 0; k < in; ++k)
        logit += double(xt[k]) * params.gateWeight[k];
      gamma = 1.0 - 1.0 / (1.0 + std::exp(-logit));
    }
    for (int64_t j = 0; j < r; ++j) {
      double sum = 0.0;
      for (int64_t k = 0; k < in; ++k)
        sum += double(xt[k]) * params.v[k * r + j];
      xv[j] = sum;
    }
    for (int64_t o = 0; o < out; ++o) {
      double sparse = 0.0, lowRank = 0.0;
      for (int64_t k = 0; k < in; ++k)
        sparse += double(xt[k]) * weight[o * in + k];
      for (int64_t j = 0; j < r; ++j)
        lowRank += xv[j] * params.u[o * r + j];
      double value = gamma * sparse + (1.0 - gamma) * lowRank;
      if (spec.bias)
        value += params.bias[o];
      y[t * out + o] = value;
    }
  }
  return y;
}

/// The normwise relative error ||got − want||₂ / ||want||₂ (the absolute
/// error when want is zero). NaN in `got` gives NaN and a size mismatch
/// infinity, so that `EXPECT_LT(relativeError(...), tolerance)` fails.
inline double relativeError(const std::vector<float> &got,
                            const std::vector<double> &want) {
  if (got.size() != want.size())
    return std::numeric_limits<double>::infinity();
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = double(got[i]) - want[i];
    diff += d * d;
    norm += want[i] * want[i];
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

} // namespace pfc

#endif // PFC_RUNTIME_REFERENCE_H
