//===- SpecParserTest.cpp - Reading and writing spec files ----------------===//
#include "pfc/Spec/SpecParser.h"

#include "RandomDraws.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
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
      {"pfc: 1\n", "1:1: the spec has neither 'layer', 'model' nor "
                   "'attention' (expected exactly one of 'layer', 'model' or "
                   "'attention')"},
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

/// A random pattern whose size divides both padded dimensions (both are
/// multiples of a block, so of 2), with up to `maxGlobal` global features.
ButterflyPattern randomPattern(RandomDraws &pick, int64_t paddedOut,
                               int64_t paddedIn, int64_t maxGlobal) {
  int64_t maxLog = 1;
  while (paddedIn % (int64_t{1} << (maxLog + 1)) == 0 &&
         paddedOut % (int64_t{1} << (maxLog + 1)) == 0)
    ++maxLog;
  ButterflyPattern pattern;
  pattern.size = int64_t{1} << pick(1, maxLog);
  pattern.strides.clear();
  for (int64_t k = 2; k <= pattern.size; k *= 2)
    if (pick(0, 1))
      pattern.strides.push_back(k);
  if (pattern.strides.empty())
    pattern.strides.push_back(pattern.size);
  pattern.shuffle = pick(0, 1);
  pattern.global = pick(0, 1) ? pick(0, maxGlobal) : 0;
  return pattern;
}

/// A random valid layer spec: S divides both padded dimensions.
LayerSpec randomLayer(RandomDraws &pick) {
  LayerSpec layer;
  layer.name = "layer_" + std::to_string(pick(0, 999));
  layer.block = int64_t{1} << pick(2, 7);
  layer.inFeatures = pick(1, 2048);
  layer.outFeatures = pick(1, 2048);
  layer.butterfly = randomPattern(pick, layer.paddedOut(), layer.paddedIn(),
                                  layer.paddedIn());
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
  for (const char *dir : {"specs/layers", "specs/models", "specs/attention"}) {
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
  EXPECT_GE(count, 15);
}

constexpr const char *kAttentionExample = R"(pfc: 1
attention:
  name: gpt2_attn
  seq_len: 1000
  heads: 12
  head_dim: 64
  block: 64
  butterfly:
    size: 16
    factors: 2
    global: 64
  features: 64
  causal: true
  seed: 18446744073709551615
  scale: 0.125
  dtype: bf16
)";

TEST(AttentionSpecParser, ReadsEveryKey) {
  ParseResult result = parseText(kAttentionExample);
  ASSERT_TRUE(result.spec) << result.diagnostics.front();
  EXPECT_TRUE(result.diagnostics.empty());
  const auto &spec = std::get<AttentionSpec>(*result.spec);
  EXPECT_EQ(spec.name, "gpt2_attn");
  EXPECT_EQ(spec.seqLen, 1000);
  EXPECT_EQ(spec.paddedSeq(), 1024);
  EXPECT_EQ(spec.heads, 12);
  EXPECT_EQ(spec.headDim, 64);
  EXPECT_EQ(spec.block, 64);
  ASSERT_TRUE(spec.butterfly);
  EXPECT_EQ(spec.butterfly->size, 16);
  EXPECT_EQ(spec.butterfly->strides, (std::vector<int64_t>{2, 4}));
  EXPECT_FALSE(spec.butterfly->shuffle);
  EXPECT_EQ(spec.butterfly->global, 64);
  EXPECT_EQ(spec.features, 64);
  EXPECT_TRUE(spec.causal);
  EXPECT_EQ(spec.seed, UINT64_MAX);
  ASSERT_TRUE(spec.scale);
  EXPECT_EQ(*spec.scale, 0.125);
  EXPECT_EQ(spec.tau(), 0.125);
  EXPECT_EQ(spec.dtype, DType::BF16);
}

TEST(AttentionSpecParser, OptionalKeysTakeTheirDefaults) {
  ParseResult result =
      parseText("pfc: 1\nattention: {name: a, seq_len: 100, head_dim: 16, "
                "butterfly: {size: 2, factors: 1}}\n");
  ASSERT_TRUE(result.spec) << result.diagnostics.front();
  const auto &spec = std::get<AttentionSpec>(*result.spec);
  EXPECT_EQ(spec.heads, 1);
  EXPECT_EQ(spec.block, 64);
  EXPECT_EQ(spec.paddedSeq(), 128);
  ASSERT_TRUE(spec.butterfly);
  EXPECT_EQ(spec.butterfly->global, 0);
  EXPECT_FALSE(spec.butterfly->shuffle);
  EXPECT_EQ(spec.features, 0);
  EXPECT_FALSE(spec.causal);
  EXPECT_EQ(spec.seed, 0u);
  EXPECT_FALSE(spec.scale);
  EXPECT_EQ(spec.tau(), 0.25);
  EXPECT_EQ(spec.dtype, DType::F32);
}

TEST(AttentionSpecParser, ButterflyNoneIsPerformerAttention) {
  ParseResult result =
      parseText("pfc: 1\nattention: {name: p, seq_len: 256, head_dim: 64, "
                "butterfly: none, features: 2}\n");
  ASSERT_TRUE(result.spec) << result.diagnostics.front();
  const auto &spec = std::get<AttentionSpec>(*result.spec);
  EXPECT_FALSE(spec.butterfly);
  EXPECT_EQ(spec.features, 2);
  EXPECT_EQ(spec.support().nnzBlocks(), 0);
  EXPECT_EQ(spec.support().blockRows, 4);
}

TEST(AttentionSpecParser, ReportsExactlyOneErrorAtItsPlace) {
  const ErrorCase cases[] = {
      {"pfc: 1\nattention: {name: a, seq_len: 64, head_dim: 64, butterfly: "
       "none}\n",
       "2:60: nothing to attend: no support and no features (expected a "
       "butterfly mapping, or 'features' above 0)"},
      {"pfc: 1\nattention: {name: a, seq_len: 64, head_dim: 64, butterfly: "
       "{size: 2, factors: 1}, features: 3}\n",
       "2:93: 'features' is 3, an odd number (expected an even number in [0, "
       "4096])"},
      {"pfc: 1\nattention: {name: a, seq_len: 64, head_dim: 64, butterfly: "
       "{size: 128, factors: 1}}\n",
       "2:67: butterfly size 128 does not divide the padded shape 64x64 "
       "(expected a power of two that divides the padded sequence, 64 "
       "tokens)"},
      {"pfc: 1\nattention: {name: a, seq_len: 64, head_dim: 64, butterfly: "
       "{size: 2, factors: 1, global: 65}}\n",
       "2:90: global 65 exceeds the sequence length 64 (expected at most 64 "
       "tokens)"},
      {"pfc: 1\nattention: {name: a, seq_len: 64, head_dim: 64, butterfly: "
       "{size: 2, factors: 1}, scale: 0}\n",
       "2:90: 'scale' is 0, out of range (expected a number in (0, inf))"},
  };
  for (const ErrorCase &c : cases) {
    SCOPED_TRACE(c.text);
    ParseResult result = parseText(c.text);
    EXPECT_FALSE(result.spec);
    ASSERT_EQ(result.diagnostics.size(), 1u);
    EXPECT_EQ(result.diagnostics.front(), c.diagnostic);
  }
}

TEST(AttentionSpecParser, CallersChooseTheKindsTheyAccept) {
  ParseResult layer = parseText(kAttentionExample, SpecKind::Layer);
  EXPECT_FALSE(layer.spec);
  ASSERT_EQ(layer.diagnostics.size(), 1u);
  EXPECT_EQ(layer.diagnostics.front(),
            "2:1: this is an attention spec (expected a layer spec, with "
            "'layer:')");
  ParseResult model =
      parseText(kExample, SpecKind::Model | SpecKind::Attention);
  EXPECT_FALSE(model.spec);
  ASSERT_EQ(model.diagnostics.size(), 1u);
  EXPECT_EQ(model.diagnostics.front(),
            "2:1: this is a layer spec (expected a model or attention spec, "
            "with 'model:' or 'attention:')");
  EXPECT_TRUE(
      parseText(kAttentionExample, SpecKind::Layer | SpecKind::Attention).spec);
  EXPECT_TRUE(parseText(kAttentionExample, SpecKind::Attention).spec);
}

/// A random valid attention spec; a quarter without a support.
AttentionSpec randomAttention(RandomDraws &pick) {
  AttentionSpec spec;
  spec.name = "attn_" + std::to_string(pick(0, 999));
  spec.seqLen = pick(1, 4096);
  spec.heads = pick(1, 64);
  spec.headDim = pick(1, 1024);
  spec.block = int64_t{1} << pick(2, 8);
  spec.features = 2 * pick(0, 2048);
  if (pick(0, 3) == 0) {
    spec.butterfly.reset();
    spec.features = std::max<int64_t>(spec.features, 2);
  } else {
    spec.butterfly =
        randomPattern(pick, spec.paddedSeq(), spec.paddedSeq(), spec.seqLen);
  }
  spec.causal = pick(0, 1);
  spec.seed = static_cast<uint64_t>(pick(0, INT64_MAX)) * 2 +
              static_cast<uint64_t>(pick(0, 1));
  if (pick(0, 1))
    spec.scale = std::exp(pick.real(-20.0, 20.0));
  spec.dtype = static_cast<DType>(pick(0, 2));
  return spec;
}

TEST(AttentionSpecParser, PrintedSpecsReadBackEqual) {
  RandomDraws draws;
  SCOPED_TRACE(draws.trace());
  for (int i = 0; i < 500; ++i) {
    AttentionSpec spec = randomAttention(draws);
    std::string text;
    raw_string_ostream os(text);
    printAttentionSpec(spec, os);
    ParseResult result = parseText(os.str());
    ASSERT_TRUE(result.spec) << text << result.diagnostics.front();
    const auto &read = std::get<AttentionSpec>(*result.spec);
    EXPECT_TRUE(read == spec) << text;
    // The text is canonical: printing what was read gives it again.
    std::string again;
    raw_string_ostream againOS(again);
    printAttentionSpec(read, againOS);
    EXPECT_EQ(againOS.str(), text);
  }
}

TEST(AttentionSpecParser, DefaultsPrintInCanonicalForm) {
  ParseResult result = parseText("pfc: 1\nattention: {name: a, seq_len: 100, "
                                 "head_dim: 16, butterfly: none, "
                                 "features: 8}\n");
  ASSERT_TRUE(result.spec) << result.diagnostics.front();
  std::string text;
  raw_string_ostream os(text);
  printAttentionSpec(std::get<AttentionSpec>(*result.spec), os);
  EXPECT_EQ(os.str(), "pfc: 1\n"
                      "attention:\n"
                      "  name: a\n"
                      "  seq_len: 100\n"
                      "  heads: 1\n"
                      "  head_dim: 16\n"
                      "  block: 64\n"
                      "  butterfly: none\n"
                      "  features: 8\n"
                      "  causal: false\n"
                      "  seed: 0\n"
                      "  dtype: f32\n");
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
