//===- Spec.cpp - Names and comparisons of spec values --------------------===//
#include "pfc/Spec/Spec.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace pfc {

/// The spelling of `value` in `names`.
template <typename T, size_t N>
static std::string_view
spelling(const std::pair<std::string_view, T> (&names)[N], T value) {
  for (const auto &[name, v] : names)
    if (v == value)
      return name;
  return "?";
}

std::string_view toString(GammaMode mode) {
  return spelling(kGammaModeNames, mode);
}

std::string_view toString(DType dtype) { return spelling(kDTypeNames, dtype); }

BlockMask LayerSpec::blockMask() const {
  return buildBlockMask(butterfly, outFeatures, inFeatures, block);
}

std::string formatShortest(double value) {
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  return text;
}

bool LayerSpec::operator==(const LayerSpec &other) const {
  return name == other.name && inFeatures == other.inFeatures &&
         outFeatures == other.outFeatures && block == other.block &&
         butterfly == other.butterfly && rank == other.rank &&
         gammaMode == other.gammaMode && gammaInit == other.gammaInit &&
         bias == other.bias && dtype == other.dtype;
}

double AttentionSpec::tau() const {
  return scale ? *scale : 1.0 / std::sqrt(static_cast<double>(headDim));
}

BlockMask AttentionSpec::support() const {
  const int64_t padded = paddedSeq();
  BlockMask mask;
  if (butterfly) {
    mask = buildBlockMask(*butterfly, padded, padded, block);
  } else {
    mask.block = block;
    mask.rows = mask.cols = padded;
    mask.blockRows = mask.blockCols = padded / block;
    mask.rowStart.assign(mask.blockRows + 1, 0);
  }
  if (!causal)
    return mask;
  BlockMask lower = mask;
  lower.colIndex.clear();
  for (int64_t r = 0; r < mask.blockRows; ++r) {
    for (int64_t i = mask.rowStart[r]; i < mask.rowStart[r + 1]; ++i)
      if (mask.colIndex[i] <= r)
        lower.colIndex.push_back(mask.colIndex[i]);
    lower.rowStart[r + 1] = static_cast<int64_t>(lower.colIndex.size());
  }
  return lower;
}

bool AttentionSpec::operator==(const AttentionSpec &other) const {
  return name == other.name && seqLen == other.seqLen && heads == other.heads &&
         headDim == other.headDim && block == other.block &&
         butterfly == other.butterfly && features == other.features &&
         causal == other.causal && seed == other.seed && scale == other.scale &&
         dtype == other.dtype;
}

} // namespace pfc
