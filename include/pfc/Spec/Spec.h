//===- Spec.h - Layer and model specifications ------------------*- C++ -*-===//
//
// The validated, in-memory form of a `pfc: 1` spec file. Free of LLVM and MLIR
// so that the runtime can use it.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_SPEC_SPEC_H
#define PFC_SPEC_SPEC_H

#include "pfc/Pattern/Butterfly.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pfc {

/// How the layer weighs the block-sparse term against the low-rank term.
enum class GammaMode {
  Scalar, ///< one learned scalar γ (the paper's form)
  Gate,   ///< a learned per-token gate γ(x) = 1 − sigmoid(x·g + c)
  Fixed,  ///< a constant γ that is not trained
};

enum class DType { F32, BF16, F16 };

/// The spellings used in spec files, and by toString.
inline constexpr std::pair<std::string_view, GammaMode> kGammaModeNames[] = {
    {"scalar", GammaMode::Scalar},
    {"gate", GammaMode::Gate},
    {"fixed", GammaMode::Fixed}};
inline constexpr std::pair<std::string_view, DType> kDTypeNames[] = {
    {"f32", DType::F32}, {"bf16", DType::BF16}, {"f16", DType::F16}};

std::string_view toString(GammaMode mode);
std::string_view toString(DType dtype);

/// The shortest decimal text of `value` that reads back as the same double.
std::string formatShortest(double value);

/// Rounds `features` up to a multiple of `block` (the layer pads internally).
inline int64_t padTo(int64_t features, int64_t block) {
  return (features + block - 1) / block * block;
}

/// One Pixelfly layer: y = γ·(x·Bᵀ) + (1−γ)·((x·V)·Uᵀ) + bias.
struct LayerSpec {
  std::string name;
  int64_t inFeatures = 0;
  int64_t outFeatures = 0;
  int64_t block = 32;
  ButterflyPattern butterfly;
  int64_t rank = 0; ///< 0 disables the low-rank term
  GammaMode gammaMode = GammaMode::Scalar;
  double gammaInit = 0.5;
  bool bias = true;
  DType dtype = DType::F32;

  int64_t paddedIn() const { return padTo(inFeatures, block); }
  int64_t paddedOut() const { return padTo(outFeatures, block); }
  /// The b×b block mask of the layer's pattern over its padded weight.
  BlockMask blockMask() const;

  bool operator==(const LayerSpec &other) const;
};

/// Pixelfly attention (issue 14), per batch and head on q, k, v [T, d]: exact
/// softmax scores on a flat block-butterfly support over blocks of `block`
/// tokens, positive random features (Performer) everywhere else, normalized
/// together. docs/ATTENTION.md gives the operator.
struct AttentionSpec {
  std::string name;
  /// The most tokens a call may pass; a call with fewer uses the leading
  /// part of the same support.
  int64_t seqLen = 0;
  int64_t heads = 1;
  int64_t headDim = 64;
  int64_t block = 64;
  /// The support's pattern over the padded T×T scores, `global` in tokens;
  /// none: no exact part (Performer attention).
  std::optional<ButterflyPattern> butterfly = ButterflyPattern{};
  /// m, the random features (even; 0 turns the low-rank part off).
  int64_t features = 0;
  /// Whether token i attends only to tokens j <= i.
  bool causal = false;
  /// Draws the random features' matrix (drawRandomFeatures).
  uint64_t seed = 0;
  /// τ, the scores' scale; absent: 1/sqrt(headDim).
  std::optional<double> scale;
  DType dtype = DType::F32;

  int64_t paddedSeq() const { return padTo(seqLen, block); }
  double tau() const;
  /// The support's b×b blocks over the padded sequence (causal: none above
  /// the diagonal); empty without a butterfly.
  BlockMask support() const;

  bool operator==(const AttentionSpec &other) const;
};

/// One entry of a model spec's `layers` list: a dense shape to be planned.
struct ModelLayer {
  std::string name;
  int64_t inFeatures = 0;
  int64_t outFeatures = 0;
  int64_t repeat = 1;
  bool dense = false; ///< keep this layer dense (e.g. a classifier head)
  bool bias = true;
};

/// One entry of a model spec's `attention` list: a dense softmax attention
/// (one sequence of `seqLen` tokens through `heads` heads) to be planned.
struct ModelAttention {
  std::string name;
  int64_t seqLen = 0;
  int64_t heads = 1;
  int64_t headDim = 64;
  bool causal = false;
  int64_t repeat = 1;
  bool dense = false; ///< keep this attention dense
};

/// Weights of the paper's cost model: Cost_mem·N_blockmem + Cost_flop·N_flop.
struct CostModel {
  double mem = 1.0;
  double flop = 1.0;
};

/// A whole model: its layers and a global budget, planned by `pfc plan`.
struct ModelSpec {
  std::string name;
  double budget = 0.0; ///< fraction of the dense model's cost
  int64_t block = 32;
  double lowrankShare = 0.25; ///< fraction of a layer's budget for U·Vᵀ
  CostModel cost;
  /// Parameters outside the planned layers (embeddings, norms): counted in
  /// totals.
  int64_t extraParams = 0;
  GammaMode gammaMode = GammaMode::Scalar; ///< for every planned layer
  double gammaInit = 0.5;
  DType dtype = DType::F32;
  std::vector<ModelLayer> layers;
  std::vector<ModelAttention> attention; ///< may be empty
};

} // namespace pfc

#endif // PFC_SPEC_SPEC_H
