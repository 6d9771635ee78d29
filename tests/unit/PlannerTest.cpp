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

} // namespace
} // namespace pfc
