//===- CudaNvrtcTest.cpp - Every shipped layer's CUDA, compiled by NVRTC --===//
//
// Needs no GPU: each spec in specs/layers is translated for every data type
// and compiled for sm_80 and sm_90; any NVRTC error or warning fails. Skips,
// saying why, where libnvrtc cannot be opened.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/CudaApi.h"
#include "pfc/Runtime/CudaCompile.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/CudaTarget.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace pfc {
namespace {

std::vector<std::string> shippedLayerSpecs() {
  std::vector<std::string> paths;
  for (const auto &entry : std::filesystem::directory_iterator(
           std::string(PFC_SOURCE_DIR) + "/specs/layers"))
    if (entry.path().extension() == ".yaml")
      paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

struct Case {
  DType dtype;
  bool tf32;
  int64_t stages;
};

// What gtest prints for a case (and ctest lists), instead of its bytes.
void PrintTo(const Case &c, std::ostream *os) {
  *os << toString(c.dtype) << (c.tf32 ? " tf32" : "") << ", " << c.stages
      << " stages";
}

class NvrtcCompiles : public ::testing::TestWithParam<Case> {};

TEST_P(NvrtcCompiles, EveryShippedLayer) {
  std::string why;
  if (!cuda::Nvrtc::get(why))
    GTEST_SKIP() << "NVRTC tests skipped: " << why;
  const Case &c = GetParam();
  for (const std::string &path : shippedLayerSpecs()) {
    SCOPED_TRACE(path);
    std::optional<Spec> spec =
        parseSpecFile(path, llvm::errs(), SpecKind::Layer);
    ASSERT_TRUE(spec);
    // The data type is the spec's: every shipped layer in every one.
    LayerSpec layer = std::get<LayerSpec>(*spec);
    layer.dtype = c.dtype;
    CudaOptions options;
    options.schedule.tf32 = c.tf32;
    options.schedule.stages = c.stages;
    auto module = compileLayerToCuda(layer, options);
    ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
    ASSERT_EQ(module->plan.entries.size(), 3u);
    for (const char *arch : {"sm_80", "sm_90"}) {
      cuda::CompiledCuda compiled;
      std::string error;
      ASSERT_TRUE(cuda::compileCuda(module->source, arch, compiled, error))
          << arch << ": " << error;
      EXPECT_EQ(compiled.log, "") << arch << ": NVRTC warned";
      EXPECT_FALSE(compiled.image.empty()) << arch;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, NvrtcCompiles,
                         ::testing::Values(Case{DType::F32, false, 2},
                                           Case{DType::F32, true, 1},
                                           Case{DType::BF16, false, 2},
                                           Case{DType::F16, false, 2}),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           return std::string(toString(info.param.dtype)) +
                                  (info.param.tf32 ? "_tf32" : "") + "_stages" +
                                  std::to_string(info.param.stages);
                         });

TEST(Nvrtc, PtxForAnyArchitecture) {
  std::string why;
  if (!cuda::Nvrtc::get(why))
    GTEST_SKIP() << "NVRTC tests skipped: " << why;
  cuda::CompiledCuda compiled;
  std::string error;
  ASSERT_TRUE(cuda::compileCuda(
      "extern \"C\" __global__ void k(float *x) { x[0] = 1; }", "compute_80",
      compiled, error))
      << error;
  EXPECT_NE(compiled.image.find(".entry k"), std::string::npos);
  EXPECT_FALSE(cuda::nvrtcVersion().empty());
}

TEST(Nvrtc, ReportsErrorsWithTheLog) {
  std::string why;
  if (!cuda::Nvrtc::get(why))
    GTEST_SKIP() << "NVRTC tests skipped: " << why;
  cuda::CompiledCuda compiled;
  std::string error;
  EXPECT_FALSE(cuda::compileCuda("this is not CUDA", "sm_80", compiled, error));
  EXPECT_NE(error.find("nvrtcCompileProgram failed"), std::string::npos);
  EXPECT_FALSE(cuda::compileCuda("", "gfx90a", compiled, error));
}

TEST(CudaDriver, SaysWhyThereIsNoGpu) {
  std::string why;
  if (cuda::Driver::get(why))
    GTEST_SKIP() << "a GPU is present: nothing to explain";
  EXPECT_FALSE(why.empty());
  std::cout << "[ GPU      ] unavailable: " << why << "\n";
}

TEST(CudaSchedule, RejectsWhatCannotBeTiled) {
  CudaSchedule schedule;
  EXPECT_EQ(checkCudaSchedule(schedule, 32), "");
  EXPECT_NE(checkCudaSchedule(schedule, 8).find("below 16"), std::string::npos);
  schedule.tileTokens = 40;
  EXPECT_NE(checkCudaSchedule(schedule, 32), "");
  schedule = CudaSchedule();
  schedule.stages = 3;
  EXPECT_NE(checkCudaSchedule(schedule, 32), "");
}

} // namespace
} // namespace pfc
