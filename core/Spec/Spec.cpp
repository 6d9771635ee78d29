//===- Spec.cpp - Names and comparisons of spec values --------------------===//
#include "pfc/Spec/Spec.h"

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

} // namespace pfc
