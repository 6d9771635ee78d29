//===- AttentionReference.h - fp64 Pixelfly attention for tests -*- C++ -*-===//
//
// Pixelfly attention (issue 14) written directly from its formulas, in
// double, materializing the T×T matrices: the reference that the compiled
// kernels are checked against. Per batch and head, q, k, v are [T, d]
// row-major and τ = spec.tau():
//
//   S_i  the support: keys j < T whose b×b block of the padded T×T scores is
//        in the flat block-butterfly mask (causal: and j <= i); empty when
//        the spec has no butterfly.
//   R_i  all j < T (causal: j <= i).
//   φ(x) = m^(-1/2)·exp([W·x̃ ; −W·x̃] − ‖x̃‖²/2), x̃ = sqrt(τ)·x, W [m/2, d].
//   e_ij = exp(τ q_i·k_j), p_ij = φ(q_i)·φ(k_j) (0 when m = 0).
//   N_i  = Σ_{j∈S_i} (e_ij − p_ij)·v_j + Σ_{j∈R_i} p_ij·v_j
//   D_i  = Σ_{j∈S_i} e_ij + max(Σ_{j∈R_i} p_ij − Σ_{j∈S_i} p_ij, ε)
//   O_i  = N_i / D_i, ε = kAttentionEpsilon.
//
// Independent of the kernels and of AttentionSpec::support(): the support is
// a brute-force port of the mask's definition (explicit butterfly factor
// matrices, the einops column shuffle, the stretch over the padded tokens,
// dense global rows and columns, an OR-reduction onto b×b blocks). Scores
// are exponentiated as they are, without a running maximum: inputs must keep
// |τ q·k| and the features' exponents well inside double's range (< ~700).
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TESTS_UNIT_ATTENTIONREFERENCE_H
#define PFC_TESTS_UNIT_ATTENTIONREFERENCE_H

#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <vector>

namespace pfc {

/// The support's b×b blocks over the padded sequence, [blocks × blocks]
/// row-major (blocks = paddedSeq / b), 1 where the block is in the mask;
/// causal: blocks above the diagonal dropped. All zero without a butterfly.
/// The pattern must fit (S divides paddedSeq).
std::vector<uint8_t> referenceSupportBlocks(const AttentionSpec &spec);

/// S as a [tokens × tokens] row-major 0/1 matrix: (i, j) is 1 when j ∈ S_i.
/// tokens <= spec.seqLen; the leading part of the padded support, causal
/// applied element by element (j <= i).
std::vector<uint8_t> referenceSupport(const AttentionSpec &spec,
                                      int64_t tokens);

/// φ(x) ∈ R^m for one d-vector x, with W = `w` [m/2, d] row-major.
std::vector<double> referenceFeatureMap(const AttentionSpec &spec,
                                        const std::vector<float> &w,
                                        const float *x);

/// What one query row's normalization was.
struct AttentionRowStats {
  /// D_i, unscaled.
  double denominator = 0;
  /// Σ_{j∈R_i} p_ij − Σ_{j∈S_i} p_ij, before the clamp.
  double lowRankMass = 0;
  /// Whether max(lowRankMass, ε) took ε (lowRankMass < ε; always when m = 0).
  bool clamped = false;
};

/// One head's output and row statistics.
struct AttentionHeadResult {
  std::vector<double> out;             ///< O [tokens, d]
  std::vector<AttentionRowStats> rows; ///< [tokens]
};

/// O and the row statistics for one head: q, k, v [tokens, d] row-major,
/// 0 < tokens <= spec.seqLen; `w` is drawRandomFeatures(spec) (or any
/// [m/2, d] matrix; empty when m = 0).
AttentionHeadResult referenceAttentionHead(const AttentionSpec &spec,
                                           const std::vector<float> &w,
                                           int64_t tokens, const float *q,
                                           const float *k, const float *v);

/// O [tokens, d] for one head (referenceAttentionHead's `out`).
std::vector<double> referenceAttention(const AttentionSpec &spec,
                                       const std::vector<float> &w,
                                       int64_t tokens, const float *q,
                                       const float *k, const float *v);

/// The row statistics for one head (referenceAttentionHead's `rows`).
std::vector<AttentionRowStats>
referenceAttentionStats(const AttentionSpec &spec, const std::vector<float> &w,
                        int64_t tokens, const float *q, const float *k,
                        const float *v);

/// O [heads, tokens, d] for q, k, v [heads, tokens, d], head by head; `heads`
/// counts every (batch, head) pair.
std::vector<double> referenceAttentionHeads(const AttentionSpec &spec,
                                            const std::vector<float> &w,
                                            int64_t heads, int64_t tokens,
                                            const float *q, const float *k,
                                            const float *v);

/// The row statistics [heads, tokens] for q, k, v [heads, tokens, d].
std::vector<AttentionRowStats> referenceAttentionHeadsStats(
    const AttentionSpec &spec, const std::vector<float> &w, int64_t heads,
    int64_t tokens, const float *q, const float *k, const float *v);

} // namespace pfc

#endif // PFC_TESTS_UNIT_ATTENTIONREFERENCE_H
