//===- CApiTest.cpp - The compiler C API against the fp64 reference -------===//
#include "AttentionReference.h"
#include "GradTestUtil.h"
#include "RandomDraws.h"
#include "pfc/Runtime/Reference.h"

#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/Jit.h"
#include "pfc/runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

extern "C" int pfcTestRunLayer(const char *specPath, const char *paramsPath,
                               const float *x, const float *dy, int64_t tokens,
                               float *y, float *dx, float *const *grads,
                               char *error, size_t errorSize);
extern "C" int pfcTestRunAttention(const char *specPath,
                                   const char *compiledDir, const float *q,
                                   const float *k, const float *v,
                                   const float *dout, int64_t batch,
                                   int64_t tokens, float *o, float *dq,
                                   float *dk, float *dv, int64_t *sizes,
                                   char *error, size_t errorSize);

using namespace pfc;

namespace {

const std::string kSpec = PFC_SOURCE_DIR "/specs/layers/gate_odd.yaml";

TEST(CApi, LoadedParamsGiveTheReferenceForward) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  auto spec = parseSpecFile(kSpec, llvm::errs(), SpecKind::Layer);
  ASSERT_TRUE(spec);
  const LayerSpec &layer = std::get<LayerSpec>(*spec);
  BlockMask mask = layer.blockMask();
  // Random parameters (not the init), written as pfc init would.
  LayerParams params = initParams(layer, mask, draw(0, 1000));
  for (std::vector<float> *tensor :
       {&params.blocks, &params.u, &params.v, &params.gateWeight, &params.bias})
    *tensor = draw.values(tensor->size());
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("capi", "safetensors", path));
  std::string error;
  ASSERT_TRUE(writeSafetensors(
      std::string(path), tensorsFromParams(layer, mask, params), {}, error))
      << error;

  int64_t tokens = draw(1, 70);
  std::vector<float> x = draw.values(tokens * layer.inFeatures);
  std::vector<float> dy = draw.values(tokens * layer.outFeatures);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> y(tokens * layer.outFeatures, nan),
      dx(tokens * layer.inFeatures, nan);
  // One gradient array per tensor, in the C API's order (paramInfos').
  TensorMap grads;
  std::vector<float *> gradPointers;
  for (const ParamInfo &info : paramInfos(layer, mask)) {
    Tensor &tensor = grads[info.name];
    tensor.shape = info.shape;
    tensor.data.assign(elementCount(info.shape), nan);
    gradPointers.push_back(tensor.data.data());
  }
  char message[256] = "";
  ASSERT_EQ(pfcTestRunLayer(kSpec.c_str(), path.c_str(), x.data(), dy.data(),
                            tokens, y.data(), dx.data(), gradPointers.data(),
                            message, sizeof message),
            0)
      << message;
  llvm::sys::fs::remove(path);
  EXPECT_LE(relativeError(y, referenceForward(layer, mask, params, x, tokens)),
            1e-5);
  expectGradients(layer, mask, params, x, dy, tokens, grads, dx);
}

TEST(CApi, ErrorsComeBackAsMessages) {
  float x[1000] = {}, y[777];
  char message[256] = "";
  EXPECT_EQ(pfcTestRunLayer("/nonexistent/layer.yaml", nullptr, x, nullptr, 1,
                            y, nullptr, nullptr, message, sizeof message),
            1);
  EXPECT_NE(std::string(message).find("/nonexistent/layer.yaml"),
            std::string::npos)
      << message;
  // A message longer than the buffer is cut, not overflowed.
  char tiny[8];
  std::memset(tiny, 'x', sizeof tiny);
  EXPECT_EQ(pfcTestRunLayer(kSpec.c_str(), "/nonexistent/p.safetensors", x,
                            nullptr, 1, y, nullptr, nullptr, tiny, sizeof tiny),
            2);
  EXPECT_EQ(std::strlen(tiny), sizeof tiny - 1);
}

// A small causal attention with a support and random features: seq_len 40
// in blocks of 8, 2 heads of 12.
const char *kAttentionYaml =
    "pfc: 1\nattention:\n  name: capi_attention\n  seq_len: 40\n  heads: 2\n"
    "  head_dim: 12\n  block: 8\n  butterfly: {size: 4, strides: [2, 4]}\n"
    "  features: 6\n  causal: true\n  seed: 3\n";

/// A file holding `text`, removed with the fixture.
struct TemporaryFile {
  explicit TemporaryFile(const std::string &text, const char *suffix) {
    int fd = -1;
    EXPECT_FALSE(llvm::sys::fs::createTemporaryFile("capi", suffix, fd, path));
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
  }
  ~TemporaryFile() { llvm::sys::fs::remove(path); }
  llvm::SmallString<128> path;
};

double maxDifference(const std::vector<float> &a, const std::vector<float> &b) {
  double most = 0;
  for (size_t i = 0; i < a.size(); ++i)
    most = std::max(most, std::abs(double(a[i]) - b[i]));
  return most;
}

/// What one run of an attention through the C API gave.
struct AttentionRun {
  std::vector<float> o, dq, dk, dv;
  int64_t sizes[3] = {0, 0, 0};
};

/// Runs pfcTestRunAttention (compiling `specPath`, or loading `dir`) on q,
/// k, v, dout [batch, heads, tokens, d].
AttentionRun
runAttention(const char *specPath, const char *dir, const std::vector<float> &q,
             const std::vector<float> &k, const std::vector<float> &v,
             const std::vector<float> &dout, int64_t batch, int64_t tokens) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  AttentionRun run;
  for (std::vector<float> *out : {&run.o, &run.dq, &run.dk, &run.dv})
    out->assign(q.size(), nan);
  char message[512] = "";
  EXPECT_EQ(pfcTestRunAttention(specPath, dir, q.data(), k.data(), v.data(),
                                dout.data(), batch, tokens, run.o.data(),
                                run.dq.data(), run.dk.data(), run.dv.data(),
                                run.sizes, message, sizeof message),
            0)
      << message;
  return run;
}

TEST(CApi, AttentionForwardAndBackward) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  TemporaryFile specFile(kAttentionYaml, "yaml");
  auto parsed = parseSpecText(kAttentionYaml, "capi", llvm::errs());
  ASSERT_TRUE(parsed);
  const AttentionSpec spec = std::get<AttentionSpec>(*parsed);
  const int64_t batch = draw(1, 3), tokens = draw(1, spec.seqLen);
  const size_t n =
      static_cast<size_t>(batch * spec.heads * tokens * spec.headDim);
  std::vector<float> q = draw.values(n, 1.5), k = draw.values(n, 1.5),
                     v = draw.values(n), dout = draw.values(n);
  AttentionRun run = runAttention(specFile.path.c_str(), nullptr, q, k, v, dout,
                                  batch, tokens);
  EXPECT_EQ(run.sizes[0], 40);
  EXPECT_EQ(run.sizes[1], 2);
  EXPECT_EQ(run.sizes[2], 12);

  // The forward against the fp64 reference; the gradients against the C++
  // class's with the same kernel (AttentionJitTest checks those against
  // finite differences).
  auto attention = compileAttention(spec, CompileOptions(2));
  ASSERT_TRUE(bool(attention)) << toString(attention.takeError());
  std::vector<double> want = referenceAttentionHeads(
      spec, (*attention)->features(), batch * spec.heads, tokens, q.data(),
      k.data(), v.data());
  EXPECT_LE(relativeError(run.o, want), 1e-5);
  std::vector<float> o(n), stats(n / spec.headDim * 3), dq(n), dk(n), dv(n);
  (*attention)
      ->forward(q.data(), k.data(), v.data(), batch, tokens, o.data(),
                stats.data());
  (*attention)
      ->backward(q.data(), k.data(), v.data(), batch, tokens, o.data(),
                 stats.data(), dout.data(), dq.data(), dk.data(), dv.data());
  EXPECT_EQ(maxDifference(run.o, o), 0);
  EXPECT_EQ(maxDifference(run.dq, dq), 0);
  EXPECT_EQ(maxDifference(run.dk, dk), 0);
  EXPECT_EQ(maxDifference(run.dv, dv), 0);
}

// The runtime C API loads what `pfc compile` wrote (the pfc tool beside this
// test's executable) and computes what the compiler C API computes.
TEST(CApi, AttentionLoadedFromPfcCompile) {
  std::string self = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  llvm::SmallString<256> tool(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(tool, "pfc");
  if (!llvm::sys::fs::can_execute(tool))
    GTEST_SKIP() << "no pfc tool at " << tool.str().str();
  TemporaryFile specFile(kAttentionYaml, "yaml");
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("capi-attention", dir));
  std::string out = (dir + "/out").str();
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(),
                                                std::nullopt};
  std::string why;
  ASSERT_EQ(llvm::sys::ExecuteAndWait(
                tool, {tool, "compile", specFile.path, "-o", out}, std::nullopt,
                redirects, 0, 0, &why),
            0)
      << why;

  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const int64_t batch = 2, tokens = draw(1, 40);
  const size_t n = static_cast<size_t>(batch * 2 * tokens * 12);
  std::vector<float> q = draw.values(n, 1.5), k = draw.values(n, 1.5),
                     v = draw.values(n), dout = draw.values(n);
  AttentionRun loaded =
      runAttention(nullptr, out.c_str(), q, k, v, dout, batch, tokens);
  AttentionRun compiled = runAttention(specFile.path.c_str(), nullptr, q, k, v,
                                       dout, batch, tokens);
  EXPECT_EQ(loaded.sizes[1], 2);
  EXPECT_LE(maxDifference(loaded.o, compiled.o), 1e-6);
  EXPECT_LE(maxDifference(loaded.dq, compiled.dq), 1e-5);
  EXPECT_LE(maxDifference(loaded.dk, compiled.dk), 1e-5);
  EXPECT_LE(maxDifference(loaded.dv, compiled.dv), 1e-5);

  // Too many tokens is an error, not a read past the arrays.
  char message[256] = "";
  pfc_attention *attention =
      pfc_attention_load(out.c_str(), 1, message, sizeof message);
  ASSERT_NE(attention, nullptr) << message;
  float none[1] = {0};
  EXPECT_EQ(pfc_attention_forward(attention, none, none, none, 1, 41, none,
                                  message, sizeof message),
            1);
  EXPECT_STREQ(message, "capi_attention: error: 41 tokens, more than the "
                        "attention takes (seq_len 40)");
  EXPECT_EQ(pfc_attention_backward(attention, none, none, none, none, 1, 41,
                                   none, none, none, message, sizeof message),
            1);
  // Nothing to do for no tokens.
  EXPECT_EQ(pfc_attention_forward(attention, none, none, none, 1, 0, none,
                                  message, sizeof message),
            0);
  pfc_attention_destroy(attention);

  // A layer's loader refuses the attention, and the other way round.
  pfc_layer *layer = pfc_layer_load(out.c_str(), 0, message, sizeof message);
  EXPECT_EQ(layer, nullptr);
  EXPECT_NE(std::string(message).find("an attention, not a layer"),
            std::string::npos)
      << message;
  llvm::sys::fs::remove_directories(dir);
}

TEST(CApi, AttentionErrorsComeBackAsMessages) {
  char message[256] = "";
  float x[1] = {0};
  int64_t sizes[3];
  // A missing spec, and a layer spec.
  EXPECT_EQ(pfcTestRunAttention("/nonexistent/attention.yaml", nullptr, x, x, x,
                                nullptr, 1, 1, x, x, x, x, sizes, message,
                                sizeof message),
            1);
  EXPECT_NE(std::string(message).find("/nonexistent/attention.yaml"),
            std::string::npos)
      << message;
  EXPECT_EQ(pfcTestRunAttention(kSpec.c_str(), nullptr, x, x, x, nullptr, 1, 1,
                                x, x, x, x, sizes, message, sizeof message),
            1);
  EXPECT_NE(std::string(message).find("this is a layer spec (expected an "
                                      "attention spec"),
            std::string::npos)
      << message;

  // A directory without a manifest; a layer's manifest.
  EXPECT_EQ(pfc_attention_load("/nonexistent/dir", 0, message, sizeof message),
            nullptr);
  EXPECT_NE(std::string(message).find("/nonexistent/dir/manifest.json"),
            std::string::npos)
      << message;
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("capi-layer", dir));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os((dir + "/manifest.json").str(), ec);
    ASSERT_FALSE(ec);
    os << R"({"target": "cpu", "spec": {}, "symbols": {}, "files": {}})";
  }
  EXPECT_EQ(pfc_attention_load(dir.c_str(), 0, message, sizeof message),
            nullptr);
  EXPECT_NE(std::string(message).find("manifest.json: error: a layer, not an "
                                      "attention (load it as a layer: "
                                      "pfc_layer_load)"),
            std::string::npos)
      << message;
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
