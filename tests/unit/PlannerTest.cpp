//===- PlannerTest.cpp - The budget planner -------------------------------===//
//
// The planner is checked against the real parameter counts of the shipped
// models and against an exhaustive search of its own choice space.
//
//===----------------------------------------------------------------------===//
#include "pfc/Plan/Planner.h"
#include "pfc/Spec/SpecParser.h"

#include "RandomDraws.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <random>

namespace pfc {
namespace {

ModelSpec loadModel(const std::string &name) {
  std::string path = std::string(PFC_SOURCE_DIR) + "/specs/models/" + name;
  std::optional<Spec> spec = parseSpecFile(path, llvm::errs());
  if (!spec || !std::holds_alternative<ModelSpec>(*spec))
    ADD_FAILURE() << "cannot load " << path;
  return spec ? std::get<ModelSpec>(*spec) : ModelSpec{};
}

// Parameter counts of the real models (Hugging Face GPT-2 with the LM head
// tied to the embedding; timm's ViT and Mixer with a 1000-class head), and
// of the MLP 784-1024-1024-10 with biases.
TEST(Planner, DenseTotalsAreTheRealModels) {
  const std::pair<const char *, int64_t> models[] = {
      {"gpt2-small.yaml", 124439808},     {"gpt2-medium.yaml", 354823168},
      {"vit-s16.yaml", 22050664},         {"vit-b16.yaml", 86567656},
      {"mixer-s16.yaml", 18528264},       {"mixer-b16.yaml", 59880472},
      {"fashion-mnist-mlp.yaml", 1863690}};
  for (auto [file, params] : models) {
    SCOPED_TRACE(file);
    ModelPlan plan = planModel(loadModel(file));
    EXPECT_EQ(plan.denseTotal.params, params);
    EXPECT_LT(plan.total.params, plan.denseTotal.params);
  }
}

/// Every (S, factors) pattern the planner may choose for `layer`.
std::vector<ButterflyPattern> allPatterns(const LayerSpec &layer) {
  std::vector<ButterflyPattern> patterns;
  for (int64_t s = 2;
       s <= std::min(layer.paddedIn(), layer.paddedOut()) / layer.block;
       s *= 2) {
    if (layer.paddedIn() % s || layer.paddedOut() % s)
      continue;
    for (int64_t m = 1; (int64_t{1} << m) <= s; ++m) {
      ButterflyPattern pattern;
      pattern.size = s;
      pattern.strides = ButterflyPattern::stridesForFactors(m);
      patterns.push_back(pattern);
    }
  }
  return patterns;
}

ModelSpec randomModel(RandomDraws &pick) {
  ModelSpec model;
  model.name = "random";
  model.budget = pick.real(0.05, 0.9);
  model.block = int64_t{1} << pick(3, 6);
  model.lowrankShare = pick.real(0.25, 0.33);
  model.cost = {static_cast<double>(pick(0, 4096)),
                static_cast<double>(pick(1, 4))};
  for (int i = 0, n = static_cast<int>(pick(1, 5)); i < n; ++i) {
    ModelLayer layer;
    layer.name = "l" + std::to_string(i);
    layer.inFeatures = pick(1, 3000);
    layer.outFeatures = pick(1, 3000);
    layer.repeat = pick(1, 4);
    layer.bias = pick(0, 1);
    model.layers.push_back(layer);
  }
  return model;
}

// The plan is the best point of its search space: no pattern with more
// nonzero blocks fits the layer's budget, the chosen one does (unless the
// layer says it is over budget), and the rank is the largest multiple of 8
// within the low-rank share.
TEST(Planner, ChoosesTheDensestPatternWithinBudget) {
  RandomDraws draws;
  SCOPED_TRACE(draws.trace());
  for (int trial = 0; trial < 40; ++trial) {
    ModelSpec model = randomModel(draws);
    ModelPlan plan = planModel(model);
    ASSERT_EQ(plan.layers.size(), model.layers.size());
    LayerCost total;
    total.params = model.extraParams;
    for (const PlannedLayer &layer : plan.layers) {
      SCOPED_TRACE(layer.source.name + " " +
                   std::to_string(layer.source.outFeatures) + "x" +
                   std::to_string(layer.source.inFeatures));
      total += layer.cost.scaled(layer.source.repeat);
      double budget = model.budget * layer.dense.cost;
      EXPECT_DOUBLE_EQ(layer.budgetCost, budget);
      std::vector<ButterflyPattern> patterns = allPatterns(layer.spec);
      if (!layer.sparse) {
        EXPECT_TRUE(patterns.empty());
        EXPECT_EQ(layer.cost.params, layer.dense.params);
        continue;
      }
      const LayerSpec &spec = layer.spec;
      // The rank: the largest multiple of 8 within the low-rank share,
      // lowered only as far as needed for some pattern to fit.
      EXPECT_EQ(spec.rank % 8, 0);
      double share = model.lowrankShare * budget;
      auto rankCost = [&](int64_t rank) {
        return lowRankCost(spec.inFeatures, spec.outFeatures, rank, spec.block,
                           model.cost)
            .cost;
      };
      EXPECT_LE(rankCost(spec.rank), share);
      bool lowered = layer.note.find("rank lowered") != std::string::npos;
      bool overBudget = layer.note.find("over budget") != std::string::npos;
      if (!lowered && !overBudget &&
          spec.rank + 8 <= std::min(spec.inFeatures, spec.outFeatures))
        EXPECT_GT(rankCost(spec.rank + 8), share);
      if (lowered || overBudget) {
        // With rank + 8 no pattern fits.
        LayerSpec higher = spec;
        higher.rank = spec.rank + 8;
        for (const ButterflyPattern &pattern : patterns) {
          higher.butterfly = pattern;
          BlockMask mask = buildBlockMask(pattern, spec.outFeatures,
                                          spec.inFeatures, spec.block);
          EXPECT_GT(pixelflyCost(higher, mask, model.cost).cost, budget);
        }
      }
      if (overBudget)
        EXPECT_EQ(spec.rank, 0);
      // The pattern.
      EXPECT_EQ(overBudget, layer.cost.cost > budget);
      for (const ButterflyPattern &pattern : patterns) {
        LayerSpec other = spec;
        other.butterfly = pattern;
        BlockMask mask = buildBlockMask(pattern, spec.outFeatures,
                                        spec.inFeatures, spec.block);
        double cost = pixelflyCost(other, mask, model.cost).cost;
        if (!overBudget && cost <= budget)
          EXPECT_LE(mask.nnzBlocks(), layer.nnzBlocks) << pattern.str();
        if (overBudget)
          EXPECT_GE(cost, layer.cost.cost) << pattern.str();
      }
      BlockMask chosen = buildBlockMask(spec.butterfly, spec.outFeatures,
                                        spec.inFeatures, spec.block);
      EXPECT_EQ(chosen.nnzBlocks(), layer.nnzBlocks);
      EXPECT_DOUBLE_EQ(chosen.density(), layer.density);
    }
    EXPECT_EQ(total.params, plan.total.params);
    EXPECT_EQ(total.flopsPerToken, plan.total.flopsPerToken);
  }
}

TEST(Planner, CountsWhatTheLayerStores) {
  LayerSpec spec;
  spec.inFeatures = 100; // padded to 128 with b = 32
  spec.outFeatures = 64;
  spec.block = 32;
  spec.butterfly.size = 2;
  spec.butterfly.strides = {2};
  spec.rank = 8;
  spec.gammaMode = GammaMode::Gate;
  BlockMask mask = buildBlockMask(spec.butterfly, 64, 100, 32);
  ASSERT_EQ(mask.nnzBlocks(), 8); // the 2x4 block grid is full
  LayerCost cost = pixelflyCost(spec, mask, CostModel{});
  // blocks, U [64, 8], V [100, 8], gate weight [100] and bias, layer bias.
  EXPECT_EQ(cost.params, 8 * 32 * 32 + 64 * 8 + 100 * 8 + 100 + 1 + 64);

  // Without a low-rank term the layer still trains its γ (the runtime's
  // paramInfos): one scalar, or the gate's weight and bias; a fixed γ is a
  // constant of the kernel, not a parameter.
  spec.rank = 0;
  const std::pair<GammaMode, int64_t> gammaParams[] = {
      {GammaMode::Scalar, 1},
      {GammaMode::Gate, 100 + 1},
      {GammaMode::Fixed, 0}};
  for (auto [mode, params] : gammaParams) {
    spec.gammaMode = mode;
    EXPECT_EQ(pixelflyCost(spec, mask, CostModel{}).params,
              8 * 32 * 32 + params + 64)
        << toString(mode);
  }
}

TEST(Planner, KeepsTinyAndMarkedLayersDense) {
  ModelSpec model;
  model.name = "m";
  model.budget = 0.3;
  model.block = 16;
  model.layers = {{"head", 1024, 10, 1, false, true},
                  {"kept", 1024, 1024, 1, true, true},
                  {"fc", 1024, 1024, 2, false, true}};
  ModelPlan plan = planModel(model);
  EXPECT_FALSE(plan.layers[0].sparse);
  EXPECT_NE(plan.layers[0].note.find("too small"), std::string::npos);
  EXPECT_FALSE(plan.layers[1].sparse);
  EXPECT_EQ(plan.layers[1].cost.params, 1024 * 1024 + 1024);
  EXPECT_TRUE(plan.layers[2].sparse);
  EXPECT_LE(plan.layers[2].cost.cost, 0.3 * plan.layers[2].dense.cost);
}

// Attention. The costs here are worked out from the operator's definition
// (docs/ATTENTION.md), not with the planner's cost functions: per head, the
// exact part does b²·4d FLOPs per support block (QKᵀ and PV) and reads the
// block; the random features do 6·T·m·d FLOPs, 2·m·d per support block for
// the row corrections, and read 2·⌈T/b⌉·⌈m/b⌉ blocks of φ(Q) and φ(K).
// FLOPs count per token of the sequence, as a layer's.
double attentionCostByHand(const ModelAttention &a, int64_t block,
                           int64_t nnzBlocks, int64_t features,
                           const CostModel &model) {
  double t = static_cast<double>(a.seqLen), d = static_cast<double>(a.headDim);
  double b = static_cast<double>(block), m = static_cast<double>(features);
  double nnz = static_cast<double>(nnzBlocks);
  double flops = static_cast<double>(a.heads) *
                 (nnz * b * b * 4 * d + 6 * t * m * d + nnz * 2 * m * d);
  int64_t n = (a.seqLen + block - 1) / block;
  int64_t mBlocks = (features + block - 1) / block;
  double blocks = static_cast<double>(a.heads * (nnzBlocks + 2 * n * mBlocks));
  return model.mem * blocks + model.flop * flops / t;
}

/// The support's blocks per head, from the mask itself.
int64_t supportBlocks(const PlannedAttention &a, const ButterflyPattern &p) {
  AttentionSpec spec = a.spec;
  spec.butterfly = p;
  return spec.support().nnzBlocks();
}

/// Every (S, factors) support over the padded T×T scores.
std::vector<ButterflyPattern> allSupports(int64_t seqLen, int64_t block) {
  int64_t padded = (seqLen + block - 1) / block * block;
  LayerSpec square;
  square.inFeatures = square.outFeatures = padded;
  square.block = block;
  return allPatterns(square);
}

/// The plan of one attention is the best point of its search space.
void checkAttentionPlan(const PlannedAttention &a, const ModelSpec &model) {
  SCOPED_TRACE(a.source.name + " T=" + std::to_string(a.source.seqLen) +
               " h=" + std::to_string(a.source.heads) +
               " d=" + std::to_string(a.source.headDim) +
               (a.source.causal ? " causal" : ""));
  const int64_t b = model.block, n = (a.source.seqLen + b - 1) / b;
  const int64_t denseBlocks = a.source.causal ? n * (n + 1) / 2 : n * n;
  const double denseCost =
      attentionCostByHand(a.source, b, denseBlocks, 0, model.cost);
  EXPECT_NEAR(a.dense.cost, denseCost, 1e-9 * denseCost);
  EXPECT_EQ(a.cost.params, 0);
  const double budget = model.budget * denseCost;
  EXPECT_NEAR(a.budgetCost, budget, 1e-9 * budget);
  std::vector<ButterflyPattern> supports = allSupports(a.source.seqLen, b);
  if (!a.sparse) {
    EXPECT_TRUE(a.source.dense || supports.empty());
    EXPECT_DOUBLE_EQ(a.cost.cost, a.dense.cost);
    EXPECT_FALSE(a.note.empty());
    return;
  }
  const AttentionSpec &spec = a.spec;
  EXPECT_EQ(spec.name, a.source.name);
  EXPECT_EQ(spec.block, b);
  EXPECT_EQ(spec.causal, a.source.causal);
  EXPECT_EQ(spec.dtype, DType::F32);
  ASSERT_TRUE(spec.butterfly.has_value());
  EXPECT_EQ(spec.support().nnzBlocks(), a.nnzBlocks);
  EXPECT_DOUBLE_EQ(a.density, static_cast<double>(a.nnzBlocks) /
                                  static_cast<double>(denseBlocks));
  const int64_t m = spec.features;
  EXPECT_EQ(m % 16, 0);
  EXPECT_LE(m, 4 * spec.headDim);
  EXPECT_NEAR(a.cost.cost,
              attentionCostByHand(a.source, b, a.nnzBlocks, m, model.cost),
              1e-9 * denseCost);
  // m: the largest multiple of 16 within the share, lowered only as far as
  // needed for some support to fit.
  const double share = model.lowrankShare * budget;
  auto featureCost = [&](int64_t features) {
    return attentionCostByHand(a.source, b, 0, features, model.cost);
  };
  EXPECT_LE(featureCost(m), share);
  bool lowered = a.note.find("features lowered") != std::string::npos;
  bool overBudget = a.note.find("over budget") != std::string::npos;
  if (!lowered && !overBudget && m + 16 <= 4 * spec.headDim)
    EXPECT_GT(featureCost(m + 16), share);
  EXPECT_EQ(overBudget, a.cost.cost > budget);
  if (overBudget)
    EXPECT_EQ(m, 0);
  for (const ButterflyPattern &p : supports) {
    int64_t nnz = supportBlocks(a, p);
    double cost = attentionCostByHand(a.source, b, nnz, m, model.cost);
    if (!overBudget && cost <= budget)
      EXPECT_LE(nnz, a.nnzBlocks) << p.str();
    if (overBudget)
      EXPECT_GE(cost, a.cost.cost * (1 - 1e-12)) << p.str();
    if (lowered) // with 16 more features nothing fits
      EXPECT_GT(attentionCostByHand(a.source, b, nnz, m + 16, model.cost),
                budget)
          << p.str();
  }
}

ModelSpec attentionModel(std::vector<ModelAttention> attention) {
  ModelSpec model;
  model.name = "m";
  model.budget = 0.3;
  model.block = 32;
  model.layers = {{"fc", 512, 512, 1, false, true}};
  model.attention = std::move(attention);
  return model;
}

TEST(Planner, PlansAttentionWithinItsBudget) {
  ModelSpec model = attentionModel({{"gpt", 1024, 12, 64, true, 12, false},
                                    {"vit", 197, 6, 64, false, 12, false},
                                    {"long", 4096, 8, 128, false, 2, false}});
  ModelPlan plan = planModel(model);
  ASSERT_EQ(plan.attention.size(), 3u);
  for (const PlannedAttention &a : plan.attention)
    checkAttentionPlan(a, model);
  EXPECT_TRUE(plan.attention[0].sparse);
  EXPECT_LE(plan.attention[0].cost.cost, plan.attention[0].budgetCost);
  // Totals: the attention adds FLOPs and cost per token, no parameters.
  LayerCost total = plan.layers[0].cost;
  for (const PlannedAttention &a : plan.attention)
    total += a.cost.scaled(a.source.repeat);
  EXPECT_EQ(plan.total.params, plan.layers[0].cost.params);
  EXPECT_EQ(plan.total.flopsPerToken, total.flopsPerToken);
  EXPECT_DOUBLE_EQ(plan.total.cost, total.cost);
}

TEST(Planner, PlansRandomAttentionWithinItsBudget) {
  RandomDraws draws;
  SCOPED_TRACE(draws.trace());
  for (int trial = 0; trial < 30; ++trial) {
    ModelSpec model = randomModel(draws);
    for (int i = 0, n = static_cast<int>(draws(1, 3)); i < n; ++i)
      model.attention.push_back({"a" + std::to_string(i), draws(1, 2500),
                                 draws(1, 16), draws(1, 256), draws(0, 1) == 1,
                                 draws(1, 4), draws(0, 5) == 0});
    ModelPlan plan = planModel(model);
    ASSERT_EQ(plan.attention.size(), model.attention.size());
    for (const PlannedAttention &a : plan.attention)
      checkAttentionPlan(a, model);
  }
}

TEST(Planner, CausalAttentionCostsAboutHalf) {
  ModelSpec model = attentionModel({{"full", 1024, 4, 64, false, 1, false},
                                    {"causal", 1024, 4, 64, true, 1, false}});
  ModelPlan plan = planModel(model);
  // 32 block rows: 528 of 1024 blocks at or left of the diagonal.
  double ratio = plan.attention[1].dense.cost / plan.attention[0].dense.cost;
  EXPECT_NEAR(ratio, 528.0 / 1024.0, 0.01);
  EXPECT_LE(plan.attention[1].nnzBlocks, plan.attention[0].nnzBlocks);
}

TEST(Planner, KeepsShortAndMarkedAttentionDense) {
  ModelSpec model = attentionModel({{"short", 32, 4, 64, false, 1, false},
                                    {"kept", 1024, 4, 64, false, 1, true},
                                    {"two", 33, 4, 64, true, 1, false}});
  ModelPlan plan = planModel(model);
  EXPECT_FALSE(plan.attention[0].sparse);
  EXPECT_NE(plan.attention[0].note.find("too short"), std::string::npos);
  EXPECT_FALSE(plan.attention[1].sparse);
  EXPECT_EQ(plan.attention[1].note, "kept dense by the spec");
  EXPECT_DOUBLE_EQ(plan.attention[1].cost.cost, plan.attention[1].dense.cost);
  // Two blocks admit S = 2.
  EXPECT_TRUE(plan.attention[2].sparse);
  for (const PlannedAttention &a : plan.attention)
    checkAttentionPlan(a, model);
}

// The shipped transformers list their attention; the planned specs are
// valid attention specs (the parser's checks, through its printer).
TEST(Planner, ShippedTransformersPlanTheirAttention) {
  for (const char *file : {"gpt2-small.yaml", "gpt2-medium.yaml",
                           "vit-s16.yaml", "vit-b16.yaml"}) {
    SCOPED_TRACE(file);
    ModelSpec model = loadModel(file);
    ModelPlan plan = planModel(model);
    ASSERT_EQ(plan.attention.size(), 1u);
    checkAttentionPlan(plan.attention[0], model);
    ASSERT_TRUE(plan.attention[0].sparse);
    std::string text;
    llvm::raw_string_ostream os(text);
    printAttentionSpec(plan.attention[0].spec, os);
    std::optional<Spec> spec = parseSpecText(text, "planned", llvm::errs());
    ASSERT_TRUE(spec && std::holds_alternative<AttentionSpec>(*spec));
    EXPECT_EQ(std::get<AttentionSpec>(*spec), plan.attention[0].spec);
  }
}

TEST(Planner, CountsCausalSupportsWithoutTheMask) {
  for (int64_t seq : {64, 197, 1000, 1024}) {
    for (const ButterflyPattern &p : allSupports(seq, 16)) {
      AttentionSpec spec;
      spec.seqLen = seq;
      spec.block = 16;
      spec.causal = true;
      spec.butterfly = p;
      int64_t padded = spec.paddedSeq();
      EXPECT_EQ(countMaskBlocks(p, padded, padded, 16, /*lowerOnly=*/true),
                spec.support().nnzBlocks())
          << seq << " " << p.str();
    }
  }
}

} // namespace
} // namespace pfc
