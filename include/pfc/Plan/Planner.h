//===- Planner.h - The paper's budget allocation ----------------*- C++ -*-===//
//
// Turns a model spec (dense layer shapes, attentions and a global budget)
// into one Pixelfly layer spec per layer and one attention spec per
// attention, as in the paper's section 4. Free of LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_PLAN_PLANNER_H
#define PFC_PLAN_PLANNER_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pfc {

/// What one instance of a layer costs. N_flop counts FLOPs per token;
/// N_blockmem counts the b×b weight blocks the layer reads.
struct LayerCost {
  int64_t params = 0;
  int64_t flopsPerToken = 0;
  int64_t blockAccesses = 0;
  double cost = 0.0; ///< Cost_mem·N_blockmem + Cost_flop·N_flop

  LayerCost &operator+=(const LayerCost &other);
  LayerCost scaled(int64_t times) const;
};

/// The cost of the dense `nn.Linear` a layer replaces.
LayerCost denseLayerCost(int64_t inFeatures, int64_t outFeatures, bool bias,
                         int64_t block, const CostModel &model);

/// The cost of the low-rank term alone (U·Vᵀ of rank `rank`).
LayerCost lowRankCost(int64_t inFeatures, int64_t outFeatures, int64_t rank,
                      int64_t block, const CostModel &model);

/// The cost of the block-sparse term alone.
LayerCost blockSparseCost(const BlockMask &mask, const CostModel &model);

/// The cost of a whole Pixelfly layer: B, U·Vᵀ, γ (or its gate) and bias.
LayerCost pixelflyCost(const LayerSpec &spec, const BlockMask &mask,
                       const CostModel &model);
/// The same from the pattern's count of nonzero blocks.
LayerCost pixelflyCost(const LayerSpec &spec, int64_t nnzBlocks,
                       const CostModel &model);

struct PlannedLayer {
  ModelLayer source;
  /// False when the layer stays dense (asked for, or too small for a pattern).
  bool sparse = false;
  LayerSpec spec; ///< meaningful when `sparse`
  int64_t nnzBlocks = 0;
  double density = 1.0; ///< block density of B (1 for a dense layer)
  LayerCost cost;       ///< one instance
  LayerCost dense;      ///< one instance of the dense layer it replaces
  double budgetCost = 0.0;
  /// Why the layer is dense, or that it exceeds its budget; empty otherwise.
  std::string note;
};

/// An attention's costs are those of one instance, one sequence of seq_len
/// tokens through all its heads, in the units of a layer's: the blocks it
/// reads (b×b score blocks; the random features' b×b blocks), and its FLOPs
/// per token (the sequence's over seq_len). It has no parameters: the random
/// features' matrix is drawn from a seed, not trained.
///
/// The cost of the dense softmax attention (causal: the blocks at or left of
/// the diagonal): heads × blocks × b²·4d FLOPs (QKᵀ and PV).
LayerCost denseAttentionCost(const ModelAttention &source, int64_t block,
                             const CostModel &model);
/// The random features alone: heads × 6·T·m·d FLOPs and heads × 2·⌈T/b⌉·⌈m/b⌉
/// blocks (φ(Q) and φ(K)), as a layer's low-rank term.
LayerCost randomFeaturesCost(const AttentionSpec &spec, int64_t features,
                             const CostModel &model);
/// A Pixelfly attention whose support has `nnzBlocks` blocks per head: the
/// exact part, the random features and their per-block corrections
/// (heads × nnz × 2·m·d FLOPs).
LayerCost pixelflyAttentionCost(const AttentionSpec &spec, int64_t nnzBlocks,
                                const CostModel &model);

struct PlannedAttention {
  ModelAttention source;
  /// False when the attention stays dense (asked for, or too short for a
  /// support of two blocks).
  bool sparse = false;
  AttentionSpec spec;    ///< meaningful when `sparse`
  int64_t nnzBlocks = 0; ///< per head, as AttentionSpec::support() counts
  /// Of the blocks a dense attention computes (causal: at or left of the
  /// diagonal); 1 for a dense attention.
  double density = 1.0;
  LayerCost cost;  ///< one instance
  LayerCost dense; ///< one instance of the dense attention it replaces
  double budgetCost = 0.0;
  /// Why the attention is dense, or that it exceeds its budget; empty
  /// otherwise.
  std::string note;
};

struct ModelPlan {
  std::string name;
  double budget = 0.0;
  int64_t extraParams = 0;
  std::vector<PlannedLayer> layers;
  std::vector<PlannedAttention> attention;
  LayerCost total;      ///< all repeats, extra parameters included
  LayerCost denseTotal; ///< the dense model, likewise
};

/// Plans every layer and attention of `model`. Never fails: one that cannot
/// meet its budget gets the sparsest pattern available and says so in
/// `note`.
ModelPlan planModel(const ModelSpec &model);

} // namespace pfc

#endif // PFC_PLAN_PLANNER_H
