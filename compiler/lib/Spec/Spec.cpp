//===- Spec.cpp - Names and comparisons of spec values
//---------------------===//
#include "pfc/Spec/Spec.h"

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

bool LayerSpec::operator==(const LayerSpec &other) const {
  return name == other.name && inFeatures == other.inFeatures &&
         outFeatures == other.outFeatures && block == other.block &&
         butterfly == other.butterfly && rank == other.rank &&
         gammaMode == other.gammaMode && gammaInit == other.gammaInit &&
         bias == other.bias && dtype == other.dtype;
}

} // namespace pfc
