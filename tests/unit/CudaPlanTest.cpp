//===- CudaPlanTest.cpp - Launch plans resolved, and run where a GPU is ---===//
//
// Resolving a call needs no GPU: grids, token counts, pointers advanced to a
// token range and temporaries are checked here on every machine. The last
// test runs a layer's kernels on the GPU against the fp64 reference and
// skips, saying why, where there is no GPU.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/CudaPlan.h"
#include "pfc/Runtime/CudaCompile.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Runtime/Reference.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/CudaTarget.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace pfc {
namespace {

LayerSpec gateOdd() {
  std::optional<Spec> spec =
      parseSpecFile(std::string(PFC_SOURCE_DIR) + "/specs/layers/gate_odd.yaml",
                    llvm::errs(), SpecKind::Layer);
  return std::get<LayerSpec>(*spec);
}

/// The plan the compiler makes for `spec` in `dtype`, written and read back
/// as the runtime gets it; the two must be equal.
LaunchPlan planOf(LayerSpec spec, DType dtype, std::string *source = nullptr) {
  spec.dtype = dtype;
  auto module = compileLayerToCuda(spec, CudaOptions());
  EXPECT_TRUE(bool(module)) << llvm::toString(module.takeError());
  if (!module)
    return {};
  LaunchPlan plan;
  std::string error;
  EXPECT_TRUE(readLaunchPlan(writeLaunchPlan(module->plan), plan, error))
      << error;
  EXPECT_TRUE(plan == module->plan);
  if (source)
    *source = module->source;
  return plan;
}

TEST(LaunchPlan, EveryShippedLayerRoundTrips) {
  std::vector<std::string> paths;
  for (const auto &entry : std::filesystem::directory_iterator(
           std::string(PFC_SOURCE_DIR) + "/specs/layers"))
    if (entry.path().extension() == ".yaml")
      paths.push_back(entry.path().string());
  ASSERT_GE(paths.size(), 5u);
  for (const std::string &path : paths)
    for (DType dtype : {DType::F32, DType::BF16, DType::F16}) {
      SCOPED_TRACE(path + " " + std::string(toString(dtype)));
      std::optional<Spec> spec =
          parseSpecFile(path, llvm::errs(), SpecKind::Layer);
      ASSERT_TRUE(spec);
      LaunchPlan plan = planOf(std::get<LayerSpec>(*spec), dtype);
      ASSERT_EQ(plan.entries.size(), 3u);
      for (const PlanEntry &entry : plan.entries) {
        EXPECT_FALSE(entry.steps.empty()) << entry.name;
        EXPECT_FALSE(entry.args.empty()) << entry.name;
      }
      // Writing what was read gives the same text: nothing is lost.
      std::string text = writeLaunchPlan(plan);
      LaunchPlan again;
      std::string error;
      ASSERT_TRUE(readLaunchPlan(text, again, error)) << error;
      EXPECT_EQ(writeLaunchPlan(again), text);
    }
}

std::vector<cuda::CallArg> pointers(std::initializer_list<uint64_t> values) {
  std::vector<cuda::CallArg> args;
  for (uint64_t value : values) {
    args.emplace_back();
    args.back().pointer = value;
  }
  return args;
}
void addIndices(std::vector<cuda::CallArg> &args,
                std::initializer_list<int64_t> values) {
  for (int64_t value : values) {
    args.emplace_back();
    args.back().index = value;
  }
}

TEST(CudaPlan, ResolvesAForwardCallOnATokenRange) {
  LayerSpec spec = gateOdd(); // 1000 -> 777, b = 16, rank 24, gate, bias
  LaunchPlan plan = planOf(spec, DType::BF16);
  const PlanEntry *forward = plan.find("pfc_gate_odd_forward");
  ASSERT_TRUE(forward);
  // x, packed blocks, packed U, V, gate, bias, y; tokens, t0, t1, r0, r1.
  std::vector<cuda::CallArg> args = pointers(
      {0x100000, 0x200000, 0x300000, 0x400000, 0x500000, 0x600000, 0x700000});
  addIndices(args, {1000, 100, 300, 0, 49});
  std::vector<int64_t> counts;
  std::string error;
  ASSERT_TRUE(cuda::tokenCounts(*forward, args, 0, counts, error)) << error;
  ASSERT_EQ(counts, std::vector<int64_t>{200});
  // γ per token (f32) and t = (1−γ)·x·V [T, 24] (bf16).
  EXPECT_EQ(cuda::tempBytes(*forward, counts),
            (std::vector<size_t>{200 * 4, 200 * 24 * 2}));
  std::vector<cuda::Launch> launches;
  ASSERT_TRUE(cuda::resolveCall(*forward, args, counts, {0xa00000, 0xb00000},
                                launches, error))
      << error;
  ASSERT_EQ(launches.size(), 3u);
  const cuda::Launch &gate = launches[0];
  EXPECT_EQ(gate.kernel, "pfc_gate_odd_forward_0_gate");
  EXPECT_EQ(gate.grid[0], 50u); // four tokens a CTA
  EXPECT_EQ(gate.threads, 128u);
  // T, x advanced by 100 rows of 1000 bf16, the gate's parameters, γ.
  EXPECT_EQ(gate.params, (std::vector<uint64_t>{200, 0x100000 + 100 * 1000 * 2,
                                                0x500000, 0xa00000}));
  const cuda::Launch &bsmm = launches[2];
  EXPECT_EQ(bsmm.kernel, "pfc_gate_odd_forward_2_bsmm");
  EXPECT_EQ(bsmm.grid[0], 4u);  // 200 tokens in tiles of 64
  EXPECT_EQ(bsmm.grid[1], 49u); // block-rows
  ASSERT_EQ(bsmm.params.size(), 10u);
  EXPECT_EQ(bsmm.params[1], 0u); // rows(r0, r1)
  EXPECT_EQ(bsmm.params[2], 49u);
  EXPECT_EQ(bsmm.params[9], 0x700000u + 100 * 777 * 2); // y's rows
  // No tokens: nothing to launch.
  args[9].index = 100;
  ASSERT_TRUE(cuda::tokenCounts(*forward, args, 0, counts, error));
  ASSERT_TRUE(
      cuda::resolveCall(*forward, args, counts, {0, 0}, launches, error));
  EXPECT_TRUE(launches.empty());
}

TEST(CudaPlan, ZeroesWhatTheBackwardSumsInto) {
  LaunchPlan plan = planOf(gateOdd(), DType::F32);
  const PlanEntry *backward = plan.find("pfc_gate_odd_backward");
  ASSERT_TRUE(backward);
  bool zeroThenSum = false;
  for (size_t i = 0; i + 1 < backward->steps.size(); ++i)
    zeroThenSum |=
        backward->steps[i].kind == PlanStep::Kind::Zero &&
        backward->steps[i + 1].kernel.find("bsmm_t") != std::string::npos;
  EXPECT_TRUE(zeroThenSum);
}

/// Device memory holding a copy of `values`, freed at scope exit.
struct DeviceArray {
  const cuda::Driver *d;
  cuda::CUdeviceptr ptr = 0;
  DeviceArray(const cuda::Driver *d, const std::vector<float> &values,
              size_t count = 0)
      : d(d) {
    size_t bytes = std::max<size_t>(4, 4 * std::max(values.size(), count));
    EXPECT_EQ(d->check(d->memAlloc(&ptr, bytes), "cuMemAlloc"), "");
    std::vector<float> data(bytes / 4, std::nanf(""));
    std::copy(values.begin(), values.end(), data.begin());
    EXPECT_EQ(d->check(d->memcpyHtoD(ptr, data.data(), bytes), "cuMemcpyHtoD"),
              "");
  }
  ~DeviceArray() { d->memFree(ptr); }
  std::vector<float> read(size_t count) const {
    std::vector<float> values(count);
    EXPECT_EQ(
        d->check(d->memcpyDtoH(values.data(), ptr, 4 * count), "cuMemcpyDtoH"),
        "");
    return values;
  }
};

TEST(CudaGpu, ForwardMatchesTheReference) {
  std::string why;
  const cuda::Driver *driver = cuda::Driver::get(why);
  if (!driver)
    GTEST_SKIP() << "GPU test skipped: " << why;
  std::string arch = cuda::CudaKernels::deviceArchitecture(why);
  ASSERT_FALSE(arch.empty()) << why;
  LayerSpec spec = gateOdd();
  BlockMask mask = spec.blockMask();
  std::string source;
  LaunchPlan plan = planOf(spec, DType::F32, &source);
  cuda::CompiledCuda compiled;
  ASSERT_TRUE(cuda::compileCuda(source, arch, compiled, why)) << why;
  auto kernels = cuda::CudaKernels::load(compiled.image, std::move(plan), why);
  ASSERT_TRUE(kernels) << why;

  const int64_t tokens = 77, in = spec.inFeatures, out = spec.outFeatures;
  LayerParams params = initParams(spec, mask, 7);
  std::mt19937 random(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> x(tokens * in);
  for (float &value : x)
    value = uniform(random);
  std::vector<float> gate = params.gateWeight;
  gate.push_back(params.gateBias);
  DeviceArray dx(driver, x), dblocks(driver, params.blocks),
      du(driver, params.u), dv(driver, params.v), dgate(driver, gate),
      dbias(driver, params.bias), dy(driver, {}, tokens * out),
      dpacked(driver, {}, params.blocks.size()),
      dpackedU(driver, {}, spec.rank * spec.paddedOut());
  std::vector<cuda::CallArg> pack =
      pointers({dblocks.ptr, du.ptr, dpacked.ptr, dpackedU.ptr});
  ASSERT_TRUE(kernels->run("pfc_gate_odd_pack", pack, 0, nullptr, why)) << why;
  std::vector<cuda::CallArg> forward =
      pointers({dx.ptr, dpacked.ptr, dpackedU.ptr, dv.ptr, dgate.ptr, dbias.ptr,
                dy.ptr});
  addIndices(forward, {tokens, 0, tokens, 0, mask.blockRows});
  ASSERT_TRUE(kernels->run("pfc_gate_odd_forward", forward, 0, nullptr, why))
      << why;
  EXPECT_LT(relativeError(dy.read(tokens * out),
                          referenceForward(spec, mask, params, x, tokens)),
            1e-5);
}

} // namespace
} // namespace pfc
