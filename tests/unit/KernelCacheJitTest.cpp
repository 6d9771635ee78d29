//===- KernelCacheJitTest.cpp - The JIT through the kernel cache ----------===//
//
// compileLayer stores each kernel's object in the cache and loads it from
// there the next time: the loaded kernel computes what a fresh compile does,
// a damaged entry is rebuilt, and PFC_CACHE_DIR=off stores nothing.
//
//===----------------------------------------------------------------------===//
#include "CacheDirectory.h"
#include "RandomDraws.h"
#include "pfc/Runtime/KernelCache.h"
#include "pfc/Runtime/Reference.h"

#include "pfc/Target/Jit.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <fstream>

using namespace pfc;

namespace {

LayerSpec smallSpec() {
  LayerSpec spec;
  spec.name = "cached";
  spec.inFeatures = 96;
  spec.outFeatures = 70; // padded
  spec.block = 16;
  spec.butterfly.size = 2;
  spec.butterfly.strides = {2};
  spec.rank = 5;
  spec.gammaMode = GammaMode::Gate;
  return spec;
}

/// The layer's output on random inputs, with random parameters.
double errorAgainstReference(Layer &layer, RandomDraws &draw) {
  const LayerSpec &spec = layer.spec();
  LayerParams params = initParams(spec, layer.mask(), draw(0, 1000));
  auto fill = [&](std::vector<float> &values) {
    for (float &value : values)
      value = static_cast<float>(draw.real(-1, 1));
  };
  fill(params.blocks);
  fill(params.u);
  fill(params.v);
  fill(params.gateWeight);
  fill(params.bias);
  std::string error;
  EXPECT_TRUE(layer.setParams(params, error)) << error;
  int64_t tokens = draw(1, 40);
  std::vector<float> x(tokens * spec.inFeatures);
  fill(x);
  std::vector<float> y(tokens * spec.outFeatures,
                       std::numeric_limits<float>::quiet_NaN());
  layer.forward(x.data(), tokens, y.data());
  return relativeError(y,
                       referenceForward(spec, layer.mask(), params, x, tokens));
}

TEST(KernelCacheJit, TheSecondCompileLoadsTheStoredKernel) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  CacheDirectory cache;
  auto first = compileLayer(smallSpec());
  ASSERT_TRUE(static_cast<bool>(first)) << toString(first.takeError());
  std::vector<std::string> stored = cache.entries();
  ASSERT_EQ(stored.size(), 1u);
  auto second = compileLayer(smallSpec());
  ASSERT_TRUE(static_cast<bool>(second)) << toString(second.takeError());
  EXPECT_EQ(cache.entries(), stored);
  EXPECT_LE(errorAgainstReference(**second, draw), 1e-5);

  // Another schedule is another kernel.
  Schedule schedule;
  schedule.tile = 3;
  auto other = compileLayer(smallSpec(), CompileOptions(0, schedule));
  ASSERT_TRUE(static_cast<bool>(other)) << toString(other.takeError());
  EXPECT_EQ(cache.entries().size(), 2u);
}

TEST(KernelCacheJit, ADamagedEntryIsRebuilt) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  CacheDirectory cache;
  ASSERT_TRUE(static_cast<bool>(compileLayer(smallSpec())));
  ASSERT_EQ(cache.entries().size(), 1u);
  std::string entry = cache.entries().front();
  {
    // Cut the entry in half.
    std::ifstream in(entry, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream out(entry, std::ios::binary | std::ios::trunc);
    out << bytes.substr(0, bytes.size() / 2);
  }
  testing::internal::CaptureStderr();
  auto layer = compileLayer(smallSpec());
  std::string warning = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(static_cast<bool>(layer)) << toString(layer.takeError());
  EXPECT_NE(warning.find("warning"), std::string::npos) << warning;
  EXPECT_LE(errorAgainstReference(**layer, draw), 1e-5);
  uint64_t size = 0;
  ASSERT_FALSE(llvm::sys::fs::file_size(entry, size));
  EXPECT_GT(size, 1000u); // written again, whole
}

TEST(KernelCacheJit, AnUnwritableCacheLeavesTheJitWorking) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  CacheDirectory cache;
  // A cache directory that is a regular file: unwritable even for root.
  std::string file = cache.directory + "/file";
  std::ofstream(file) << "not a directory";
  setenv("PFC_CACHE_DIR", file.c_str(), 1);
  testing::internal::CaptureStderr();
  auto first = compileLayer(smallSpec());
  auto second = compileLayer(smallSpec());
  std::string warnings = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(static_cast<bool>(first)) << toString(first.takeError());
  ASSERT_TRUE(static_cast<bool>(second)) << toString(second.takeError());
  EXPECT_LE(errorAgainstReference(**second, draw), 1e-5);
  // One warning for the directory, not one per compile.
  size_t at = warnings.find("warning");
  ASSERT_NE(at, std::string::npos) << warnings;
  EXPECT_EQ(warnings.find("warning", at + 1), std::string::npos) << warnings;
}

TEST(KernelCacheJit, OffStoresNothing) {
  CacheDirectory cache;
  setenv("PFC_CACHE_DIR", "off", 1);
  ASSERT_TRUE(static_cast<bool>(compileLayer(smallSpec())));
  EXPECT_TRUE(cache.entries().empty());
}

} // namespace

// An entry whose checksum is right but whose object is another layer's (it
// lacks this layer's symbols) is discarded and rebuilt, not a failure of
// every later run.
TEST(KernelCacheJit, AnEntryThatDoesNotLoadIsRebuilt) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  CacheDirectory cache;
  LayerSpec other = smallSpec();
  other.name = "another_layer";
  ASSERT_TRUE(static_cast<bool>(compileLayer(other)));
  ASSERT_TRUE(static_cast<bool>(compileLayer(smallSpec())));
  std::vector<std::string> entries = cache.entries();
  ASSERT_EQ(entries.size(), 2u);
  // Each entry's payload is an object; swap the two objects, keeping each
  // entry's own key and a valid checksum.
  KernelCache store(cache.directory);
  auto keyOf = [](const std::string &path) {
    return llvm::sys::path::stem(path).str();
  };
  std::string a = keyOf(entries[0]), b = keyOf(entries[1]);
  std::optional<std::string> objectA = store.get(a), objectB = store.get(b);
  ASSERT_TRUE(objectA && objectB);
  ASSERT_TRUE(store.put(a, *objectB));
  ASSERT_TRUE(store.put(b, *objectA));
  testing::internal::CaptureStderr();
  auto layer = compileLayer(smallSpec());
  auto again = compileLayer(other);
  std::string warnings = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(static_cast<bool>(layer)) << toString(layer.takeError());
  ASSERT_TRUE(static_cast<bool>(again)) << toString(again.takeError());
  EXPECT_NE(warnings.find("does not load"), std::string::npos) << warnings;
  EXPECT_LE(errorAgainstReference(**layer, draw), 1e-5);
  // Rebuilt: the next compile loads without a warning.
  testing::internal::CaptureStderr();
  ASSERT_TRUE(static_cast<bool>(compileLayer(smallSpec())));
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}
