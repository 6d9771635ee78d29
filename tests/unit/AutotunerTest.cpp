//===- AutotunerTest.cpp - The autotuner and its database -----------------===//
#include "CacheDirectory.h"

#include "pfc/Target/CpuTarget.h"
#include "pfc/Tune/Autotuner.h"
#include "pfc/Tune/TuningDatabase.h"

#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <fstream>
#include <map>

using namespace pfc;

namespace {

LayerSpec layerSpec() {
  LayerSpec spec;
  spec.name = "tuned";
  spec.inFeatures = 128;
  spec.outFeatures = 96;
  spec.block = 16;
  spec.butterfly.size = 4;
  spec.butterfly.strides = {2};
  spec.rank = 4;
  return spec;
}

Schedule withTile(Schedule schedule, int64_t tile) {
  schedule.tile = tile;
  return schedule;
}

TEST(Autotuner, PicksThePlantedFastestAndRecordsIt) {
  CacheDirectory cache;
  LayerSpec spec = layerSpec();
  Schedule base = defaultSchedule(spec, hostTargetInfo(1));
  Schedule broken = base;
  broken.vector = 5; // not a vector width: fails to compile
  TuneOptions options;
  options.tokens = 100;
  options.threads = 1;
  options.candidates = {base, withTile(base, 3), withTile(base, 5), broken};
  // Planted times: the tile of 5 is fastest.
  std::map<int64_t, double> planted = {{base.tile, 2.0}, {3, 1.5}, {5, 1.0}};
  options.measure = [&](const Schedule &schedule, Layer &,
                        const std::vector<float> &,
                        int64_t) { return planted.at(schedule.tile); };
  auto report = autotune(spec, options);
  ASSERT_TRUE(static_cast<bool>(report)) << toString(report.takeError());
  EXPECT_EQ(report->best, 2u);
  EXPECT_EQ(report->results[0].medianMs, 2.0);
  EXPECT_FALSE(std::isfinite(report->results[3].medianMs));
  EXPECT_NE(report->results[3].failure.find("vector width 5"),
            std::string::npos)
      << report->results[3].failure;

  // Recorded for the token bucket, and used by later compiles in it.
  auto database = TuningDatabase::fromEnvironment();
  ASSERT_TRUE(database);
  std::optional<Schedule> stored = database->lookup(tuningKey(spec, 100));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->tile, 5);
  auto tuned = HostLayerModule::build(spec, CompileOptions(1, {}, 80));
  ASSERT_TRUE(static_cast<bool>(tuned));
  EXPECT_EQ(tuned->tile, 5);
  // Another bucket, or an explicit knob, does not take it.
  auto large = HostLayerModule::build(spec, CompileOptions(1, {}, 4096));
  ASSERT_TRUE(static_cast<bool>(large));
  EXPECT_EQ(large->tile, base.tile);
  auto explicitTile =
      HostLayerModule::build(spec, CompileOptions(1, withTile({}, 2), 100));
  ASSERT_TRUE(static_cast<bool>(explicitTile));
  EXPECT_EQ(explicitTile->tile, 2);
}

TEST(Autotuner, ABudgetOfNothingTimesOnlyTheDefault) {
  CacheDirectory cache;
  TuneOptions options;
  options.tokens = 20;
  options.threads = 1;
  options.budgetSeconds = 1e-9;
  auto report = autotune(layerSpec(), options);
  ASSERT_TRUE(static_cast<bool>(report)) << toString(report.takeError());
  EXPECT_TRUE(std::isfinite(report->results[0].medianMs));
  EXPECT_EQ(report->best, 0u);
  EXPECT_EQ(report->skipped, static_cast<int64_t>(report->results.size()) - 1);
}

TEST(Autotuner, CandidatesStartWithTheDefaultAndAreFew) {
  LayerSpec spec = layerSpec();
  CpuTargetInfo target = hostTargetInfo(2);
  std::vector<Schedule> candidates = candidateSchedules(spec, target);
  ASSERT_GE(candidates.size(), 10u);
  EXPECT_LE(candidates.size(), 40u);
  EXPECT_EQ(describe(candidates[0]), describe(defaultSchedule(spec, target)));
}

TEST(TuningDatabase, LastRecordWinsAndBadLinesAreSkipped) {
  CacheDirectory cache;
  TuningDatabase database(cache.directory + "/tuning.jsonl");
  std::string error;
  Schedule a;
  a.tile = 4;
  a.chunk = 40;
  ASSERT_TRUE(database.record("key1", a, "a", error)) << error;
  {
    std::ofstream out(cache.directory + "/tuning.jsonl", std::ios::app);
    out << "not json\n{\"no\": \"key\"}\n[1, 2]\n";
  }
  Schedule b = a;
  b.tile = 6;
  ASSERT_TRUE(database.record("key2", b, "b", error)) << error;
  a.tile = 8;
  ASSERT_TRUE(database.record("key1", a, "a again", error)) << error;
  EXPECT_EQ(database.lookup("key1")->tile, 8);
  EXPECT_EQ(database.lookup("key1")->chunk, 40);
  EXPECT_EQ(database.lookup("key2")->tile, 6);
  EXPECT_FALSE(database.lookup("key3"));

  // A database that cannot be written is an error, not a crash.
  TuningDatabase unwritable(cache.directory + "/tuning.jsonl/inside");
  EXPECT_FALSE(unwritable.record("key", a, "x", error));
  EXPECT_FALSE(error.empty());
}

TEST(TuningDatabase, TokenBuckets) {
  EXPECT_EQ(tokenBucket(1), 1);
  EXPECT_EQ(tokenBucket(2), 4);
  EXPECT_EQ(tokenBucket(16), 16);
  EXPECT_EQ(tokenBucket(17), 64);
  EXPECT_EQ(tokenBucket(1024), 1024);
  EXPECT_EQ(tokenBucket(100000), 4096);
  EXPECT_EQ(tuningKey(layerSpec(), 100), tuningKey(layerSpec(), 250));
  EXPECT_NE(tuningKey(layerSpec(), 100), tuningKey(layerSpec(), 300));
  LayerSpec renamed = layerSpec();
  renamed.name = "other";
  EXPECT_EQ(tuningKey(renamed, 100), tuningKey(layerSpec(), 100));
}

} // namespace
