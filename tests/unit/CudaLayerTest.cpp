//===- CudaLayerTest.cpp - The runtime C API on layers compiled for CUDA --===//
//
// What needs no GPU: which image a GPU gets, the manifest's CUDA part, the
// host's f32 ↔ bf16/f16 rounding. With a GPU: `pfc compile --target cuda`
// run as a user runs it, the layer loaded through pfc/runtime.h and run on
// host arrays and on device buffers, against the fp64 reference.
//
//===----------------------------------------------------------------------===//
#include "GradTestUtil.h"
#include "RandomDraws.h"

#include "pfc/Runtime/Convert.h"
#include "pfc/Runtime/CudaLayer.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/runtime.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace pfc {
namespace {

using Image = CompiledManifest::CudaImage;

TEST(CudaImage, ACubinOfTheSameMajorElseTheNewestPtxNoNewer) {
  const std::vector<Image> images = {{"sm_80", "80.ptx", "80.cubin"},
                                     {"sm_90", "90.ptx", "90.cubin"}};
  std::string error;
  EXPECT_EQ(cuda::chooseCudaImage(images, "sm_90", error), "90.cubin");
  EXPECT_EQ(cuda::chooseCudaImage(images, "sm_86", error), "80.cubin");
  EXPECT_EQ(cuda::chooseCudaImage(images, "sm_89", error), "80.cubin");
  EXPECT_EQ(cuda::chooseCudaImage(images, "sm_100", error), "90.ptx");
  EXPECT_EQ(cuda::chooseCudaImage(images, "sm_120", error), "90.ptx");
  EXPECT_EQ(cuda::chooseCudaImage({{"sm_80", "80.ptx", ""}}, "sm_90", error),
            "80.ptx");
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(cuda::chooseCudaImage(images, "sm_75", error), "");
  EXPECT_EQ(error, "compiled for sm_80, sm_90, none of which runs on this GPU "
                   "(sm_75)");
  EXPECT_EQ(cuda::chooseCudaImage({}, "sm_90", error), "");
}

TEST(CudaManifest, ReadsThePlanAndTheImagesPerArchitecture) {
  const std::string text = R"({
    "target": "cuda", "pfc_version": "0",
    "spec": {"name": "l", "in_features": 64, "out_features": 32, "block": 16,
             "butterfly": {"size": 2, "strides": [2], "shuffle": false,
                           "global": 0},
             "lowrank": {"rank": 4}, "gamma": {"mode": "scalar", "init": 0.5},
             "bias": true, "dtype": "bf16"},
    "symbols": {"pack": "p", "forward": "f", "backward": "b"},
    "files": {"cuda": "l.cu", "plan": "l.plan.json"},
    "architectures": {"sm_80": {"ptx": "l.sm_80.ptx", "cubin": "l.sm_80.cubin"},
                      "sm_90": {"ptx": "l.sm_90.ptx", "cubin": "l.sm_90.cubin"}}
  })";
  CompiledManifest manifest;
  std::string error;
  ASSERT_TRUE(parseManifest(text, "m.json", manifest, error)) << error;
  EXPECT_EQ(manifest.plan, "l.plan.json");
  EXPECT_EQ(manifest.spec.dtype, DType::BF16);
  ASSERT_EQ(manifest.images.size(), 2u);
  EXPECT_EQ(manifest.images[1].arch, "sm_90");
  EXPECT_EQ(manifest.images[1].cubin, "l.sm_90.cubin");
  EXPECT_EQ(manifest.images[0].ptx, "l.sm_80.ptx");

  std::string noPlan = text;
  noPlan.replace(noPlan.find("\"plan\""), 6, "\"plam\"");
  EXPECT_FALSE(parseManifest(noPlan, "m.json", manifest, error));
  EXPECT_EQ(error, "m.json: error: missing \"plan\"");
}

/// The float nearest `value` among `bits`' neighbours, ties to the even
/// one: what rounding must give, found by search instead of bit tricks.
template <typename To, typename From>
void expectNearest(float value, To to, From from) {
  const uint16_t got = to(value);
  const double exact = value;
  const double distance = std::abs(double(from(got)) - exact);
  for (int step : {-1, 1}) {
    const uint16_t other = static_cast<uint16_t>(got + step);
    const float neighbour = from(other);
    if (std::isnan(neighbour) || std::signbit(neighbour) != std::signbit(value))
      continue;
    const double otherDistance = std::abs(double(neighbour) - exact);
    EXPECT_TRUE(distance < otherDistance ||
                (distance == otherDistance && (got & 1) == 0))
        << value << " became " << from(got) << ", " << neighbour
        << " is nearer or an even tie";
  }
}

TEST(Convert, SixteenBitFloatsRoundToNearestEven) {
  // Every f16 and bf16 value survives the trip through f32.
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const float f16 = fromF16(h), bf16 = fromBf16(h);
    if (std::isnan(f16))
      EXPECT_TRUE(std::isnan(fromF16(toF16(f16))));
    else
      EXPECT_EQ(toF16(f16), h) << std::hex << bits;
    if (std::isnan(bf16))
      EXPECT_TRUE(std::isnan(fromBf16(toBf16(bf16))));
    else
      EXPECT_EQ(toBf16(bf16), h) << std::hex << bits;
  }
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  // Values across f16's range, subnormals included, and f32's for bf16;
  // ties (the midpoints between neighbours) drawn on purpose.
  for (int i = 0; i < 20000; ++i) {
    const float scale = std::ldexp(1.0f, static_cast<int>(draw(-26, 15)));
    const float value = draw.values(1, scale)[0];
    expectNearest(value, toF16, fromF16);
    expectNearest(std::ldexp(value, static_cast<int>(draw(-100, 100))), toBf16,
                  fromBf16);
    const uint16_t h = static_cast<uint16_t>(draw(0, 0x7bfe));
    expectNearest(float((double(fromF16(h)) + fromF16(h + 1)) / 2), toF16,
                  fromF16);
  }
  EXPECT_EQ(fromF16(toF16(65519.0f)), 65504.0f);
  EXPECT_TRUE(std::isinf(fromF16(toF16(65520.0f))));
  EXPECT_TRUE(std::isinf(fromF16(toF16(1e30f))));
  EXPECT_EQ(fromF16(toF16(std::ldexp(1.0f, -25))), 0.0f); // a tie to even 0
  EXPECT_EQ(fromF16(toF16(std::ldexp(1.5f, -25))), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isnan(fromBf16(toBf16(std::nanf("")))));
  EXPECT_TRUE(std::isnan(fromF16(toF16(std::nanf("")))));
}

/// A GPU's device buffer holding `values`, freed at scope exit.
struct DeviceFloats {
  const cuda::Driver &d;
  cuda::DeviceBuffer buffer;
  DeviceFloats(const cuda::Driver &d, const std::vector<float> &values) : d(d) {
    std::string error;
    EXPECT_TRUE(buffer.allocate(d, values.size() * 4, error)) << error;
    if (!values.empty())
      EXPECT_EQ(
          d.check(d.memcpyHtoD(buffer.get(), values.data(), values.size() * 4),
                  "cuMemcpyHtoD"),
          "");
  }
  std::vector<float> read(size_t count) const {
    std::vector<float> values(count);
    if (count)
      EXPECT_EQ(d.check(d.memcpyDtoH(values.data(), buffer.get(), count * 4),
                        "cuMemcpyDtoH"),
                "");
    return values;
  }
};

/// `pfc compile --target cuda` on a shipped layer, loaded with the C API;
/// forward and backward on host arrays against the reference, then on
/// device buffers against the host arrays' results.
void runShippedLayer(const cuda::Driver &driver, const std::string &name) {
  SCOPED_TRACE(name);
  const std::string specPath =
      std::string(PFC_SOURCE_DIR) + "/specs/layers/" + name + ".yaml";
  std::optional<Spec> parsed =
      parseSpecFile(specPath, llvm::errs(), SpecKind::Layer);
  ASSERT_TRUE(parsed);
  const LayerSpec spec = std::get<LayerSpec>(*parsed);
  ASSERT_EQ(spec.dtype, DType::F32) << "the test compares f32 layers";
  const BlockMask mask = spec.blockMask();
  const std::string dir =
      (std::filesystem::temp_directory_path() /
       ("pfc-cuda-layer-" + name + "-" + std::to_string(::getpid())))
          .string();
  const std::string command = std::string(PFC_TOOL) +
                              " compile --target cuda " + specPath + " -o " +
                              dir + " > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  char error[512] = "";
  pfc_layer *layer = pfc_layer_load(dir.c_str(), 0, error, sizeof error);
  std::filesystem::remove_all(dir);
  ASSERT_NE(layer, nullptr) << error;
  EXPECT_STREQ(pfc_layer_target(layer), "cuda");
  EXPECT_STREQ(pfc_layer_dtype(layer), "f32");

  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  LayerParams params = initParams(spec, mask, draw(0, 1000));
  for (std::vector<float> *tensor :
       {&params.blocks, &params.u, &params.v, &params.gateWeight, &params.bias})
    *tensor = draw.values(tensor->size());
  const TensorMap tensors = tensorsFromParams(spec, mask, params);
  const std::vector<ParamInfo> infos = paramInfos(spec, mask);
  std::vector<const float *> paramPointers;
  for (const ParamInfo &info : infos)
    paramPointers.push_back(tensors.at(info.name).data.data());
  ASSERT_EQ(
      pfc_layer_set_params(layer, paramPointers.data(), error, sizeof error), 0)
      << error;

  const int64_t tokens = draw(1, 200), in = spec.inFeatures,
                out = spec.outFeatures;
  const std::vector<float> x = draw.values(tokens * in),
                           dy = draw.values(tokens * out);
  const float nan = std::nanf("");
  std::vector<float> y(tokens * out, nan), dx(tokens * in, nan);
  TensorMap grads;
  std::vector<float *> gradPointers;
  for (const ParamInfo &info : infos) {
    Tensor &tensor = grads[info.name];
    tensor.shape = info.shape;
    tensor.data.assign(elementCount(info.shape), nan);
    gradPointers.push_back(tensor.data.data());
  }
  ASSERT_EQ(
      pfc_layer_forward(layer, x.data(), tokens, y.data(), error, sizeof error),
      0)
      << error;
  ASSERT_EQ(pfc_layer_backward(layer, x.data(), dy.data(), tokens, dx.data(),
                               gradPointers.data(), error, sizeof error),
            0)
      << error;
  // Exact f32 products (no TF32), summed in another order than the CPU's.
  EXPECT_LT(relativeError(y, referenceForward(spec, mask, params, x, tokens)),
            1e-5);
  expectGradients(spec, mask, params, x, dy, tokens, grads, dx);

  // The same call on device buffers: the same numbers.
  DeviceFloats deviceX(driver, x), deviceDy(driver, dy),
      deviceY(driver, std::vector<float>(y.size(), nan)),
      deviceDx(driver, std::vector<float>(dx.size(), nan));
  std::vector<DeviceFloats> deviceGrads;
  std::vector<uint64_t> deviceGradPointers;
  deviceGrads.reserve(infos.size());
  for (const ParamInfo &info : infos) {
    deviceGrads.emplace_back(driver, grads[info.name].data);
    deviceGradPointers.push_back(deviceGrads.back().buffer.get());
  }
  ASSERT_EQ(pfc_layer_forward_device(layer, deviceX.buffer.get(), tokens,
                                     deviceY.buffer.get(), nullptr, error,
                                     sizeof error),
            0)
      << error;
  ASSERT_EQ(pfc_layer_backward_device(
                layer, deviceX.buffer.get(), deviceDy.buffer.get(), tokens,
                deviceDx.buffer.get(), deviceGradPointers.data(), nullptr,
                error, sizeof error),
            0)
      << error;
  EXPECT_EQ(deviceY.read(y.size()), y);
  EXPECT_EQ(deviceDx.read(dx.size()), dx);
  for (size_t i = 0; i < infos.size(); ++i)
    EXPECT_EQ(deviceGrads[i].read(grads[infos[i].name].data.size()),
              grads[infos[i].name].data)
        << infos[i].name;
  pfc_layer_destroy(layer);
}

TEST(CudaGpu, RuntimeApiOnHostArraysAndDeviceBuffers) {
  std::string why;
  const cuda::Driver *driver = cuda::Driver::get(why);
  if (!driver)
    GTEST_SKIP() << "GPU test skipped: " << why;
  for (const char *name : {"gate_odd", "mlp_fc2"})
    runShippedLayer(*driver, name);
}

} // namespace
} // namespace pfc
