//===- Reference.h - An fp64 reference of a layer's forward and backward --===//
//
// The forward and backward passes computed the plain way, in double, from the
// dense masked weight. They share nothing with the compiler but the BlockMask
// and the parameter layout, so a kernel and this reference agree only if both
// are right: the tests and the autotuner check kernels against it.
// Header-only.
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

/// Calls `f(row, col, stored)` for every element of the weight [out, in]
/// that a nonzero block covers: `stored` is its index in `params.blocks`
/// ([nnz, b, b], BSR order); padding is skipped.
template <typename F>
void forEachStoredWeight(const LayerSpec &spec, const BlockMask &mask, F f) {
  const int64_t out = spec.outFeatures, in = spec.inFeatures;
  const int64_t b = mask.block;
  for (int64_t br = 0; br < mask.blockRows; ++br)
    for (int64_t index = mask.rowStart[br]; index < mask.rowStart[br + 1];
         ++index) {
      const int64_t bc = mask.colIndex[index];
      for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < b; ++j) {
          const int64_t row = br * b + i, col = bc * b + j;
          if (row < out && col < in)
            f(row, col, (index * b + i) * b + j);
        }
    }
}

/// The dense masked weight B [out, in] in double: the nonzero blocks of
/// `params.blocks` placed by `mask`, padding dropped.
inline std::vector<double> referenceDenseWeight(const LayerSpec &spec,
                                                const BlockMask &mask,
                                                const LayerParams &params) {
  const int64_t in = spec.inFeatures;
  std::vector<double> weight(static_cast<size_t>(spec.outFeatures * in), 0.0);
  forEachStoredWeight(spec, mask, [&](int64_t row, int64_t col, int64_t at) {
    weight[row * in + col] = params.blocks[at];
  });
  return weight;
}

/// For one token's input `xt` [in]: its γ (the parameter, or the gate's
/// 1 − sigmoid(xt·g + c)), and `xv` [r] = xt·V.
inline double referenceTokenParts(const LayerSpec &spec,
                                  const LayerParams &params, const float *xt,
                                  std::vector<double> &xv) {
  const int64_t in = spec.inFeatures, r = spec.rank;
  for (int64_t j = 0; j < r; ++j) {
    double sum = 0.0;
    for (int64_t k = 0; k < in; ++k)
      sum += double(xt[k]) * params.v[k * r + j];
    xv[j] = sum;
  }
  if (spec.gammaMode != GammaMode::Gate)
    return params.gamma;
  double logit = params.gateBias;
  for (int64_t k = 0; k < in; ++k)
    logit += double(xt[k]) * params.gateWeight[k];
  return 1.0 - 1.0 / (1.0 + std::exp(-logit));
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
    const double gamma = referenceTokenParts(spec, params, xt, xv);
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

/// The gradients of L = sum(y ⊙ dy) in double, in LayerParams' layouts: dx
/// [tokens, in], blocks [nnz, b, b] (zero in the padding), u [out, r], v
/// [in, r], bias [out] and gateWeight [in] (empty where the layer lacks
/// them); gamma is dL/dγ in scalar mode and gateBias dL/dc in gate mode, 0
/// otherwise.
struct ReferenceGrads {
  std::vector<double> dx, blocks, u, v, bias, gateWeight;
  double gamma = 0, gateBias = 0;
};

/// Backpropagates dy [tokens, out] through referenceForward's layer at x
/// [tokens, in]. Per token t, with s = x_t·Bᵀ, a = x_t·V, l = a·Uᵀ and
/// g = dy_t:
///   dB  += γ_t·gᵀ·x_t on the pattern        dU += (1−γ_t)·gᵀ·a
///   e    = (1−γ_t)·g·U                      dV += x_tᵀ·e
///   dx_t = γ_t·g·B + e·Vᵀ (+ dz_t·gateWeight in gate mode)
///   dγ_t = g·(s − l)                        dbias += g
/// Scalar mode sums dγ_t; gate mode, where γ_t = 1 − sigmoid(z_t) with
/// z_t = x_t·gateWeight + gateBias, has dz_t = −dγ_t·γ_t·(1−γ_t),
/// dgateWeight += dz_t·x_t and dgateBias += dz_t. Fixed mode has no dγ.
inline ReferenceGrads
referenceBackward(const LayerSpec &spec, const BlockMask &mask,
                  const LayerParams &params, const std::vector<float> &x,
                  const std::vector<float> &dy, int64_t tokens) {
  const int64_t out = spec.outFeatures, in = spec.inFeatures, r = spec.rank;
  const int64_t b = mask.block;
  const bool gate = spec.gammaMode == GammaMode::Gate;
  const std::vector<double> weight = referenceDenseWeight(spec, mask, params);

  ReferenceGrads grads;
  grads.dx.assign(static_cast<size_t>(tokens * in), 0.0);
  grads.u.assign(static_cast<size_t>(out * r), 0.0);
  grads.v.assign(static_cast<size_t>(in * r), 0.0);
  if (spec.bias)
    grads.bias.assign(static_cast<size_t>(out), 0.0);
  if (gate)
    grads.gateWeight.assign(static_cast<size_t>(in), 0.0);
  std::vector<double> dWeight(static_cast<size_t>(out * in), 0.0);
  std::vector<double> xv(static_cast<size_t>(r)), e(static_cast<size_t>(r));

  for (int64_t t = 0; t < tokens; ++t) {
    const float *xt = x.data() + t * in;
    const float *gt = dy.data() + t * out;
    double *dxt = grads.dx.data() + t * in;
    const double gamma = referenceTokenParts(spec, params, xt, xv);

    double dGamma = 0.0;
    for (int64_t j = 0; j < r; ++j)
      e[j] = 0.0;
    for (int64_t o = 0; o < out; ++o) {
      const double g = gt[o];
      double sparse = 0.0, lowRank = 0.0;
      for (int64_t k = 0; k < in; ++k)
        sparse += double(xt[k]) * weight[o * in + k];
      for (int64_t j = 0; j < r; ++j)
        lowRank += xv[j] * params.u[o * r + j];
      dGamma += g * (sparse - lowRank);
      for (int64_t k = 0; k < in; ++k) {
        dWeight[o * in + k] += gamma * g * double(xt[k]);
        dxt[k] += gamma * g * weight[o * in + k];
      }
      for (int64_t j = 0; j < r; ++j) {
        grads.u[o * r + j] += (1.0 - gamma) * g * xv[j];
        e[j] += (1.0 - gamma) * g * params.u[o * r + j];
      }
      if (spec.bias)
        grads.bias[o] += g;
    }
    for (int64_t k = 0; k < in; ++k) {
      for (int64_t j = 0; j < r; ++j) {
        grads.v[k * r + j] += double(xt[k]) * e[j];
        dxt[k] += e[j] * params.v[k * r + j];
      }
    }

    if (spec.gammaMode == GammaMode::Scalar) {
      grads.gamma += dGamma;
    } else if (gate) {
      const double dLogit = -dGamma * gamma * (1.0 - gamma);
      grads.gateBias += dLogit;
      for (int64_t k = 0; k < in; ++k) {
        grads.gateWeight[k] += dLogit * double(xt[k]);
        dxt[k] += dLogit * params.gateWeight[k];
      }
    }
  }

  // dB on the pattern: each stored block takes its part of the dense
  // gradient; its padded rows and columns stay zero.
  grads.blocks.assign(static_cast<size_t>(mask.nnzBlocks() * b * b), 0.0);
  forEachStoredWeight(spec, mask, [&](int64_t row, int64_t col, int64_t at) {
    grads.blocks[at] = dWeight[row * in + col];
  });
  return grads;
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
