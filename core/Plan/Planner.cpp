//===- Planner.cpp - The paper's budget allocation ------------------------===//
//
// Every layer receives the model's budget in proportion to its dense cost.
// Inside a layer, `lowrank_share` of that budget fixes the rank; what is left
// (including what rounding the rank down leaves over) buys the densest
// butterfly pattern that fits: the pattern with the most nonzero blocks over
// all coarse sizes S and factor counts, ties going to the larger S. When no
// pattern fits, the rank gives way before the budget does.
//
//===----------------------------------------------------------------------===//
#include "pfc/Plan/Planner.h"
#include "pfc/Support/Math.h"

#include <algorithm>

namespace pfc {

/// Ranks are multiples of this, so that U and V fill whole vector registers.
static constexpr int64_t kRankStep = 8;

LayerCost &LayerCost::operator+=(const LayerCost &other) {
  params += other.params;
  flopsPerToken += other.flopsPerToken;
  blockAccesses += other.blockAccesses;
  cost += other.cost;
  return *this;
}

LayerCost LayerCost::scaled(int64_t times) const {
  return {params * times, flopsPerToken * times, blockAccesses * times,
          cost * static_cast<double>(times)};
}

static LayerCost makeCost(int64_t params, int64_t flops, int64_t blocks,
                          const CostModel &model) {
  return {params, flops, blocks,
          model.mem * static_cast<double>(blocks) +
              model.flop * static_cast<double>(flops)};
}

LayerCost denseLayerCost(int64_t in, int64_t out, bool bias, int64_t block,
                         const CostModel &model) {
  int64_t biasParams = bias ? out : 0;
  return makeCost(in * out + biasParams, 2 * in * out + biasParams,
                  ceilDiv(in, block) * ceilDiv(out, block), model);
}

LayerCost lowRankCost(int64_t in, int64_t out, int64_t rank, int64_t block,
                      const CostModel &model) {
  return makeCost(
      rank * (in + out), 2 * rank * (in + out),
      (ceilDiv(in, block) + ceilDiv(out, block)) * ceilDiv(rank, block), model);
}

static LayerCost blockSparseCost(int64_t nnzBlocks, int64_t block,
                                 const CostModel &model) {
  int64_t elements = nnzBlocks * block * block;
  return makeCost(elements, 2 * elements, nnzBlocks, model);
}

LayerCost blockSparseCost(const BlockMask &mask, const CostModel &model) {
  return blockSparseCost(mask.nnzBlocks(), mask.block, model);
}

LayerCost pixelflyCost(const LayerSpec &spec, const BlockMask &mask,
                       const CostModel &model) {
  return pixelflyCost(spec, mask.nnzBlocks(), model);
}

LayerCost pixelflyCost(const LayerSpec &spec, int64_t nnzBlocks,
                       const CostModel &model) {
  LayerCost cost = blockSparseCost(nnzBlocks, spec.block, model);
  if (spec.rank > 0)
    cost += lowRankCost(spec.inFeatures, spec.outFeatures, spec.rank,
                        spec.block, model);
  // γ·sparse + (1−γ)·lowrank: 3 FLOPs per output, γ·sparse alone 1; the
  // gate adds x·g. γ is a parameter of the layer (paramInfos) in scalar mode,
  // the gate's weight and bias in gate mode, with or without a low-rank term.
  int64_t gammaParams = 0;
  int64_t gammaFlops = (spec.rank > 0 ? 3 : 1) * spec.outFeatures;
  if (spec.gammaMode == GammaMode::Scalar)
    gammaParams = 1;
  if (spec.gammaMode == GammaMode::Gate) {
    gammaParams = spec.inFeatures + 1;
    gammaFlops += 2 * spec.inFeatures;
  }
  int64_t biasParams = spec.bias ? spec.outFeatures : 0;
  cost += makeCost(gammaParams + biasParams, gammaFlops + biasParams, 0, model);
  return cost;
}

/// Butterfly sizes that fit the padded shape: powers of two dividing both
/// dimensions, with coarse cells no smaller than a block in either one.
static std::vector<int64_t> candidateSizes(int64_t paddedOut, int64_t paddedIn,
                                           int64_t block) {
  std::vector<int64_t> sizes;
  int64_t limit = std::min(paddedOut, paddedIn) / block;
  for (int64_t s = 2; s <= limit; s *= 2)
    if (paddedOut % s == 0 && paddedIn % s == 0)
      sizes.push_back(s);
  return sizes;
}

static PlannedLayer planLayer(const ModelLayer &source,
                              const ModelSpec &model) {
  PlannedLayer plan;
  plan.source = source;
  plan.dense = denseLayerCost(source.inFeatures, source.outFeatures,
                              source.bias, model.block, model.cost);
  plan.cost = plan.dense;
  plan.budgetCost = model.budget * plan.dense.cost;

  LayerSpec &spec = plan.spec;
  spec.name = source.name;
  spec.inFeatures = source.inFeatures;
  spec.outFeatures = source.outFeatures;
  spec.block = model.block;
  spec.bias = source.bias;
  spec.gammaMode = model.gammaMode;
  spec.gammaInit = model.gammaInit;
  spec.dtype = model.dtype;

  std::vector<int64_t> sizes =
      candidateSizes(spec.paddedOut(), spec.paddedIn(), spec.block);
  if (source.dense) {
    plan.note = "kept dense by the spec";
    return plan;
  }
  if (sizes.empty()) {
    plan.note = "too small for a butterfly pattern of " +
                std::to_string(model.block) + "x" +
                std::to_string(model.block) + " blocks";
    return plan;
  }

  // The rank: the largest multiple of kRankStep within the low-rank share.
  double rankBudget = model.lowrankShare * plan.budgetCost;
  int64_t shareRank = 0;
  int64_t maxRank = std::min(source.inFeatures, source.outFeatures);
  for (int64_t r = kRankStep; r <= maxRank; r += kRankStep) {
    if (lowRankCost(source.inFeatures, source.outFeatures, r, spec.block,
                    model.cost)
            .cost > rankBudget)
      break;
    shareRank = r;
  }

  // The pattern: the most nonzero blocks whose whole layer stays in budget.
  // When none fits, the rank gives way first (the butterfly is the layer's
  // structure); at rank 0 the cheapest pattern is taken over budget.
  // Counts, not masks: a candidate's mask of a wide layer can be hundreds
  // of MB.
  struct Candidate {
    ButterflyPattern pattern;
    int64_t nnzBlocks;
  };
  const double gridBlocks =
      static_cast<double>(ceilDiv(spec.outFeatures, spec.block)) *
      static_cast<double>(ceilDiv(spec.inFeatures, spec.block));
  std::vector<Candidate> candidates;
  for (int64_t s : sizes) {
    for (int64_t factors = 1; (int64_t{1} << factors) <= s; ++factors) {
      ButterflyPattern pattern;
      pattern.size = s;
      pattern.strides = ButterflyPattern::stridesForFactors(factors);
      const int64_t nnz = countMaskBlocks(pattern, spec.outFeatures,
                                          spec.inFeatures, spec.block);
      candidates.push_back({std::move(pattern), nnz});
    }
  }
  auto choose = [&](const Candidate &candidate, const LayerCost &cost) {
    plan.sparse = true;
    spec.butterfly = candidate.pattern;
    plan.nnzBlocks = candidate.nnzBlocks;
    plan.density = static_cast<double>(candidate.nnzBlocks) / gridBlocks;
    plan.cost = cost;
  };
  for (spec.rank = shareRank;; spec.rank -= kRankStep) {
    const Candidate *cheapest = nullptr;
    LayerCost cheapestCost;
    bool fits = false;
    for (const Candidate &candidate : candidates) {
      LayerCost cost = pixelflyCost(spec, candidate.nnzBlocks, model.cost);
      if (cost.cost <= plan.budgetCost &&
          (!fits || candidate.nnzBlocks >= plan.nnzBlocks)) {
        choose(candidate, cost);
        fits = true;
      }
      if (!cheapest || cost.cost < cheapestCost.cost) {
        cheapest = &candidate;
        cheapestCost = cost;
      }
    }
    if (fits) {
      if (spec.rank < shareRank)
        plan.note = "rank lowered from " + std::to_string(shareRank) +
                    " to fit the budget";
      break;
    }
    if (spec.rank == 0) {
      choose(*cheapest, cheapestCost);
      plan.note = "over budget: its sparsest pattern costs more than its share";
      break;
    }
  }
  return plan;
}

ModelPlan planModel(const ModelSpec &model) {
  ModelPlan plan;
  plan.name = model.name;
  plan.budget = model.budget;
  plan.extraParams = model.extraParams;
  plan.total.params = plan.denseTotal.params = model.extraParams;
  for (const ModelLayer &layer : model.layers) {
    PlannedLayer planned = planLayer(layer, model);
    plan.total += planned.cost.scaled(layer.repeat);
    plan.denseTotal += planned.dense.scaled(layer.repeat);
    plan.layers.push_back(std::move(planned));
  }
  return plan;
}

} // namespace pfc
