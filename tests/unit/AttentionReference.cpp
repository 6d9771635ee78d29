//===- AttentionReference.cpp - fp64 Pixelfly attention for tests ---------===//
#include "AttentionReference.h"

#include "pfc/Pattern/RandomFeatures.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>

namespace pfc {
namespace {

/// A dense row-major 0/1 matrix.
struct Grid {
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> cells;

  Grid(int64_t rows, int64_t cols)
      : rows(rows), cols(cols), cells(static_cast<size_t>(rows * cols), 0) {}
  uint8_t &at(int64_t i, int64_t j) {
    return cells[static_cast<size_t>(i * cols + j)];
  }
  uint8_t at(int64_t i, int64_t j) const {
    return cells[static_cast<size_t>(i * cols + j)];
  }
};

/// `butterfly_factor_to_matrix` for the factor of size k, OR-ed into
/// `layout`: S/k diagonal blocks [[I, I], [I, I]], I the (k/2)×(k/2)
/// identity.
void addButterflyFactor(Grid &layout, int64_t k) {
  const int64_t half = k / 2;
  for (int64_t base = 0; base < layout.rows; base += k)
    for (int64_t quadRow = 0; quadRow < 2; ++quadRow)
      for (int64_t quadCol = 0; quadCol < 2; ++quadCol)
        for (int64_t d = 0; d < half; ++d)
          layout.at(base + quadRow * half + d, base + quadCol * half + d) = 1;
}

/// The coarse S×S layout: the OR of the factors, then (shuffle) einops
/// `rearrange(l, 'm (group c) -> m (c group)')`, groups = S / max stride.
Grid coarseLayout(const ButterflyPattern &pattern) {
  const int64_t size = pattern.size;
  Grid sum(size, size);
  for (int64_t k : pattern.strides)
    addButterflyFactor(sum, k);
  if (!pattern.shuffle)
    return sum;
  const int64_t largest =
      *std::max_element(pattern.strides.begin(), pattern.strides.end());
  const int64_t groups = size / largest, perGroup = size / groups;
  Grid shuffled(size, size);
  for (int64_t m = 0; m < size; ++m)
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t c = 0; c < perGroup; ++c)
        shuffled.at(m, c * groups + g) = sum.at(m, g * perGroup + c);
  return shuffled;
}

/// The padded block grid: coarse cells stretched over the padded tokens
/// (token i lies in coarse cell i / (paddedSeq / S)), global rows and
/// columns dense, every b×b tile OR-reduced; causal drops the blocks above
/// the diagonal.
Grid supportBlockGrid(const AttentionSpec &spec) {
  const int64_t b = spec.block;
  const int64_t padded = (spec.seqLen + b - 1) / b * b;
  const int64_t blocks = padded / b;
  Grid grid(blocks, blocks);
  if (!spec.butterfly)
    return grid;
  const ButterflyPattern &pattern = *spec.butterfly;
  assert(padded % pattern.size == 0 && "the pattern does not fit");
  const Grid coarse = coarseLayout(pattern);
  const int64_t cell = padded / pattern.size;
  for (int64_t i = 0; i < padded; ++i)
    for (int64_t j = 0; j < padded; ++j) {
      const bool element = coarse.at(i / cell, j / cell) ||
                           i < pattern.global || j < pattern.global;
      if (element)
        grid.at(i / b, j / b) = 1;
    }
  if (spec.causal)
    for (int64_t r = 0; r < blocks; ++r)
      for (int64_t c = r + 1; c < blocks; ++c)
        grid.at(r, c) = 0;
  return grid;
}

double dot(const float *a, const float *b, int64_t d) {
  double sum = 0;
  for (int64_t c = 0; c < d; ++c)
    sum += double(a[c]) * double(b[c]);
  return sum;
}

} // namespace

std::vector<uint8_t> referenceSupportBlocks(const AttentionSpec &spec) {
  return supportBlockGrid(spec).cells;
}

std::vector<uint8_t> referenceSupport(const AttentionSpec &spec,
                                      int64_t tokens) {
  assert(tokens > 0 && tokens <= spec.seqLen);
  const Grid blocks = supportBlockGrid(spec);
  const int64_t b = spec.block;
  Grid support(tokens, tokens);
  for (int64_t i = 0; i < tokens; ++i)
    for (int64_t j = 0; j < tokens; ++j)
      support.at(i, j) =
          blocks.at(i / b, j / b) && (!spec.causal || j <= i) ? 1 : 0;
  return support.cells;
}

std::vector<double> referenceFeatureMap(const AttentionSpec &spec,
                                        const std::vector<float> &w,
                                        const float *x) {
  const int64_t m = spec.features, d = spec.headDim, half = m / 2;
  assert(static_cast<int64_t>(w.size()) == half * d);
  const double sqrtTau = std::sqrt(spec.tau());
  std::vector<double> scaled(static_cast<size_t>(d));
  double squaredNorm = 0;
  for (int64_t c = 0; c < d; ++c) {
    scaled[c] = sqrtTau * double(x[c]);
    squaredNorm += scaled[c] * scaled[c];
  }
  std::vector<double> phi(static_cast<size_t>(m));
  const double norm = 1.0 / std::sqrt(double(m));
  for (int64_t r = 0; r < half; ++r) {
    double projection = 0;
    for (int64_t c = 0; c < d; ++c)
      projection += double(w[static_cast<size_t>(r * d + c)]) * scaled[c];
    phi[r] = norm * std::exp(projection - squaredNorm / 2);
    phi[half + r] = norm * std::exp(-projection - squaredNorm / 2);
  }
  return phi;
}

AttentionHeadResult referenceAttentionHead(const AttentionSpec &spec,
                                           const std::vector<float> &w,
                                           int64_t tokens, const float *q,
                                           const float *k, const float *v) {
  const int64_t t = tokens, d = spec.headDim, m = spec.features;
  const double tau = spec.tau();
  const std::vector<uint8_t> support = referenceSupport(spec, t);

  // The T×T matrices e, p.
  std::vector<std::vector<double>> phiQ, phiK;
  for (int64_t i = 0; i < t; ++i) {
    phiQ.push_back(referenceFeatureMap(spec, w, q + i * d));
    phiK.push_back(referenceFeatureMap(spec, w, k + i * d));
  }
  std::vector<double> e(static_cast<size_t>(t * t)), p(e.size(), 0.0);
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < t; ++j) {
      e[i * t + j] = std::exp(tau * dot(q + i * d, k + j * d, d));
      double sum = 0;
      for (int64_t f = 0; f < m; ++f)
        sum += phiQ[i][f] * phiK[j][f];
      p[i * t + j] = sum;
    }

  AttentionHeadResult result;
  result.out.assign(static_cast<size_t>(t * d), 0.0);
  result.rows.resize(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i) {
    std::vector<double> numerator(static_cast<size_t>(d), 0.0);
    double exactMass = 0, lowRankAll = 0, lowRankSupport = 0;
    // Terms outside S_i and R_i are skipped, never added as zeros.
    for (int64_t j = 0; j < t; ++j) {
      const bool inSupport = support[i * t + j] != 0;
      const bool inRange = !spec.causal || j <= i;
      const double eij = e[i * t + j], pij = p[i * t + j];
      if (inSupport) {
        exactMass += eij;
        lowRankSupport += pij;
        for (int64_t c = 0; c < d; ++c)
          numerator[c] += (eij - pij) * double(v[j * d + c]);
      }
      if (inRange) {
        lowRankAll += pij;
        for (int64_t c = 0; c < d; ++c)
          numerator[c] += pij * double(v[j * d + c]);
      }
    }
    AttentionRowStats &row = result.rows[i];
    row.lowRankMass = lowRankAll - lowRankSupport;
    row.clamped = !(row.lowRankMass >= kAttentionEpsilon);
    row.denominator =
        exactMass + (row.clamped ? kAttentionEpsilon : row.lowRankMass);
    for (int64_t c = 0; c < d; ++c)
      result.out[i * d + c] = numerator[c] / row.denominator;
  }
  return result;
}

std::vector<double> referenceAttention(const AttentionSpec &spec,
                                       const std::vector<float> &w,
                                       int64_t tokens, const float *q,
                                       const float *k, const float *v) {
  return referenceAttentionHead(spec, w, tokens, q, k, v).out;
}

std::vector<AttentionRowStats>
referenceAttentionStats(const AttentionSpec &spec, const std::vector<float> &w,
                        int64_t tokens, const float *q, const float *k,
                        const float *v) {
  return referenceAttentionHead(spec, w, tokens, q, k, v).rows;
}

std::vector<double> referenceAttentionHeads(const AttentionSpec &spec,
                                            const std::vector<float> &w,
                                            int64_t heads, int64_t tokens,
                                            const float *q, const float *k,
                                            const float *v) {
  const int64_t stride = tokens * spec.headDim;
  std::vector<double> out;
  out.reserve(static_cast<size_t>(heads * stride));
  for (int64_t h = 0; h < heads; ++h) {
    std::vector<double> head = referenceAttention(
        spec, w, tokens, q + h * stride, k + h * stride, v + h * stride);
    out.insert(out.end(), head.begin(), head.end());
  }
  return out;
}

std::vector<AttentionRowStats> referenceAttentionHeadsStats(
    const AttentionSpec &spec, const std::vector<float> &w, int64_t heads,
    int64_t tokens, const float *q, const float *k, const float *v) {
  const int64_t stride = tokens * spec.headDim;
  std::vector<AttentionRowStats> rows;
  rows.reserve(static_cast<size_t>(heads * tokens));
  for (int64_t h = 0; h < heads; ++h) {
    std::vector<AttentionRowStats> head = referenceAttentionStats(
        spec, w, tokens, q + h * stride, k + h * stride, v + h * stride);
    rows.insert(rows.end(), head.begin(), head.end());
  }
  return rows;
}

} // namespace pfc
