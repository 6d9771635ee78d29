//===- ParamsTest.cpp - Layer parameters: names, init, tensor maps --------===//
#include "pfc/Runtime/Params.h"

#include "RandomDraws.h"
#include "TensorTestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace pfc {
namespace {

LayerSpec makeSpec(int64_t out, int64_t in, int64_t block, int64_t size,
                   int64_t factors, int64_t rank,
                   GammaMode mode = GammaMode::Scalar, bool bias = true,
                   int64_t global = 0) {
  LayerSpec spec;
  spec.name = "layer";
  spec.outFeatures = out;
  spec.inFeatures = in;
  spec.block = block;
  spec.butterfly.size = size;
  spec.butterfly.strides = ButterflyPattern::stridesForFactors(factors);
  spec.butterfly.global = global;
  spec.rank = rank;
  spec.gammaMode = mode;
  spec.bias = bias;
  return spec;
}

std::vector<std::string> namesOf(const std::vector<ParamInfo> &infos) {
  std::vector<std::string> names;
  for (const ParamInfo &info : infos)
    names.push_back(info.name);
  return names;
}

TEST(Params, NamesAndShapesFollowTheSpec) {
  LayerSpec spec = makeSpec(3072, 768, 32, 16, 2, 32);
  BlockMask mask = spec.blockMask();
  std::vector<ParamInfo> infos = paramInfos(spec, mask);
  ASSERT_EQ(namesOf(infos),
            (std::vector<std::string>{"blocks", "U", "V", "gamma", "bias"}));
  EXPECT_EQ(infos[0].shape, (std::vector<int64_t>{480, 32, 32}));
  EXPECT_EQ(infos[1].shape, (std::vector<int64_t>{3072, 32}));
  EXPECT_EQ(infos[2].shape, (std::vector<int64_t>{768, 32}));
  EXPECT_EQ(infos[3].shape, std::vector<int64_t>{});
  EXPECT_EQ(infos[4].shape, std::vector<int64_t>{3072});

  spec = makeSpec(777, 1000, 16, 16, 2, 0, GammaMode::Gate, false);
  infos = paramInfos(spec, spec.blockMask());
  ASSERT_EQ(namesOf(infos),
            (std::vector<std::string>{"blocks", "gate.weight", "gate.bias"}));
  EXPECT_EQ(infos[1].shape, std::vector<int64_t>{1000});
  EXPECT_EQ(infos[2].shape, std::vector<int64_t>{});

  spec.gammaMode = GammaMode::Fixed;
  EXPECT_EQ(namesOf(paramInfos(spec, spec.blockMask())),
            (std::vector<std::string>{"blocks", "gamma"}));
}

struct Moments {
  double mean = 0, stddev = 0, maxAbs = 0;
  int64_t count = 0;
};

template <typename Range> Moments momentsOf(const Range &values) {
  Moments m;
  double sum = 0, sumSq = 0;
  for (float v : values) {
    sum += v;
    sumSq += double(v) * v;
    m.maxAbs = std::max(m.maxAbs, std::fabs(double(v)));
    ++m.count;
  }
  m.mean = sum / m.count;
  m.stddev = std::sqrt(sumSq / m.count - m.mean * m.mean);
  return m;
}

/// Uniform on [-bound, bound): standard deviation bound/√3, every value
/// within the bound, mean near zero.
void expectUniform(const Moments &m, double bound, const std::string &what) {
  SCOPED_TRACE(what + ": " + std::to_string(m.count) + " values");
  ASSERT_GT(m.count, 1000) << "too few values for statistics";
  EXPECT_LE(m.maxAbs, bound * (1 + 1e-6));
  EXPECT_GE(m.maxAbs, bound * 0.99);
  EXPECT_NEAR(m.stddev, bound / std::sqrt(3.0), 0.05 * bound / std::sqrt(3.0));
  EXPECT_NEAR(m.mean, 0.0, 6 * bound / std::sqrt(3.0 * m.count));
}

TEST(Params, BlocksAreKaimingUniformScaledPerBlockRow) {
  // Global features make the first block-rows dense (scale 1) and every
  // other block-row sparse, so the per-row scaling shows.
  LayerSpec spec = makeSpec(512, 384, 16, 8, 2, 0, GammaMode::Scalar, false,
                            /*global=*/32);
  BlockMask mask = spec.blockMask();
  LayerParams params = initParams(spec, mask, 7);
  ASSERT_EQ(params.blocks.size(), size_t(mask.nnzBlocks() * 16 * 16));
  const double bound = 1.0 / std::sqrt(384.0);
  std::vector<int64_t> nnzSeen;
  for (int64_t br = 0; br < mask.blockRows; ++br) {
    const int64_t nnz = mask.rowStart[br + 1] - mask.rowStart[br];
    nnzSeen.push_back(nnz);
    auto first = params.blocks.begin() + mask.rowStart[br] * 256;
    auto last = params.blocks.begin() + mask.rowStart[br + 1] * 256;
    expectUniform(momentsOf(std::vector<float>(first, last)),
                  bound * std::sqrt(double(mask.blockCols) / nnz),
                  "block-row " + std::to_string(br) + " with " +
                      std::to_string(nnz) + " blocks");
  }
  std::sort(nnzSeen.begin(), nnzSeen.end());
  EXPECT_NE(nnzSeen.front(), nnzSeen.back()) << "rows should differ in nnz";
}

TEST(Params, PaddedEntriesAreZeroAndRealOnesAreNot) {
  // gate_odd.yaml: 777 x 1000 padded to 784 x 1008 with 16 x 16 blocks.
  LayerSpec spec = makeSpec(777, 1000, 16, 16, 2, 24, GammaMode::Gate);
  BlockMask mask = spec.blockMask();
  LayerParams params = initParams(spec, mask, 1);
  const std::vector<std::pair<int64_t, int64_t>> blocks = mask.blocks();
  int64_t padded = 0;
  for (int64_t index = 0; index < mask.nnzBlocks(); ++index) {
    const auto [br, bc] = blocks[index];
    for (int64_t i = 0; i < 16; ++i) {
      for (int64_t j = 0; j < 16; ++j) {
        const bool real = br * 16 + i < 777 && bc * 16 + j < 1000;
        const float value = params.blocks[(index * 16 + i) * 16 + j];
        if (real) {
          EXPECT_NE(value, 0.0f) << index << " " << i << " " << j;
        } else {
          EXPECT_EQ(value, 0.0f) << index << " " << i << " " << j;
          ++padded;
        }
      }
    }
  }
  EXPECT_GT(padded, 0);
}

TEST(Params, LowRankGateAndBiasFollowTheReference) {
  LayerSpec spec = makeSpec(1024, 2048, 32, 16, 2, 48, GammaMode::Gate);
  spec.gammaInit = 0.8;
  BlockMask mask = spec.blockMask();
  LayerParams params = initParams(spec, mask, 3);
  ASSERT_EQ(params.u.size(), 1024u * 48);
  ASSERT_EQ(params.v.size(), 2048u * 48);
  expectUniform(momentsOf(params.u), 1 / std::sqrt(48.0), "U");
  expectUniform(momentsOf(params.v), 1 / std::sqrt(2048.0), "V");
  expectUniform(momentsOf(params.gateWeight), 1 / std::sqrt(2048.0),
                "gate.weight");
  expectUniform(momentsOf(params.bias), 1 / std::sqrt(2048.0), "bias");
  // The gate starts at γ = 1 − sigmoid(c) = gammaInit.
  EXPECT_NEAR(1 - 1 / (1 + std::exp(-double(params.gateBias))), 0.8, 1e-6);

  spec.gammaMode = GammaMode::Scalar;
  spec.gammaInit = 0.5;
  params = initParams(spec, mask, 3);
  EXPECT_EQ(params.gamma, 0.5f);
  EXPECT_TRUE(params.gateWeight.empty());
  spec.gammaMode = GammaMode::Gate;
  EXPECT_EQ(initParams(spec, mask, 3).gateBias, 0.0f);
}

TEST(Params, SeedsAreReproducibleAndStreamsIndependent) {
  LayerSpec spec = makeSpec(256, 128, 16, 8, 2, 8);
  BlockMask mask = spec.blockMask();
  LayerParams a = initParams(spec, mask, 42), b = initParams(spec, mask, 42);
  EXPECT_EQ(a.blocks, b.blocks);
  EXPECT_EQ(a.u, b.u);
  EXPECT_EQ(a.v, b.v);
  EXPECT_EQ(a.bias, b.bias);
  LayerParams c = initParams(spec, mask, 43);
  EXPECT_NE(a.blocks, c.blocks);
  EXPECT_NE(a.u, c.u);
  EXPECT_NE(a.v, c.v);
  EXPECT_NE(a.bias, c.bias);
  ASSERT_LE(a.v.size(), a.u.size());
  EXPECT_NE(a.v, std::vector<float>(a.u.begin(), a.u.begin() + a.v.size()))
      << "U and V draw from different streams";

  // Changing the rank or dropping the bias leaves the blocks as they were.
  LayerSpec other = spec;
  other.rank = 0;
  other.bias = false;
  EXPECT_EQ(initParams(other, mask, 42).blocks, a.blocks);

  // mt19937_64 and the conversion are fully specified: these values hold on
  // every platform and must not change between pfc versions.
  const float golden[] = {a.blocks[0], a.blocks[1], a.u[0], a.bias[0]};
  const float expected[] = {-0.139289573f, 0.113504618f, 0.11514762f,
                            0.0787501484f};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(golden[i], expected[i]) << i;
}

TEST(Params, TensorsRoundTripThroughAFile) {
  LayerSpec spec = makeSpec(777, 1000, 16, 16, 2, 24, GammaMode::Gate);
  BlockMask mask = spec.blockMask();
  LayerParams params = initParams(spec, mask, 5);
  TensorMap tensors = tensorsFromParams(spec, mask, params);
  EXPECT_EQ(tensors.size(), 6u);
  EXPECT_EQ(tensors["gate.bias"], (Tensor{{}, {params.gateBias}}));

  ScratchDir dir;
  std::string error;
  ASSERT_TRUE(writeSafetensors(dir.file("p.safetensors"), tensors, {}, error))
      << error;
  TensorMap read;
  ASSERT_TRUE(readSafetensors(dir.file("p.safetensors"), read, error)) << error;
  LayerParams back;
  ASSERT_TRUE(paramsFromTensors(spec, mask, read, back, error)) << error;
  EXPECT_EQ(back.blocks, params.blocks);
  EXPECT_EQ(back.u, params.u);
  EXPECT_EQ(back.v, params.v);
  EXPECT_EQ(back.gateWeight, params.gateWeight);
  EXPECT_EQ(back.gateBias, params.gateBias);
  EXPECT_EQ(back.bias, params.bias);
}

TEST(Params, TensorMapsThatDoNotFitAreReported) {
  LayerSpec spec = makeSpec(64, 32, 16, 2, 1, 4);
  spec.name = "x";
  BlockMask mask = spec.blockMask();
  const TensorMap good =
      tensorsFromParams(spec, mask, initParams(spec, mask, 0));
  LayerParams params;
  std::string error;
  ASSERT_TRUE(paramsFromTensors(spec, mask, good, params, error)) << error;

  TensorMap tensors = good;
  tensors["foo"] = {{}, {1}};
  EXPECT_FALSE(paramsFromTensors(spec, mask, tensors, params, error));
  EXPECT_EQ(error, "'foo' is not a parameter of layer 'x' (expected one of: "
                   "blocks, U, V, gamma, bias)");

  tensors = good;
  tensors.erase("U");
  EXPECT_FALSE(paramsFromTensors(spec, mask, tensors, params, error));
  EXPECT_EQ(error, "layer 'x' has no tensor 'U' (expected one of shape [64, "
                   "4])");

  tensors = good;
  tensors["V"].shape = {4, 32};
  EXPECT_FALSE(paramsFromTensors(spec, mask, tensors, params, error));
  EXPECT_EQ(error, "'V' has shape [4, 32] (expected [32, 4] for layer 'x')");

  tensors = good;
  tensors["gamma"].shape = {1};
  EXPECT_FALSE(paramsFromTensors(spec, mask, tensors, params, error));
  EXPECT_EQ(error, "'gamma' has shape [1] (expected [] for layer 'x')");

  tensors = good;
  tensors["bias"].data.pop_back();
  EXPECT_FALSE(paramsFromTensors(spec, mask, tensors, params, error));
  EXPECT_EQ(error, "'bias' holds 63 values (expected 64 for shape [64])");

  // A rank-0 layer has no U or V.
  spec.rank = 0;
  EXPECT_FALSE(paramsFromTensors(spec, mask, good, params, error));
  EXPECT_EQ(error, "'U' is not a parameter of layer 'x' (expected one of: "
                   "blocks, gamma, bias)");
}

} // namespace
} // namespace pfc
