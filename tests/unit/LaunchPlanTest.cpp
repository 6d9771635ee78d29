//===- LaunchPlanTest.cpp - The launch plan written and read back ---------===//
//
// A plan holding every kind of token count, parameter and step survives
// writeLaunchPlan → readLaunchPlan unchanged; malformed plans are refused
// with the reason. The compiler's plans of every shipped layer round-trip in
// CudaPlanTest.cpp.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/LaunchPlan.h"

#include <gtest/gtest.h>

#include <random>

namespace pfc {
namespace {

/// A plan with every kind of item, its numbers drawn from `random`.
LaunchPlan everyKind(std::mt19937 &random) {
  std::uniform_int_distribution<int64_t> small(1, 1000);
  auto extent = [&](int64_t tokens) {
    return PlanExtent{tokens, small(random), small(random), small(random)};
  };
  PlanEntry entry;
  entry.name = "pfc_\"odd\"\\name_forward";
  entry.args = {{true, DType::F32}, {true, DType::BF16}, {true, DType::F16},
                {false, DType::F32}, {false, DType::F32}, {false, DType::F32}};
  PlanTokens caller, fromArg, difference, fixed;
  caller.kind = PlanTokens::Kind::Caller;
  fromArg.kind = PlanTokens::Kind::Arg;
  fromArg.value = 3;
  difference.kind = PlanTokens::Kind::ArgDifference;
  difference.end = 5;
  difference.begin = 4;
  fixed.value = small(random);
  entry.tokenCounts = {fixed, caller, fromArg, difference};
  entry.temps = {{DType::F32, extent(1)}, {DType::BF16, extent(3)}};
  PlanStep launch;
  launch.kernel = "k0";
  launch.grid[0] = extent(2);
  launch.grid[1] = extent(0);
  launch.grid[2] = PlanExtent{0, 0, 1, 1};
  launch.threads = 128;
  launch.params = {{PlanParam::Kind::Tokens, 3, -1, 0},
                   {PlanParam::Kind::Index, 4, -1, 0},
                   {PlanParam::Kind::Arg, 1, 4, small(random)},
                   {PlanParam::Kind::Temp, 1, -1, 0},
                   {PlanParam::Kind::Temp, 0, 5, small(random)}};
  PlanStep zero;
  zero.kind = PlanStep::Kind::Zero;
  zero.params = {{PlanParam::Kind::Temp, 0, -1, 0}};
  zero.elements = extent(1);
  entry.steps = {zero, launch};
  PlanEntry empty;
  empty.name = "nothing";
  LaunchPlan plan;
  plan.entries = {entry, empty};
  return plan;
}

TEST(LaunchPlan, EveryKindRoundTrips) {
  std::mt19937 random(std::random_device{}());
  LaunchPlan plan = everyKind(random);
  std::string text = writeLaunchPlan(plan);
  LaunchPlan read;
  std::string error;
  ASSERT_TRUE(readLaunchPlan(text, read, error)) << error << "\n" << text;
  EXPECT_TRUE(read == plan) << text;
  EXPECT_EQ(writeLaunchPlan(read), text);
  // Equality looks at every field: one change is seen.
  read.entries[0].steps[1].params[2].rowElems += 1;
  EXPECT_FALSE(read == plan);
  ASSERT_TRUE(readLaunchPlan(writeLaunchPlan(LaunchPlan()), read, error));
  EXPECT_TRUE(read.entries.empty());
}

TEST(LaunchPlan, ExtentsAndLookups) {
  PlanExtent extent{1, 3, 2, 4};
  EXPECT_EQ(extent.value({100, 10}), 8); // ceil((10·3 + 2) / 4)
  EXPECT_EQ((PlanExtent{0, 1, 0, 64}.value({0})), 0);
  std::mt19937 random(1);
  LaunchPlan plan = everyKind(random);
  EXPECT_EQ(plan.find("nothing"), &plan.entries[1]);
  EXPECT_EQ(plan.find("missing"), nullptr);
  EXPECT_EQ(elementBytes(DType::F32), 4);
  EXPECT_EQ(elementBytes(DType::BF16), 2);
}

/// The valid plan's text with `from` replaced by `to` (which must occur).
std::string broken(const std::string &from, const std::string &to) {
  std::mt19937 random(2);
  std::string text = writeLaunchPlan(everyKind(random));
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

struct Bad {
  std::string text;
  std::string message;
};

// What gtest prints for a case (and ctest lists): the reason, never bytes.
void PrintTo(const Bad &bad, std::ostream *os) { *os << bad.message; }

class MalformedPlan : public ::testing::TestWithParam<Bad> {};

TEST_P(MalformedPlan, IsRefusedWithTheReason) {
  LaunchPlan plan;
  plan.entries.resize(1);
  std::string error;
  EXPECT_FALSE(readLaunchPlan(GetParam().text, plan, error));
  EXPECT_EQ(error.rfind("bad CUDA launch plan: ", 0), 0u) << error;
  EXPECT_NE(error.find(GetParam().message), std::string::npos) << error;
  EXPECT_TRUE(plan.entries.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedPlan,
    ::testing::Values(
        Bad{"{", "expected"}, Bad{"[]", "not an object"},
        Bad{"{}", "missing \"entries\""},
        Bad{"{\"entries\": {}}", "\"entries\" is not an array"},
        Bad{"{\"entries\": [{}]}", "missing \"name\""},
        Bad{"{\"entries\": [1]}", "not an object"},
        Bad{broken("\"name\": \"nothing\"", "\"name\": 7"),
            "\"name\" is not a string"},
        Bad{broken("\"buffer\": \"bf16\"", "\"buffer\": \"f64\""),
            "unknown dtype \"f64\""},
        Bad{broken("{\"index\": true}", "{\"pointer\": true}"),
            "neither a buffer nor an index"},
        Bad{broken("\"threads\": 128", "\"threads\": -1"),
            "\"threads\" is not a non-negative integer"},
        Bad{broken("\"threads\": 128", "\"threads\": 0"), "without a name"},
        Bad{broken("\"divisor\": 1}]", "\"divisor\": 0}]"), "a divisor of 0"},
        Bad{broken("}, {\"tokens\": 0, \"per_token\": 0, \"constant\": 1, "
                   "\"divisor\": 1}]",
                   "}]"),
            "a grid without three dimensions"},
        Bad{broken("{\"index\": 4}", "{\"slot\": 4}"),
            "a parameter of no known kind"},
        Bad{broken("{\"index\": 4}", "{\"index\": 1}"),
            "binds a parameter to index 1"},
        Bad{broken("{\"arg\": 1, ", "{\"arg\": 3, "),
            "binds a parameter to arg 3"},
        Bad{broken("{\"temp\": 1}", "{\"temp\": 2}"),
            "binds a parameter to temp 2"},
        Bad{broken("{\"tokens\": 3}", "{\"tokens\": 4}"),
            "binds a parameter to tokens 4"},
        Bad{broken("\"row_offset\": 4", "\"row_offset\": 0"),
            "binds a parameter to arg 1"},
        Bad{broken("{\"arg\": 3}", "{\"arg\": 0}"),
            "counts tokens by an argument that is not an index"},
        Bad{broken("\"zero\": {\"temp\": 0}", "\"zero\": {\"tokens\": 0}"),
            "zeroes something that is not a buffer"},
        Bad{broken("{\"tokens\": 1, \"per_token\"",
                   "{\"tokens\": 9, \"per_token\""),
            "sizes something by token count 9 of 4"}),
    [](const ::testing::TestParamInfo<Bad> &info) {
      return "case" + std::to_string(info.index);
    });

} // namespace
} // namespace pfc
