//===- AttentionCoreTest.cpp - Attention's support, features, reference ---===//
//
// The parts of Pixelfly attention (issue 14) that need no kernel:
// AttentionSpec::support() against the brute-force mask of
// AttentionReference, drawRandomFeatures' distribution, and the fp64
// reference against separately written softmax and Performer attention at
// its limits. Every test draws its specs from a fresh seed (RandomDraws).
//
//===----------------------------------------------------------------------===//
#include "AttentionReference.h"

#include "pfc/Pattern/RandomFeatures.h"
#include "pfc/Spec/Spec.h"

#include "RandomDraws.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace pfc {
namespace {

int64_t log2Of(int64_t size) {
  int64_t log = 0;
  while ((int64_t{1} << log) < size)
    ++log;
  return log;
}

std::string describe(const AttentionSpec &spec) {
  std::ostringstream os;
  os << "seq_len=" << spec.seqLen << " b=" << spec.block
     << " d=" << spec.headDim << " m=" << spec.features
     << " causal=" << spec.causal << " seed=" << spec.seed
     << " tau=" << spec.tau() << " butterfly=";
  if (spec.butterfly)
    os << "{" << spec.butterfly->str() << "}";
  else
    os << "none";
  return os.str();
}

/// A random spec whose pattern fits: b of 1 to 16, S of 2 to 32 with a
/// random nonempty set of strides, seq_len mostly not a multiple of b and
/// paddedSeq() at most `maxPadded`; global tokens, shuffle, causal and no
/// butterfly (one in `noButterfly`, never when 0) drawn too.
AttentionSpec drawSpec(RandomDraws &draw, int64_t maxPadded,
                       int64_t noButterfly = 8) {
  for (;;) {
    AttentionSpec spec;
    spec.name = "attn";
    spec.block = draw(0, 1) ? int64_t{1} << draw(0, 4) : draw(1, 12);
    const int64_t size = int64_t{1} << draw(1, 5);
    // paddedSeq must be a multiple of both b and S.
    const int64_t unit = spec.block * (size / std::gcd(spec.block, size));
    if (unit > maxPadded)
      continue;
    const int64_t padded = unit * draw(1, maxPadded / unit);
    spec.seqLen = padded - draw(0, spec.block - 1);
    ButterflyPattern pattern;
    pattern.size = size;
    pattern.strides.clear();
    const int64_t subset = draw(1, size - 1);
    for (int64_t bit = 0; bit < log2Of(size); ++bit)
      if (subset & (int64_t{1} << bit))
        pattern.strides.push_back(int64_t{2} << bit);
    pattern.shuffle = draw(0, 1) == 1;
    pattern.global = draw(0, 2) ? 0 : draw(0, spec.seqLen + spec.block);
    spec.butterfly = pattern;
    if (noButterfly > 0 && draw(1, noButterfly) == 1)
      spec.butterfly.reset();
    spec.causal = draw(0, 1) == 1;
    spec.headDim = draw(1, 8);
    spec.features = 2 * draw(0, 12);
    spec.seed = static_cast<uint64_t>(draw(0, int64_t{1} << 40));
    if (draw(0, 1))
      spec.scale = draw.real(0.05, 0.6);
    EXPECT_EQ(spec.paddedSeq(), padded);
    EXPECT_EQ(checkPatternFits(pattern, padded, padded), "");
    return spec;
  }
}

/// The normwise relative error ||got − want||₂ / ||want||₂; infinity on a
/// size mismatch, NaN through.
double relativeError(const std::vector<double> &got,
                     const std::vector<double> &want) {
  if (got.size() != want.size())
    return std::numeric_limits<double>::infinity();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

//===----------------------------------------------------------------------===//
// The support
//===----------------------------------------------------------------------===//

/// Whether the pattern's column shuffle moves columns (the einops rearrange
/// with one group is the identity).
bool shuffles(const ButterflyPattern &pattern) {
  return pattern.shuffle && pattern.strides.back() < pattern.size;
}

::testing::AssertionResult supportMatchesBruteForce(const AttentionSpec &spec) {
  const BlockMask mask = spec.support();
  const std::vector<uint8_t> grid = referenceSupportBlocks(spec);
  const int64_t padded =
                    (spec.seqLen + spec.block - 1) / spec.block * spec.block,
                blocks = padded / spec.block;
  auto failure = [&]() {
    return ::testing::AssertionFailure() << describe(spec) << ": ";
  };
  if (mask.block != spec.block || mask.rows != padded || mask.cols != padded ||
      mask.blockRows != blocks || mask.blockCols != blocks)
    return failure() << "shape " << mask.rows << "x" << mask.cols << " in "
                     << mask.blockRows << "x" << mask.blockCols << " blocks of "
                     << mask.block << ", expected " << padded << "x" << padded
                     << " in " << blocks << "x" << blocks;
  if (static_cast<int64_t>(mask.rowStart.size()) != blocks + 1 ||
      mask.rowStart.front() != 0 || mask.rowStart.back() != mask.nnzBlocks())
    return failure() << "rowStart is malformed";
  std::vector<int64_t> colIndex;
  for (int64_t r = 0; r < blocks; ++r) {
    for (int64_t c = 0; c < blocks; ++c)
      if (grid[r * blocks + c])
        colIndex.push_back(c);
    if (mask.rowStart[r + 1] != static_cast<int64_t>(colIndex.size()))
      return failure() << "block-row " << r << " ends at "
                       << mask.rowStart[r + 1] << ", expected "
                       << colIndex.size();
  }
  if (mask.colIndex != colIndex) {
    const auto at = std::mismatch(mask.colIndex.begin(), mask.colIndex.end(),
                                  colIndex.begin(), colIndex.end())
                        .first -
                    mask.colIndex.begin();
    return failure() << "colIndex differs at index " << at;
  }
  for (int64_t r = 0; r < blocks; ++r) {
    for (int64_t i = mask.rowStart[r]; i < mask.rowStart[r + 1]; ++i)
      if (spec.causal && mask.colIndex[i] > r)
        return failure() << "block (" << r << ", " << mask.colIndex[i]
                         << ") is above the diagonal";
    if (spec.butterfly && !shuffles(*spec.butterfly) && !mask.contains(r, r))
      return failure() << "block-row " << r << " lacks its diagonal block";
  }
  if (!spec.butterfly && mask.nnzBlocks() != 0)
    return failure() << "no butterfly, yet " << mask.nnzBlocks() << " blocks";
  return ::testing::AssertionSuccess();
}

TEST(AttentionSupport, MatchesBruteForce) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  int64_t causal = 0, shuffled = 0, global = 0, none = 0, padded = 0;
  for (int64_t n = 0; n < 400; ++n) {
    const AttentionSpec spec = drawSpec(draw, 320);
    ASSERT_TRUE(supportMatchesBruteForce(spec));
    causal += spec.causal;
    padded += spec.seqLen % spec.block != 0;
    if (!spec.butterfly) {
      ++none;
      continue;
    }
    shuffled += shuffles(*spec.butterfly);
    global += spec.butterfly->global > 0;
  }
  EXPECT_GT(causal, 100);
  EXPECT_GT(shuffled, 20);
  EXPECT_GT(global, 50);
  EXPECT_GT(none, 10);
  EXPECT_GT(padded, 100);
}

TEST(AttentionSupport, FixedPatternsMatchBruteForce) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  // Every stride set of S = 8 over 3 to 5 blocks a cell, b dividing the cell
  // and not, with and without global tokens.
  for (int64_t subset = 1; subset < 8; ++subset)
    for (int64_t block : {1, 3, 4, 8})
      for (bool shuffle : {false, true})
        for (bool causal : {false, true}) {
          AttentionSpec spec;
          spec.block = block;
          spec.seqLen = 8 * block * draw(1, 3) - draw(0, block - 1);
          ButterflyPattern pattern;
          pattern.size = 8;
          pattern.strides.clear();
          for (int64_t bit = 0; bit < 3; ++bit)
            if (subset & (int64_t{1} << bit))
              pattern.strides.push_back(int64_t{2} << bit);
          pattern.shuffle = shuffle;
          pattern.global = draw(0, 1) ? 0 : draw(1, 2 * block + 1);
          spec.butterfly = pattern;
          spec.causal = causal;
          ASSERT_TRUE(supportMatchesBruteForce(spec));
        }
}

TEST(AttentionSupport, ElementSupportIsTheLeadingPartOfTheBlocks) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 100; ++n) {
    const AttentionSpec spec = drawSpec(draw, 160);
    SCOPED_TRACE(describe(spec));
    const BlockMask mask = spec.support();
    const int64_t tokens = draw(1, spec.seqLen);
    const std::vector<uint8_t> support = referenceSupport(spec, tokens);
    ASSERT_EQ(static_cast<int64_t>(support.size()), tokens * tokens);
    for (int64_t i = 0; i < tokens; ++i)
      for (int64_t j = 0; j < tokens; ++j) {
        const bool want = mask.contains(i / spec.block, j / spec.block) &&
                          (!spec.causal || j <= i);
        ASSERT_EQ(support[i * tokens + j] != 0, want)
            << "T=" << tokens << " (" << i << ", " << j << ")";
      }
  }
}

TEST(AttentionSupport, GlobalTokensCoverWholeBlocks) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 100; ++n) {
    AttentionSpec spec = drawSpec(draw, 256, /*noButterfly=*/0);
    spec.butterfly->global = draw(1, spec.seqLen);
    SCOPED_TRACE(describe(spec));
    const BlockMask mask = spec.support();
    const int64_t globalBlocks =
        (spec.butterfly->global + spec.block - 1) / spec.block;
    for (int64_t r = 0; r < mask.blockRows; ++r)
      for (int64_t c = 0; c < mask.blockCols; ++c) {
        if (spec.causal && c > r)
          continue;
        if (r < globalBlocks || c < globalBlocks)
          ASSERT_TRUE(mask.contains(r, c)) << "(" << r << ", " << c << ")";
      }
  }
}

//===----------------------------------------------------------------------===//
// The random features
//===----------------------------------------------------------------------===//

AttentionSpec featureSpec(int64_t headDim, int64_t features, uint64_t seed) {
  AttentionSpec spec;
  spec.name = "features";
  spec.seqLen = 16;
  spec.block = 4;
  spec.headDim = headDim;
  spec.features = features;
  spec.seed = seed;
  return spec;
}

double rowDot(const std::vector<float> &w, int64_t d, int64_t a, int64_t b) {
  double sum = 0;
  for (int64_t c = 0; c < d; ++c)
    sum += double(w[a * d + c]) * double(w[b * d + c]);
  return sum;
}

/// Checks that the rows of every block of d are orthogonal; returns the
/// largest |cos| between rows of different blocks.
double expectBlocksOrthogonal(const std::vector<float> &w, int64_t d) {
  const int64_t rows = static_cast<int64_t>(w.size()) / d;
  double across = 0;
  for (int64_t a = 0; a < rows; ++a)
    for (int64_t b = a + 1; b < rows; ++b) {
      const double cosine = rowDot(w, d, a, b) /
                            std::sqrt(rowDot(w, d, a, a) * rowDot(w, d, b, b));
      if (a / d == b / d)
        EXPECT_LT(std::abs(cosine), 1e-5) << "rows " << a << ", " << b;
      else
        across = std::max(across, std::abs(cosine));
    }
  return across;
}

TEST(AttentionFeatures, DeterministicPerSeed) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const int64_t d = draw(1, 24), m = 2 * draw(1, 40);
  const uint64_t seed = static_cast<uint64_t>(draw(0, int64_t{1} << 62));
  SCOPED_TRACE("d=" + std::to_string(d) + " m=" + std::to_string(m) +
               " seed=" + std::to_string(seed));
  const std::vector<float> w = drawRandomFeatures(featureSpec(d, m, seed));
  ASSERT_EQ(static_cast<int64_t>(w.size()), m / 2 * d);
  for (float value : w)
    ASSERT_TRUE(std::isfinite(value));
  // The spec's other fields do not enter.
  AttentionSpec other = featureSpec(d, m, seed);
  other.seqLen = 1000;
  other.block = 8;
  other.causal = true;
  other.scale = 3.0;
  other.butterfly.reset();
  EXPECT_EQ(drawRandomFeatures(other), w);
  EXPECT_EQ(drawRandomFeatures(featureSpec(d, m, seed)), w);
  EXPECT_NE(drawRandomFeatures(featureSpec(d, m, seed + 1)), w);
  EXPECT_NE(drawRandomFeatures(featureSpec(d, m, seed ^ (uint64_t{1} << 63))),
            w);
}

TEST(AttentionFeatures, RowsWithinABlockAreOrthogonal) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 10; ++n) {
    const int64_t d = draw(2, 32), m = 2 * d * draw(2, 4);
    const uint64_t seed = static_cast<uint64_t>(draw(0, int64_t{1} << 40));
    SCOPED_TRACE("d=" + std::to_string(d) + " m=" + std::to_string(m) +
                 " seed=" + std::to_string(seed));
    const std::vector<float> w = drawRandomFeatures(featureSpec(d, m, seed));
    ASSERT_EQ(static_cast<int64_t>(w.size()), m / 2 * d);
    // Blocks are drawn independently: some pair across them is far from
    // orthogonal.
    EXPECT_GT(expectBlocksOrthogonal(w, d), 1e-3);
  }
}

TEST(AttentionFeatures, SquaredNormsAverageD) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t d : {1, 2, 7, 16, 64}) {
    const int64_t rows = 2048;
    const uint64_t seed = static_cast<uint64_t>(draw(0, int64_t{1} << 40));
    SCOPED_TRACE("d=" + std::to_string(d) + " seed=" + std::to_string(seed));
    const std::vector<float> w =
        drawRandomFeatures(featureSpec(d, 2 * rows, seed));
    double mean = 0, entryMean = 0;
    for (int64_t r = 0; r < rows; ++r)
      mean += rowDot(w, d, r, r) / rows;
    for (float value : w)
      entryMean += double(value) / double(w.size());
    // ‖w‖² ~ χ²_d: mean d, variance 2d; 8 standard deviations of the mean.
    EXPECT_NEAR(mean, double(d), 8 * std::sqrt(2.0 * d / rows));
    // Entries are standard normals.
    EXPECT_NEAR(entryMean, 0.0, 8 / std::sqrt(double(w.size())));
  }
}

TEST(AttentionFeatures, PartialLastBlock) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 10; ++n) {
    const int64_t d = draw(2, 20), rows = d * draw(0, 3) + draw(1, d - 1);
    const uint64_t seed = static_cast<uint64_t>(draw(0, int64_t{1} << 40));
    SCOPED_TRACE("d=" + std::to_string(d) + " m=" + std::to_string(2 * rows) +
                 " seed=" + std::to_string(seed));
    const std::vector<float> w =
        drawRandomFeatures(featureSpec(d, 2 * rows, seed));
    ASSERT_EQ(static_cast<int64_t>(w.size()), rows * d);
    for (int64_t r = 0; r < rows; ++r) {
      ASSERT_TRUE(std::isfinite(rowDot(w, d, r, r)));
      ASSERT_GT(rowDot(w, d, r, r), 0.0);
    }
    expectBlocksOrthogonal(w, d);
  }
}

TEST(AttentionFeatures, NoFeaturesIsEmpty) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const uint64_t seed = static_cast<uint64_t>(draw(0, int64_t{1} << 40));
  EXPECT_TRUE(drawRandomFeatures(featureSpec(draw(1, 64), 0, seed)).empty());
}

// E[φ(q)·φ(k)] = exp(τ q·k): the average over independent draws of W.
TEST(AttentionFeatures, FeatureMapEstimatesTheSoftmaxKernel) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const int64_t d = 16, m = 1024, draws = 8;
  for (int64_t pair = 0; pair < 4; ++pair) {
    const std::vector<float> q = draw.values(d, 0.5), k = draw.values(d, 0.5);
    double estimate = 0;
    for (int64_t n = 0; n < draws; ++n) {
      const AttentionSpec spec =
          featureSpec(d, m, static_cast<uint64_t>(draw(0, int64_t{1} << 40)));
      const std::vector<float> w = drawRandomFeatures(spec);
      const std::vector<double> phiQ = referenceFeatureMap(spec, w, q.data());
      const std::vector<double> phiK = referenceFeatureMap(spec, w, k.data());
      estimate +=
          std::inner_product(phiQ.begin(), phiQ.end(), phiK.begin(), 0.0) /
          draws;
    }
    double qk = 0;
    for (int64_t c = 0; c < d; ++c)
      qk += double(q[c]) * double(k[c]);
    const double want = std::exp(qk / std::sqrt(double(d)));
    EXPECT_LT(std::abs(estimate - want) / want, 0.1)
        << "estimate " << estimate << ", exp(τ q·k) " << want;
  }
}

//===----------------------------------------------------------------------===//
// The reference at its limits
//===----------------------------------------------------------------------===//

/// Random q, k, v [tokens, d] of one head.
struct Head {
  std::vector<float> q, k, v;
};

Head drawHead(RandomDraws &draw, int64_t tokens, int64_t d) {
  const auto count = static_cast<size_t>(tokens * d);
  return {draw.values(count), draw.values(count), draw.values(count)};
}

/// Softmax attention, O_i = Σ_j exp(τ q_i·k_j) v_j / (Σ_j exp(τ q_i·k_j) +
/// extra) over j < T (causal: j <= i); `minMass`, when given, gets the least
/// Σ_j exp(τ q_i·k_j) over the rows.
std::vector<double> softmaxAttention(const AttentionSpec &spec, int64_t tokens,
                                     const Head &head, double extra,
                                     double *minMass = nullptr) {
  const int64_t d = spec.headDim;
  std::vector<double> out(static_cast<size_t>(tokens * d));
  if (minMass)
    *minMass = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < tokens; ++i) {
    const int64_t keys = spec.causal ? i + 1 : tokens;
    std::vector<double> weights(static_cast<size_t>(keys));
    for (int64_t j = 0; j < keys; ++j) {
      double score = 0;
      for (int64_t c = 0; c < d; ++c)
        score += double(head.q[i * d + c]) * double(head.k[j * d + c]);
      weights[j] = std::exp(spec.tau() * score);
    }
    const double mass = std::accumulate(weights.begin(), weights.end(), 0.0);
    if (minMass)
      *minMass = std::min(*minMass, mass);
    const double total = mass + extra;
    for (int64_t c = 0; c < d; ++c) {
      double sum = 0;
      for (int64_t j = 0; j < keys; ++j)
        sum += weights[j] * double(head.v[j * d + c]);
      out[i * d + c] = sum / total;
    }
  }
  return out;
}

/// Performer attention with positive random features: φ written out again,
/// O_i = Σ_j p_ij v_j / max(Σ_j p_ij, ε) over j < T (causal: j <= i).
std::vector<double> performerAttention(const AttentionSpec &spec,
                                       const std::vector<float> &w,
                                       int64_t tokens, const Head &head) {
  const int64_t d = spec.headDim, m = spec.features;
  auto phi = [&](const float *x) {
    // x̃ = sqrt(τ)·x; exp(±w·x̃ − ‖x̃‖²/2) / sqrt(m).
    double norm = 0;
    for (int64_t c = 0; c < d; ++c)
      norm += spec.tau() * double(x[c]) * double(x[c]);
    std::vector<double> features;
    for (double sign : {1.0, -1.0})
      for (int64_t r = 0; r < m / 2; ++r) {
        double projection = 0;
        for (int64_t c = 0; c < d; ++c)
          projection += double(w[r * d + c]) * double(x[c]);
        features.push_back(
            std::exp(sign * std::sqrt(spec.tau()) * projection - norm / 2) /
            std::sqrt(double(m)));
      }
    return features;
  };
  std::vector<double> out(static_cast<size_t>(tokens * d));
  for (int64_t i = 0; i < tokens; ++i) {
    const std::vector<double> phiQ = phi(&head.q[i * d]);
    const int64_t keys = spec.causal ? i + 1 : tokens;
    double total = 0;
    std::vector<double> sum(static_cast<size_t>(d), 0.0);
    for (int64_t j = 0; j < keys; ++j) {
      const std::vector<double> phiK = phi(&head.k[j * d]);
      const double p =
          std::inner_product(phiQ.begin(), phiQ.end(), phiK.begin(), 0.0);
      total += p;
      for (int64_t c = 0; c < d; ++c)
        sum[c] += p * double(head.v[j * d + c]);
    }
    for (int64_t c = 0; c < d; ++c)
      out[i * d + c] = sum[c] / std::max(total, kAttentionEpsilon);
  }
  return out;
}

/// A random spec whose support is every key (global >= seq_len).
AttentionSpec drawFullSupportSpec(RandomDraws &draw) {
  AttentionSpec spec = drawSpec(draw, 96, /*noButterfly=*/0);
  spec.butterfly->global = spec.seqLen + draw(0, spec.block);
  return spec;
}

TEST(AttentionReference, FullSupportWithoutFeaturesIsSoftmax) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 30; ++n) {
    AttentionSpec spec = drawFullSupportSpec(draw);
    spec.features = 0;
    SCOPED_TRACE(describe(spec));
    const int64_t tokens = draw(1, spec.seqLen);
    const Head head = drawHead(draw, tokens, spec.headDim);
    const std::vector<float> w = drawRandomFeatures(spec);
    ASSERT_TRUE(w.empty());
    const AttentionHeadResult got = referenceAttentionHead(
        spec, w, tokens, head.q.data(), head.k.data(), head.v.data());
    // m = 0 keeps max(0, ε) = ε in the denominator: exactly softmax with
    // ε added to every row's mass, and plain softmax but for a relative
    // ε / Σ_j e_ij (1e-6 where a row's mass is at least 1).
    EXPECT_LT(relativeError(got.out, softmaxAttention(spec, tokens, head,
                                                      kAttentionEpsilon)),
              1e-12);
    double minMass = 0;
    const std::vector<double> softmax =
        softmaxAttention(spec, tokens, head, 0, &minMass);
    EXPECT_LT(relativeError(got.out, softmax),
              (1 + 1e-6) * kAttentionEpsilon / minMass);
    for (const AttentionRowStats &row : got.rows) {
      EXPECT_TRUE(row.clamped);
      EXPECT_EQ(row.lowRankMass, 0.0);
    }
  }
}

TEST(AttentionReference, FullSupportCancelsTheFeatures) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 30; ++n) {
    AttentionSpec spec = drawFullSupportSpec(draw);
    spec.features = 2 * draw(1, 12);
    SCOPED_TRACE(describe(spec));
    const int64_t tokens = draw(1, spec.seqLen);
    const Head head = drawHead(draw, tokens, spec.headDim);
    const std::vector<float> w = drawRandomFeatures(spec);
    const std::vector<double> got = referenceAttention(
        spec, w, tokens, head.q.data(), head.k.data(), head.v.data());
    EXPECT_LT(relativeError(
                  got, softmaxAttention(spec, tokens, head, kAttentionEpsilon)),
              1e-12);
  }
}

TEST(AttentionReference, EmptySupportIsPerformer) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 30; ++n) {
    AttentionSpec spec = drawSpec(draw, 96);
    spec.butterfly.reset();
    spec.features = 2 * draw(1, 12);
    SCOPED_TRACE(describe(spec));
    const int64_t tokens = draw(1, spec.seqLen);
    const Head head = drawHead(draw, tokens, spec.headDim);
    const std::vector<float> w = drawRandomFeatures(spec);
    const AttentionHeadResult got = referenceAttentionHead(
        spec, w, tokens, head.q.data(), head.k.data(), head.v.data());
    EXPECT_LT(relativeError(got.out, performerAttention(spec, w, tokens, head)),
              1e-12);
    // Positive features of moderate inputs carry far more than ε.
    for (const AttentionRowStats &row : got.rows) {
      EXPECT_FALSE(row.clamped);
      EXPECT_EQ(row.denominator, row.lowRankMass);
    }
  }
}

TEST(AttentionReference, EmptySupportWithoutFeaturesIsZero) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  AttentionSpec spec = drawSpec(draw, 64);
  spec.butterfly.reset();
  spec.features = 0;
  SCOPED_TRACE(describe(spec));
  const int64_t tokens = draw(1, spec.seqLen);
  const Head head = drawHead(draw, tokens, spec.headDim);
  const AttentionHeadResult got = referenceAttentionHead(
      spec, {}, tokens, head.q.data(), head.k.data(), head.v.data());
  for (double value : got.out)
    EXPECT_EQ(value, 0.0);
  for (const AttentionRowStats &row : got.rows) {
    EXPECT_TRUE(row.clamped);
    EXPECT_EQ(row.denominator, kAttentionEpsilon);
  }
}

TEST(AttentionReference, StatsHoldTheDenominator) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 30; ++n) {
    const AttentionSpec spec = drawSpec(draw, 96);
    SCOPED_TRACE(describe(spec));
    const int64_t tokens = draw(1, spec.seqLen), d = spec.headDim;
    const Head head = drawHead(draw, tokens, d);
    const std::vector<float> w = drawRandomFeatures(spec);
    const std::vector<AttentionRowStats> rows = referenceAttentionStats(
        spec, w, tokens, head.q.data(), head.k.data(), head.v.data());
    const std::vector<uint8_t> support = referenceSupport(spec, tokens);
    ASSERT_EQ(static_cast<int64_t>(rows.size()), tokens);
    for (int64_t i = 0; i < tokens; ++i) {
      double exact = 0;
      for (int64_t j = 0; j < tokens; ++j) {
        if (!support[i * tokens + j])
          continue;
        double score = 0;
        for (int64_t c = 0; c < d; ++c)
          score += double(head.q[i * d + c]) * double(head.k[j * d + c]);
        exact += std::exp(spec.tau() * score);
      }
      const AttentionRowStats &row = rows[i];
      EXPECT_EQ(row.clamped, row.lowRankMass < kAttentionEpsilon)
          << "row " << i;
      EXPECT_NEAR(row.denominator,
                  exact + std::max(row.lowRankMass, kAttentionEpsilon),
                  1e-12 * row.denominator)
          << "row " << i;
      if (spec.features == 0)
        EXPECT_TRUE(row.clamped) << "row " << i;
    }
  }
}

TEST(AttentionReference, Causal) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t n = 0; n < 30; ++n) {
    AttentionSpec spec = drawSpec(draw, 96);
    spec.causal = true;
    if (spec.seqLen < 2)
      continue;
    SCOPED_TRACE(describe(spec));
    const int64_t tokens = draw(2, spec.seqLen), d = spec.headDim;
    const int64_t last = draw(0, tokens - 2); // rows 0..last must not change
    Head head = drawHead(draw, tokens, d);
    const std::vector<float> w = drawRandomFeatures(spec);
    const AttentionHeadResult before = referenceAttentionHead(
        spec, w, tokens, head.q.data(), head.k.data(), head.v.data());
    for (int64_t j = last + 1; j < tokens; ++j)
      for (int64_t c = 0; c < d; ++c) {
        head.k[j * d + c] = static_cast<float>(draw.real(-1, 1));
        head.v[j * d + c] = static_cast<float>(draw.real(-1, 1));
      }
    const AttentionHeadResult after = referenceAttentionHead(
        spec, w, tokens, head.q.data(), head.k.data(), head.v.data());
    for (int64_t i = 0; i <= last; ++i) {
      for (int64_t c = 0; c < d; ++c)
        ASSERT_EQ(before.out[i * d + c], after.out[i * d + c])
            << "row " << i << ", changed keys from " << last + 1;
      ASSERT_EQ(before.rows[i].denominator, after.rows[i].denominator);
    }
    // The changed keys do reach the rows after them (through the features;
    // without them, an empty support leaves every row at zero).
    if (spec.features > 0)
      EXPECT_NE(std::vector<double>(before.out.begin() + (last + 1) * d,
                                    before.out.end()),
                std::vector<double>(after.out.begin() + (last + 1) * d,
                                    after.out.end()));
    // A causal row does not depend on how many tokens follow it.
    const int64_t fewer = last + 1;
    const std::vector<double> prefix = referenceAttention(
        spec, w, fewer, head.q.data(), head.k.data(), head.v.data());
    ASSERT_EQ(static_cast<int64_t>(prefix.size()), fewer * d);
    for (int64_t i = 0; i < fewer * d; ++i)
      ASSERT_EQ(prefix[i], after.out[i]) << "T=" << fewer << " at " << i;
  }
}

TEST(AttentionReference, HeadsAreIndependent) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const AttentionSpec spec = drawSpec(draw, 64);
  SCOPED_TRACE(describe(spec));
  const int64_t heads = draw(1, 4), tokens = draw(1, spec.seqLen),
                d = spec.headDim, stride = tokens * d;
  const Head all = drawHead(draw, heads * tokens, d);
  const std::vector<float> w = drawRandomFeatures(spec);
  const std::vector<double> out = referenceAttentionHeads(
      spec, w, heads, tokens, all.q.data(), all.k.data(), all.v.data());
  const std::vector<AttentionRowStats> rows = referenceAttentionHeadsStats(
      spec, w, heads, tokens, all.q.data(), all.k.data(), all.v.data());
  ASSERT_EQ(static_cast<int64_t>(out.size()), heads * stride);
  ASSERT_EQ(static_cast<int64_t>(rows.size()), heads * tokens);
  for (int64_t h = 0; h < heads; ++h) {
    const AttentionHeadResult one = referenceAttentionHead(
        spec, w, tokens, all.q.data() + h * stride, all.k.data() + h * stride,
        all.v.data() + h * stride);
    EXPECT_EQ(std::vector<double>(out.begin() + h * stride,
                                  out.begin() + (h + 1) * stride),
              one.out)
        << "head " << h;
    for (int64_t i = 0; i < tokens; ++i)
      EXPECT_EQ(rows[h * tokens + i].denominator, one.rows[i].denominator);
  }
}

} // namespace
} // namespace pfc
