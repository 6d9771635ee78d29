//===- AttentionJitTest.cpp - Compiled attention against fp64
//--------------===//
//
// Draws attention specs (T not a multiple of b, calls shorter than seq_len,
// causal or not, global tokens, shuffled patterns, no support, m = 0 or not,
// head dimensions that are not powers of two), compiles each with the JIT,
// and compares its output and row statistics with the fp64 reference of
// AttentionReference.h; the two limits (softmax, Performer) and causality
// are tests of their own.
//
//===----------------------------------------------------------------------===//
#include "AttentionReference.h"
#include "RandomDraws.h"
#include "pfc/Pattern/RandomFeatures.h"
#include "pfc/Runtime/Reference.h"
#include "pfc/Target/Jit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace pfc;

namespace {

/// A random spec whose pattern fits: S a power of two dividing the padded
/// sequence, ascending strides, sometimes shuffled or with global tokens.
AttentionSpec randomSpec(RandomDraws &draw) {
  AttentionSpec spec;
  spec.name = "attention_" + std::to_string(draw(0, 1 << 20));
  spec.block = int64_t{1} << draw(3, 5); // 8, 16, 32
  spec.seqLen = draw(1, 12) * spec.block - draw(0, spec.block - 1);
  spec.heads = draw(1, 3);
  const int64_t dims[] = {4, 8, 12, 16, 24, 32, 64};
  spec.headDim = dims[draw(0, 6)];
  spec.causal = draw(0, 1) == 1;
  spec.seed = static_cast<uint64_t>(draw(0, 1 << 30));
  // m of 16 and up: with a handful of features the estimate is noisy
  // enough that subtracting it on a support covering most of the scores
  // cancels beyond f32's precision (m = 2 with 136 of 152 tokens global
  // came out 4e-5 from the fp64 reference).
  spec.features = draw(0, 2) == 0 ? 0 : 2 * draw(8, 32);
  if (spec.features && draw(0, 4) == 0) {
    spec.butterfly.reset();
    return spec;
  }
  const int64_t padded = spec.paddedSeq();
  ButterflyPattern pattern;
  pattern.size = 2;
  while (pattern.size * 2 <= padded / spec.block &&
         padded % (pattern.size * 2) == 0 && draw(0, 2) > 0)
    pattern.size *= 2;
  pattern.strides.clear();
  for (int64_t k = 2; k <= pattern.size; k *= 2)
    if (draw(0, 1) || (k == pattern.size && pattern.strides.empty()))
      pattern.strides.push_back(k);
  pattern.shuffle = pattern.size > 2 && draw(0, 3) == 0;
  pattern.global = draw(0, 3) == 0 ? draw(0, spec.seqLen) : 0;
  spec.butterfly = pattern;
  return spec;
}

std::string describe(const AttentionSpec &spec) {
  return spec.name + " T<=" + std::to_string(spec.seqLen) +
         " heads=" + std::to_string(spec.heads) +
         " d=" + std::to_string(spec.headDim) +
         " b=" + std::to_string(spec.block) + " " +
         (spec.butterfly ? spec.butterfly->str() : "no support") +
         " m=" + std::to_string(spec.features) + (spec.causal ? " causal" : "");
}

double relativeError(const std::vector<float> &got,
                     const std::vector<double> &want) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!std::isfinite(got[i]))
      return std::numeric_limits<double>::infinity();
    diff += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return std::sqrt(diff / std::max(norm, 1e-300));
}

struct Inputs {
  std::vector<float> q, k, v;
};

Inputs randomInputs(RandomDraws &draw, const AttentionSpec &spec, int64_t heads,
                    int64_t tokens) {
  const size_t n = static_cast<size_t>(heads * tokens * spec.headDim);
  // Scores τ·q·k of a few units, as trained attention has.
  return {draw.values(n, 1.5), draw.values(n, 1.5), draw.values(n)};
}

/// Runs `attention` and checks it against the reference, stats included.
void checkAgainstReference(RandomDraws &draw, const Attention &attention,
                           int64_t batch, int64_t tokens) {
  const AttentionSpec &spec = attention.spec();
  SCOPED_TRACE("batch=" + std::to_string(batch) +
               " tokens=" + std::to_string(tokens));
  const int64_t heads = batch * spec.heads, d = spec.headDim;
  Inputs in = randomInputs(draw, spec, heads, tokens);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> o(static_cast<size_t>(heads * tokens * d), nan);
  std::vector<float> stats(static_cast<size_t>(heads * tokens * 3), nan);
  attention.forward(in.q.data(), in.k.data(), in.v.data(), batch, tokens,
                    o.data(), stats.data());
  std::vector<double> want =
      referenceAttentionHeads(spec, attention.features(), heads, tokens,
                              in.q.data(), in.k.data(), in.v.data());
  EXPECT_LE(relativeError(o, want), 1e-5);
  std::vector<AttentionRowStats> rows =
      referenceAttentionHeadsStats(spec, attention.features(), heads, tokens,
                                   in.q.data(), in.k.data(), in.v.data());
  int bad = 0;
  for (size_t i = 0; i < rows.size() && bad < 5; ++i) {
    double denominator = stats[3 * i + 1] * std::exp(double(stats[3 * i]));
    if (std::abs(denominator - rows[i].denominator) >
        1e-4 * rows[i].denominator) {
      ADD_FAILURE() << "row " << i << ": D " << denominator << ", want "
                    << rows[i].denominator;
      ++bad;
    }
    // The floor's side, where the low-rank mass is clearly on one.
    if (std::abs(rows[i].lowRankMass - kAttentionEpsilon) >
            1e-4 * rows[i].denominator &&
        (stats[3 * i + 2] == 1.0f) != rows[i].clamped) {
      ADD_FAILURE() << "row " << i << ": clamped " << stats[3 * i + 2]
                    << ", want " << rows[i].clamped;
      ++bad;
    }
  }
}

std::unique_ptr<Attention> compile(const AttentionSpec &spec,
                                   int64_t threads = 2) {
  auto attention = compileAttention(spec, CompileOptions(threads));
  if (!attention) {
    ADD_FAILURE() << toString(attention.takeError());
    return nullptr;
  }
  return std::move(*attention);
}

TEST(AttentionJit, MatchesReferenceOnRandomSpecs) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int round = 0; round < 10; ++round) {
    AttentionSpec spec = randomSpec(draw);
    SCOPED_TRACE(describe(spec));
    auto attention = compile(spec);
    ASSERT_TRUE(attention);
    checkAgainstReference(draw, *attention, draw(1, 2), spec.seqLen);
    checkAgainstReference(draw, *attention, 1, draw(1, spec.seqLen));
  }
}

// Support over everything and no features: softmax attention (the
// reference's own limit test checks that it is softmax).
TEST(AttentionJit, FullSupportWithoutFeaturesIsSoftmax) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  AttentionSpec spec;
  spec.name = "softmax";
  spec.block = 16;
  spec.seqLen = draw(20, 150);
  spec.headDim = 16;
  spec.causal = draw(0, 1) == 1;
  spec.butterfly->size = 2;
  spec.butterfly->global = spec.seqLen;
  SCOPED_TRACE(describe(spec));
  auto attention = compile(spec);
  ASSERT_TRUE(attention);
  checkAgainstReference(draw, *attention, 2, spec.seqLen);
}

// No support: Performer attention.
TEST(AttentionJit, NoSupportIsPerformer) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (bool causal : {false, true}) {
    AttentionSpec spec;
    spec.name = "performer";
    spec.block = 16;
    spec.seqLen = draw(20, 150);
    spec.headDim = 16;
    spec.features = 2 * draw(4, 32);
    spec.causal = causal;
    spec.butterfly.reset();
    SCOPED_TRACE(describe(spec));
    auto attention = compile(spec);
    ASSERT_TRUE(attention);
    checkAgainstReference(draw, *attention, 1, spec.seqLen);
  }
}

// A shuffled pattern can move the diagonal out of the support: causal rows
// there get the diagonal block's estimate instead (seq_len 8, b 2, S 4 with
// stride 2 shuffled: block-rows 1 and 2 lack their own block).
TEST(AttentionJit, CausalSupportWithoutItsDiagonal) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int64_t features : {0, 8}) {
    AttentionSpec spec;
    spec.name = "shuffled";
    spec.block = 2 * draw(1, 4);
    spec.seqLen = 4 * spec.block;
    spec.headDim = 8;
    spec.features = features;
    spec.causal = true;
    spec.butterfly->size = 4;
    spec.butterfly->strides = {2};
    spec.butterfly->shuffle = true;
    SCOPED_TRACE(describe(spec));
    BlockMask support = spec.support();
    ASSERT_FALSE(support.contains(1, 1));
    auto attention = compile(spec);
    ASSERT_TRUE(attention);
    checkAgainstReference(draw, *attention, 2, spec.seqLen);
  }
}

// Changing the keys and values after token i leaves O_i as it was, bit for
// bit: nothing of a later block reaches an earlier row.
TEST(AttentionJit, CausalRowsIgnoreLaterTokens) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  AttentionSpec spec;
  spec.name = "causal";
  spec.block = 16;
  spec.seqLen = 160;
  spec.headDim = 32;
  spec.features = 16;
  spec.causal = true;
  spec.butterfly->size = 4;
  spec.butterfly->strides = {2, 4};
  SCOPED_TRACE(describe(spec));
  auto attention = compile(spec);
  ASSERT_TRUE(attention);
  const int64_t tokens = spec.seqLen, d = spec.headDim;
  Inputs in = randomInputs(draw, spec, 1, tokens);
  std::vector<float> before(tokens * d), after(tokens * d);
  attention->forward(in.q.data(), in.k.data(), in.v.data(), 1, tokens,
                     before.data());
  const int64_t i = draw(0, tokens - 2);
  for (int64_t j = i + 1; j < tokens; ++j)
    for (int64_t c = 0; c < d; ++c) {
      in.k[j * d + c] = static_cast<float>(draw.real(-3, 3));
      in.v[j * d + c] = static_cast<float>(draw.real(-3, 3));
    }
  attention->forward(in.q.data(), in.k.data(), in.v.data(), 1, tokens,
                     after.data());
  for (int64_t r = 0; r <= i; ++r)
    for (int64_t c = 0; c < d; ++c)
      ASSERT_EQ(before[r * d + c], after[r * d + c])
          << "row " << r << " (changed from " << i + 1 << ")";
}

/// Σ dout ⊙ O for the reference at q, k, v.
double referenceLoss(const Attention &attention, int64_t tokens,
                     const Inputs &in, const std::vector<float> &dout) {
  std::vector<double> o =
      referenceAttention(attention.spec(), attention.features(), tokens,
                         in.q.data(), in.k.data(), in.v.data());
  double loss = 0;
  for (size_t i = 0; i < o.size(); ++i)
    loss += dout[i] * o[i];
  return loss;
}

/// The kernel's dq, dk, dv against central differences of the fp64
/// reference: single coordinates and random directions.
void checkGradients(RandomDraws &draw, const Attention &attention,
                    int64_t tokens) {
  const AttentionSpec &spec = attention.spec();
  SCOPED_TRACE("tokens=" + std::to_string(tokens));
  const int64_t d = spec.headDim, n = tokens * d;
  Inputs in = randomInputs(draw, spec, 1, tokens);
  std::vector<float> dout = draw.values(n);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> o(n, nan), stats(tokens * 3, nan);
  attention.forward(in.q.data(), in.k.data(), in.v.data(), 1, tokens, o.data(),
                    stats.data());
  // Every output written and finite (they start as NaN).
  for (float value : o)
    ASSERT_TRUE(std::isfinite(value)) << "o";
  for (float value : stats)
    ASSERT_TRUE(std::isfinite(value)) << "stats";
  std::vector<float> dq(n, nan), dk(n, nan), dv(n, nan);
  attention.backward(in.q.data(), in.k.data(), in.v.data(), 1, tokens, o.data(),
                     stats.data(), dout.data(), dq.data(), dk.data(),
                     dv.data());
  std::vector<float> *inputs[] = {&in.q, &in.k, &in.v};
  const std::vector<float> *grads[] = {&dq, &dk, &dv};
  const char *names[] = {"dq", "dk", "dv"};
  const double h = 1e-2;
  for (int which = 0; which < 3; ++which) {
    SCOPED_TRACE(names[which]);
    std::vector<float> &x = *inputs[which];
    const std::vector<float> &g = *grads[which];
    double rms = 0;
    for (float value : g) {
      ASSERT_TRUE(std::isfinite(value));
      rms += double(value) * value;
    }
    rms = std::sqrt(rms / n);
    // The loss's change over the step actually taken (float inputs).
    auto change = [&](const std::vector<double> &direction, double &moved) {
      std::vector<float> saved = x;
      std::vector<double> up(n), down(n);
      for (int64_t i = 0; i < n; ++i) {
        x[i] = static_cast<float>(saved[i] + h * direction[i]);
        up[i] = double(x[i]) - saved[i];
      }
      double plus = referenceLoss(attention, tokens, in, dout);
      for (int64_t i = 0; i < n; ++i) {
        x[i] = static_cast<float>(saved[i] - h * direction[i]);
        down[i] = saved[i] - double(x[i]);
      }
      double minus = referenceLoss(attention, tokens, in, dout);
      x = saved;
      moved = 0;
      for (int64_t i = 0; i < n; ++i)
        moved += g[i] * (up[i] + down[i]);
      return plus - minus;
    };
    for (int round = 0; round < 6; ++round) {
      std::vector<double> direction(n, 0.0);
      int64_t coordinate = draw(0, n - 1);
      if (round % 2)
        for (double &value : direction)
          value = draw.real(-1, 1);
      else
        direction[coordinate] = 1;
      double predicted = 0;
      double measured = change(direction, predicted);
      double norm = 0;
      for (double value : direction)
        norm += value * value;
      EXPECT_NEAR(predicted, measured,
                  2 * h * std::sqrt(norm) * (1e-3 * rms + 1e-6) +
                      2e-3 * std::abs(measured))
          << (round % 2 ? "random direction" : "coordinate ") << coordinate;
    }
  }
}

TEST(AttentionJit, GradientsMatchFiniteDifferences) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int round = 0; round < 8; ++round) {
    AttentionSpec spec = randomSpec(draw);
    spec.heads = 1; // checkGradients runs one head
    spec.seqLen = std::min<int64_t>(spec.seqLen, 5 * spec.block);
    if (spec.butterfly && spec.butterfly->global > spec.seqLen)
      spec.butterfly->global = spec.seqLen;
    if (spec.butterfly && spec.paddedSeq() % spec.butterfly->size != 0)
      spec.butterfly = ButterflyPattern{};
    SCOPED_TRACE(describe(spec));
    auto attention = compile(spec);
    ASSERT_TRUE(attention);
    checkGradients(draw, *attention, draw(1, spec.seqLen));
  }
}

// The backward of a causal attention for a loss on rows up to i does not
// change when later keys and values do.
TEST(AttentionJit, CausalGradientsIgnoreLaterTokens) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  AttentionSpec spec;
  spec.name = "causal_grad";
  spec.block = 16;
  spec.seqLen = 96;
  spec.headDim = 16;
  spec.features = 16;
  spec.causal = true;
  spec.butterfly->size = 2;
  SCOPED_TRACE(describe(spec));
  auto attention = compile(spec);
  ASSERT_TRUE(attention);
  const int64_t tokens = spec.seqLen, d = spec.headDim, n = tokens * d;
  Inputs in = randomInputs(draw, spec, 1, tokens);
  const int64_t i = draw(0, tokens - 2);
  std::vector<float> dout = draw.values(n);
  std::fill(dout.begin() + (i + 1) * d, dout.end(), 0.0f);
  auto gradients = [&] {
    std::vector<float> o(n), stats(tokens * 3), grads(3 * n);
    attention->forward(in.q.data(), in.k.data(), in.v.data(), 1, tokens,
                       o.data(), stats.data());
    attention->backward(in.q.data(), in.k.data(), in.v.data(), 1, tokens,
                        o.data(), stats.data(), dout.data(), grads.data(),
                        grads.data() + n, grads.data() + 2 * n);
    return grads;
  };
  std::vector<float> before = gradients();
  for (int64_t j = i + 1; j < tokens; ++j)
    for (int64_t c = 0; c < d; ++c) {
      in.k[j * d + c] = static_cast<float>(draw.real(-3, 3));
      in.v[j * d + c] = static_cast<float>(draw.real(-3, 3));
    }
  std::vector<float> after = gradients();
  for (int part = 0; part < 3; ++part) {
    double diff = 0, norm = 0;
    for (int64_t r = 0; r <= i; ++r)
      for (int64_t c = 0; c < d; ++c) {
        size_t at = part * n + r * d + c;
        diff += std::pow(double(before[at]) - after[at], 2);
        norm += std::pow(double(before[at]), 2);
      }
    // Only the rounding of the keys' running scale may differ.
    EXPECT_LE(std::sqrt(diff), 1e-6 * std::sqrt(norm) + 1e-12)
        << "part " << part << ", rows up to " << i;
  }
}

} // namespace
