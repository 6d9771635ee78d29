//===- Planner.h - The paper's budget allocation ----------------*- C++ -*-===//
//
// Turns a model spec (dense layer shapes and a global budget) into one
// Pixelfly layer spec per layer, as in the paper's section 4. Free of LLVM.
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

struct ModelPlan {
  std::string name;
  double budget = 0.0;
  int64_t extraParams = 0;
  std::vector<PlannedLayer> layers;
  LayerCost total;      ///< all repeats, extra parameters included
  LayerCost denseTotal; ///< the dense model, likewise
};

/// Plans every layer of `model`. Never fails: a layer that cannot meet its
/// budget gets the sparsest pattern available and says so in `note`.
ModelPlan planModel(const ModelSpec &model);

} // namespace pfc

#endif // PFC_PLAN_PLANNER_H
