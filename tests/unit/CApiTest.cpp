//===- CApiTest.cpp - The compiler C API against the fp64 reference -------===//
#include "GradTestUtil.h"
#include "RandomDraws.h"
#include "pfc/Runtime/Reference.h"

#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

extern "C" int pfcTestRunLayer(const char *specPath, const char *paramsPath,
                               const float *x, const float *dy, int64_t tokens,
                               float *y, float *dx, float *const *grads,
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

} // namespace
