//===- SpecParserTest.cpp - Reading and writing spec files ----------------===//
#include "pfc/Spec/SpecParser.h"

#include "RandomDraws.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

using namespace llvm;

namespace pfc {
namespace {

struct ParseResult {
  std::optional<Spec> spec;
  std::vector<std::string> diagnostics; ///< "line:col: message"
};

ParseResult parseText(StringRef text, SpecKind want = SpecKind::Any) {
  ParseResult result;
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(MemoryBuffer::getMemBufferCopy(text, "t.yaml"),
                               SMLoc());
  sourceMgr.setDiagHandler(
      [](const SMDiagnostic &diag, void *out) {
        static_cast<std::vector<std::string> *>(out)->push_back(
            std::to_string(diag.getLineNo()) + ":" +
            std::to_string(diag.getColumnNo() + 1) + ": " +
            diag.getMessage().str());
      },
      &result.diagnostics);
  result.spec = parseSpec(sourceMgr, want);
  return result;
}

constexpr const char *kExample = R"(pfc: 1
layer:
  name: mlp_fc1
  in_features: 768
  out_features: 3072
  block: 32
  butterfly:
    size: 16
    factors: 2
    shuffle: false
    global: 0
  lowrank:
    rank: 32
  gamma:
    mode: gate
    init: 0.25
  bias: false
  dtype: bf16
)";

TEST(SpecParser, ReadsEveryKeyOfTheIssueExample) {
  ParseResult result = parseText(kExample);
  ASSERT_TRUE(result.spec) << result.diagnostics.front();
  EXPECT_TRUE(result.diagnostics.empty());
  const auto &layer = std::get<LayerSpec>(*result.spec);
  EXPECT_EQ(layer.name, "mlp_fc1");
  EXPECT_EQ(layer.inFeatures, 768);
  EXPECT_EQ(layer.outFeatures, 3072);
  EXPECT_EQ(layer.block, 32);
  EXPECT_EQ(layer.butterfly.size, 16);
  EXPECT_EQ(layer.butterfly.strides, (std::vector<int64_t>{2, 4}));
  EXPECT_FALSE(layer.butterfly.shuffle);
  EXPECT_EQ(layer.butterfly.global, 0);
  EXPECT_EQ(layer.rank, 32);
  EXPECT_EQ(layer.gammaMode, GammaMode::Gate);
  EXPECT_EQ(layer.gammaInit, 0.25);
  EXPECT_FALSE(layer.bias);
  EXPECT_EQ(layer.dtype, DType::BF16);
}

TEST(SpecParser, OptionalKeysTakeTheirDefaults) {
  ParseResult result = parseText("pfc: 1\nlayer: {name: l, in_features: 100, "
                                 "out_features: 60, butterfly: {size: 2, "
                                 "strides: [2]}}\n");
  ASSERT_TRUE(result.spec) << result.diagnostics.front();
  const auto &layer = std::get<LayerSpec>(*result.spec);
  EXPECT_EQ(layer.block, 32);
  EXPECT_EQ(layer.paddedIn(), 128);
  EXPECT_EQ(layer.paddedOut(), 64);
  EXPECT_EQ(layer.rank, 0);
  EXPECT_EQ(layer.gammaMode, GammaMode::Scalar);
  EXPECT_EQ(layer.gammaInit, 0.5);
  EXPECT_TRUE(layer.bias);
  EXPECT_EQ(layer.dtype, DType::F32);
}

TEST(SpecParser, ReadsAModelSpec) {
  ParseResult result = parseText(R"(pfc: 1
model:
  name: tiny
  budget: 0.4
  block: 16
  lowrank_share: 0.3
  cost: {mem: 2, flop: 0.5}
  extra_params: 1000
  layers:
    - {name: a, in_features: 64, out_features: 128, repeat: 3}
    - name: b
      in_features: 128
      out_features: 10
      dense: true
      bias: false
)");
  ASSERT_TRUE(result.spec) << result.diagnostics.front();
  const auto &model = std::get<ModelSpec>(*result.spec);
  EXPECT_EQ(model.name, "tiny");
  EXPECT_EQ(model.budget, 0.4);
  EXPECT_EQ(model.block, 16);
  EXPECT_EQ(model.lowrankShare, 0.3);
  EXPECT_EQ(model.cost.mem, 2.0);
  EXPECT_EQ(model.cost.flop, 0.5);
  EXPECT_EQ(model.extraParams, 1000);
  ASSERT_EQ(model.layers.size(), 2u);
  EXPECT_EQ(model.layers[0].repeat, 3);
  EXPECT_TRUE(model.layers[0].bias);
  EXPECT_FALSE(model.layers[0].dense);
  EXPECT_EQ(model.layers[1].repeat, 1);
  EXPECT_TRUE(model.layers[1].dense);
  EXPECT_FALSE(model.layers[1].bias);
}

// Each case: the text, the one diagnostic expected (line:col: message).
struct ErrorCase {
  const char *text;
  const char *diagnostic;
};

TEST(SpecParser, ReportsExactlyOneErrorAtItsPlace) {
  const ErrorCase cases[] = {
      {"pfc: 1\nlayer:\n  name: x\n  in_features: 64\n  out_features: 64\n"
       "  butterfly: {size: 4, factors: 1}\n  bogus: 1\n",
       "7:3: unknown key 'bogus' in 'layer' (expected one of: name, "
       "in_features, out_features, block, butterfly, lowrank, gamma, bias, "
       "dtype)"},
      {"pfc: 1\nlayer:\n  name: x\n  in_features: 64\n  in_features: 64\n",
       "5:3: duplicate key 'in_features' in 'layer' (expected each key at "
       "most once)"},
      {"pfc: 1\nlayer:\n  name: x\n  in_features: 64\n  out_features: 64\n"
       "  butterfly: {size: 4, strides: [2, 8]}\n",
       "6:37: stride 8 exceeds the butterfly size (expected powers of two in "
       "[2, 4], strictly ascending)"},
      {"pfc: 1\nlayer:\n  name: x\n  in_features: 48\n  out_features: 64\n"
       "  block: 16\n  butterfly: {size: 32, factors: 1}\n",
       "7:21: butterfly size 32 does not divide the padded shape 64x48 "
       "(expected a power of two that divides both padded feature counts)"},
      {"pfc: 1\nmodel: {name: m, budget: 0.5, layers: [{name: a, "
       "in_features: 8, out_features: 8}, {name: a, in_features: 8, "
       "out_features: 8}]}\n",
       "2:91: layer name 'a' is used twice (expected unique layer names)"},
      {"pfc: 1\n", "1:1: the spec has neither 'layer' nor 'model' (expected "
                   "exactly one of 'layer' or 'model')"},
  };
  for (const ErrorCase &c : cases) {
    SCOPED_TRACE(c.text);
    ParseResult result = parseText(c.text);
    EXPECT_FALSE(result.spec);
    ASSERT_EQ(result.diagnostics.size(), 1u);
    EXPECT_EQ(result.diagnostics.front(), c.diagnostic);
  }
}

TEST(SpecParser, RejectsTheOtherKindOfSpec) {
  ParseResult result = parseText(kExample, SpecKind::Model);
  EXPECT_FALSE(result.spec);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics.front(),
            "2:1: this is a layer spec (expected a model spec, with "
            "'model:')");
}

/// A random valid layer spec: S divides both padded dimensions.
LayerSpec randomLayer(RandomDraws &pick) {
  LayerSpec layer;
  layer.name = "layer_" + std::to_string(pick(0, 999));
  layer.block = int64_t{1} << pick(2, 7);
  layer.inFeatures = pick(1, 2048);
  layer.outFeatures = pick(1, 2048);
  int64_t maxLog = 1;
  while (layer.paddedIn() % (int64_t{1} << (maxLog + 1)) == 0 &&
         layer.paddedOut() % (int64_t{1} << (maxLog + 1)) == 0)
    ++maxLog;
  layer.butterfly.size = int64_t{1} << pick(1, maxLog);
  layer.butterfly.strides.clear();
  for (int64_t k = 2; k <= layer.butterfly.size; k *= 2)
    if (pick(0, 1))
      layer.butterfly.strides.push_back(k);
  if (layer.butterfly.strides.empty())
    layer.butterfly.strides.push_back(layer.butterfly.size);
  layer.butterfly.shuffle = pick(0, 1);
  layer.butterfly.global = pick(0, 1) ? pick(0, layer.paddedIn()) : 0;
  layer.rank = pick(0, std::min(layer.inFeatures, layer.outFeatures));
  layer.gammaMode = static_cast<GammaMode>(pick(0, 2));
  layer.gammaInit = pick.real(0.001, 0.999);
  layer.bias = pick(0, 1);
  layer.dtype = static_cast<DType>(pick(0, 2));
  return layer;
}

TEST(SpecParser, PrintedLayerSpecsReadBackEqual) {
  RandomDraws draws;
  SCOPED_TRACE(draws.trace());
  for (int i = 0; i < 500; ++i) {
    LayerSpec layer = randomLayer(draws);
    std::string text;
    raw_string_ostream os(text);
    printLayerSpec(layer, os);
    ParseResult result = parseText(os.str());
    ASSERT_TRUE(result.spec) << text << result.diagnostics.front();
    EXPECT_TRUE(std::get<LayerSpec>(*result.spec) == layer) << text;
  }
}

TEST(SpecParser, EveryShippedSpecParses) {
  namespace fs = std::filesystem;
  int count = 0;
  for (const char *dir : {"specs/layers", "specs/models"}) {
    for (const auto &entry :
         fs::directory_iterator(fs::path(PFC_SOURCE_DIR) / dir)) {
      if (entry.path().extension() != ".yaml")
        continue;
      SCOPED_TRACE(entry.path().string());
      std::string diagnostics;
      raw_string_ostream os(diagnostics);
      EXPECT_TRUE(parseSpecFile(entry.path().string(), os)) << os.str();
      ++count;
    }
  }
  EXPECT_GE(count, 12);
}

// Every input the fuzzer kept (seeds and the inputs that once crashed or
// misbehaved) either parses or is rejected with exactly one diagnostic.
TEST(SpecParser, FuzzCorpusIsAcceptedOrRejectedOnce) {
  namespace fs = std::filesystem;
  int count = 0;
  for (const auto &entry : fs::directory_iterator(fs::path(PFC_SOURCE_DIR) /
                                                  "tests/fuzz/corpus/spec")) {
    SCOPED_TRACE(entry.path().string());
    auto buffer = MemoryBuffer::getFile(entry.path().string());
    ASSERT_TRUE(buffer);
    ParseResult result = parseText((*buffer)->getBuffer());
    EXPECT_EQ(result.diagnostics.size(), result.spec ? 0u : 1u);
    ++count;
  }
  EXPECT_GE(count, 14);
}

TEST(SpecParser, ReportsAMissingFile) {
  std::string diagnostics;
  raw_string_ostream os(diagnostics);
  EXPECT_FALSE(parseSpecFile("/nonexistent/spec.yaml", os));
  EXPECT_NE(os.str().find("/nonexistent/spec.yaml: error: cannot read"),
            std::string::npos)
      << os.str();
}

} // namespace
} // namespace pfc
