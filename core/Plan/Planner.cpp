//===- Planner.cpp - The paper's budget allocation ------------------------===//
//
// Every layer receives the model's budget in proportion to its dense cost.
// Inside a layer, `lowrank_share` of that budget fixes the rank; what is left
// (including what rounding the rank down leaves over) buys the densest
// butterfly pattern that fits: the pattern with the most nonzero blocks over
// all coarse sizes S and factor counts, ties going to the larger S. When no
// pattern fits, the rank gives way before the budget does. An attention is
// planned by the same rule, its random features in the rank's place and the
// support over its T×T scores in the weight's.
//
//===----------------------------------------------------------------------===//
#include "pfc/Plan/Planner.h"
#include "pfc/Support/Math.h"

#include <algorithm>
#include <cmath>

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

namespace {

/// A pattern the planner may choose, with its count of nonzero blocks.
/// Counts, not masks: a candidate's mask of a wide layer can be hundreds of
/// MB.
struct Candidate {
  ButterflyPattern pattern;
  int64_t nnzBlocks;
};

/// What the allocation inside one layer or attention chose.
struct Allocation {
  const Candidate *chosen = nullptr;
  int64_t lowRank = 0; ///< the rank, or the random features
  LayerCost cost;
  bool overBudget = false;
};

} // namespace

/// Every (S, factors) pattern over a padded out×in grid, with its count.
template <typename CountBlocks>
static std::vector<Candidate> candidatePatterns(int64_t paddedOut,
                                                int64_t paddedIn, int64_t block,
                                                CountBlocks countBlocks) {
  std::vector<Candidate> candidates;
  for (int64_t s : candidateSizes(paddedOut, paddedIn, block)) {
    for (int64_t factors = 1; (int64_t{1} << factors) <= s; ++factors) {
      ButterflyPattern pattern;
      pattern.size = s;
      pattern.strides = ButterflyPattern::stridesForFactors(factors);
      const int64_t nnz = countBlocks(pattern);
      candidates.push_back({std::move(pattern), nnz});
    }
  }
  return candidates;
}

/// The largest multiple of `step` up to `most` whose low-rank cost stays
/// within `share`.
template <typename LowRankCost>
static int64_t largestWithin(int64_t step, int64_t most, double share,
                             LowRankCost lowRankCostOf) {
  int64_t chosen = 0;
  for (int64_t r = step; r <= most; r += step) {
    if (lowRankCostOf(r).cost > share)
      break;
    chosen = r;
  }
  return chosen;
}

/// The paper's rule inside a layer or an attention, after the low-rank part
/// has its share: the candidate with the most nonzero blocks whose whole cost
/// `costOf(lowRank, nnz)` stays within `budget`, ties going to the later
/// (larger S). When none fits, the low-rank part gives way in steps of
/// `step` first (the butterfly is the structure); at 0 the cheapest
/// candidate is taken over budget.
template <typename CostOf>
static Allocation allocate(const std::vector<Candidate> &candidates,
                           int64_t shareRank, int64_t step, double budget,
                           CostOf costOf) {
  Allocation best;
  for (best.lowRank = shareRank;; best.lowRank -= step) {
    const Candidate *cheapest = nullptr;
    LayerCost cheapestCost;
    best.chosen = nullptr;
    for (const Candidate &candidate : candidates) {
      LayerCost cost = costOf(best.lowRank, candidate.nnzBlocks);
      if (cost.cost <= budget &&
          (!best.chosen || candidate.nnzBlocks >= best.chosen->nnzBlocks)) {
        best.chosen = &candidate;
        best.cost = cost;
      }
      if (!cheapest || cost.cost < cheapestCost.cost) {
        cheapest = &candidate;
        cheapestCost = cost;
      }
    }
    if (best.chosen)
      return best;
    if (best.lowRank <= 0) {
      best.lowRank = 0;
      best.chosen = cheapest;
      best.cost = cheapestCost;
      best.overBudget = true;
      return best;
    }
  }
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

  if (source.dense) {
    plan.note = "kept dense by the spec";
    return plan;
  }
  std::vector<Candidate> candidates =
      candidatePatterns(spec.paddedOut(), spec.paddedIn(), spec.block,
                        [&](const ButterflyPattern &pattern) {
                          return countMaskBlocks(pattern, spec.outFeatures,
                                                 spec.inFeatures, spec.block);
                        });
  if (candidates.empty()) {
    plan.note = "too small for a butterfly pattern of " +
                std::to_string(model.block) + "x" +
                std::to_string(model.block) + " blocks";
    return plan;
  }

  // The rank: the largest multiple of kRankStep within the low-rank share.
  const int64_t shareRank =
      largestWithin(kRankStep, std::min(source.inFeatures, source.outFeatures),
                    model.lowrankShare * plan.budgetCost, [&](int64_t rank) {
                      return lowRankCost(source.inFeatures, source.outFeatures,
                                         rank, spec.block, model.cost);
                    });
  Allocation chosen =
      allocate(candidates, shareRank, kRankStep, plan.budgetCost,
               [&](int64_t rank, int64_t nnzBlocks) {
                 spec.rank = rank;
                 return pixelflyCost(spec, nnzBlocks, model.cost);
               });
  plan.sparse = true;
  spec.butterfly = chosen.chosen->pattern;
  spec.rank = chosen.lowRank;
  plan.nnzBlocks = chosen.chosen->nnzBlocks;
  plan.density = static_cast<double>(plan.nnzBlocks) /
                 (static_cast<double>(ceilDiv(spec.outFeatures, spec.block)) *
                  static_cast<double>(ceilDiv(spec.inFeatures, spec.block)));
  plan.cost = chosen.cost;
  if (chosen.overBudget)
    plan.note = "over budget: its sparsest pattern costs more than its share";
  else if (spec.rank < shareRank)
    plan.note =
        "rank lowered from " + std::to_string(shareRank) + " to fit the budget";
  return plan;
}

/// What `heads` heads over a sequence of `seqLen` tokens cost, with
/// `nnzBlocks` exact score blocks of block×block per head and `features`
/// random features; FLOPs per token, as a layer's.
static LayerCost attentionCost(int64_t seqLen, int64_t heads, int64_t headDim,
                               int64_t block, int64_t nnzBlocks,
                               int64_t features, const CostModel &model) {
  const double h = static_cast<double>(heads), d = static_cast<double>(headDim),
               b = static_cast<double>(block), t = static_cast<double>(seqLen),
               m = static_cast<double>(features),
               nnz = static_cast<double>(nnzBlocks);
  // Exact part: QKᵀ and PV, 2·b²·d FLOPs each per block. Random features:
  // φ(Q), φ(K) (2·T·m·d each), φ(K)ᵀV and φ(Q)·(φ(K)ᵀV) less what the
  // support computes exactly (6·T·m·d together), then per support block the
  // correction of the block row's sums (2·m·d).
  const double flops =
      h * (nnz * b * b * 4.0 * d + 6.0 * t * m * d + nnz * 2.0 * m * d);
  const int64_t blocks = heads * (nnzBlocks + 2 * ceilDiv(seqLen, block) *
                                                  ceilDiv(features, block));
  const double perToken = flops / t;
  return {0, static_cast<int64_t>(std::llround(perToken)), blocks,
          model.mem * static_cast<double>(blocks) + model.flop * perToken};
}

/// The blocks a dense attention computes per head: all of the padded grid,
/// or those at or left of the diagonal.
static int64_t denseScoreBlocks(int64_t seqLen, int64_t block, bool causal) {
  const int64_t n = ceilDiv(seqLen, block);
  return causal ? n * (n + 1) / 2 : n * n;
}

LayerCost denseAttentionCost(const ModelAttention &source, int64_t block,
                             const CostModel &model) {
  return attentionCost(source.seqLen, source.heads, source.headDim, block,
                       denseScoreBlocks(source.seqLen, block, source.causal), 0,
                       model);
}

LayerCost randomFeaturesCost(const AttentionSpec &spec, int64_t features,
                             const CostModel &model) {
  return attentionCost(spec.seqLen, spec.heads, spec.headDim, spec.block, 0,
                       features, model);
}

LayerCost pixelflyAttentionCost(const AttentionSpec &spec, int64_t nnzBlocks,
                                const CostModel &model) {
  return attentionCost(spec.seqLen, spec.heads, spec.headDim, spec.block,
                       nnzBlocks, spec.features, model);
}

/// Random features come in multiples of this: m/2 pairs exp(±wx) fill
/// whole 8-float vectors.
static constexpr int64_t kFeatureStep = 16;
/// At most this many features per head dimension (Performer's m = O(d log d)
/// saturates well before).
static constexpr int64_t kFeaturesPerHeadDim = 4;

static PlannedAttention planAttention(const ModelAttention &source,
                                      const ModelSpec &model) {
  PlannedAttention plan;
  plan.source = source;
  plan.dense = denseAttentionCost(source, model.block, model.cost);
  plan.cost = plan.dense;
  plan.budgetCost = model.budget * plan.dense.cost;

  AttentionSpec &spec = plan.spec;
  spec.name = source.name;
  spec.seqLen = source.seqLen;
  spec.heads = source.heads;
  spec.headDim = source.headDim;
  spec.block = model.block;
  spec.causal = source.causal;
  spec.dtype = DType::F32; // the attention kernels compute in f32

  if (source.dense) {
    plan.note = "kept dense by the spec";
    return plan;
  }
  const int64_t padded = spec.paddedSeq();
  std::vector<Candidate> candidates = candidatePatterns(
      padded, padded, spec.block, [&](const ButterflyPattern &pattern) {
        return countMaskBlocks(pattern, padded, padded, spec.block,
                               spec.causal);
      });
  if (candidates.empty()) {
    plan.note = "too short for a butterfly support of " +
                std::to_string(model.block) + "-token blocks";
    return plan;
  }

  const int64_t shareFeatures = largestWithin(
      kFeatureStep, kFeaturesPerHeadDim * source.headDim,
      model.lowrankShare * plan.budgetCost, [&](int64_t features) {
        return randomFeaturesCost(spec, features, model.cost);
      });
  Allocation chosen =
      allocate(candidates, shareFeatures, kFeatureStep, plan.budgetCost,
               [&](int64_t features, int64_t nnzBlocks) {
                 spec.features = features;
                 return pixelflyAttentionCost(spec, nnzBlocks, model.cost);
               });
  plan.sparse = true;
  spec.butterfly = chosen.chosen->pattern;
  spec.features = chosen.lowRank;
  plan.nnzBlocks = chosen.chosen->nnzBlocks;
  plan.density = static_cast<double>(plan.nnzBlocks) /
                 static_cast<double>(
                     denseScoreBlocks(spec.seqLen, spec.block, spec.causal));
  plan.cost = chosen.cost;
  if (chosen.overBudget)
    plan.note = "over budget: its sparsest support costs more than its share";
  else if (spec.features < shareFeatures)
    plan.note = "features lowered from " + std::to_string(shareFeatures) +
                " to fit the budget";
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
  for (const ModelAttention &attention : model.attention) {
    PlannedAttention planned = planAttention(attention, model);
    plan.total += planned.cost.scaled(attention.repeat);
    plan.denseTotal += planned.dense.scaled(attention.repeat);
    plan.attention.push_back(std::move(planned));
  }
  return plan;
}

} // namespace pfc
