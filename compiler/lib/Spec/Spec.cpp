//===- Spec.cpp - Names and comparisons of spec values
//---------------------===//
#include "pfc/Spec/Spec.h"

namespace pfc {

std::string_view toString(GammaMode mode) {
  switch (mode) {
  case GammaMode::Scalar:
    return "scalar";
  case GammaMode::Gate:
    return "gate";
  case GammaMode::Fixed:
    return "fixed";
  }
  return "?";
}

std::string_view toString(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  }
  return "?";
}

bool LayerSpec::operator==(const LayerSpec &other) const {
  return name == other.name && inFeatures == other.inFeatures &&
         outFeatures == other.outFeatures && block == other.block &&
         butterfly == other.butterfly && rank == other.rank &&
         gammaMode == other.gammaMode && gammaInit == other.gammaInit &&
         bias == other.bias && dtype == other.dtype;
}

} // namespace pfc
