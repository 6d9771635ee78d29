//===- ParamTensors.cpp - Layer parameters to and from named tensors ------===//
#include "pfc/Runtime/Params.h"

#include <algorithm>

namespace pfc {

namespace {

/// The vector holding the named tensor, or null for a scalar or unknown one.
/// A template so that it serves const and mutable LayerParams alike.
template <typename Params>
auto vectorOf(const std::string &name, Params &params) -> decltype(&params.u) {
  if (name == "blocks")
    return &params.blocks;
  if (name == "U")
    return &params.u;
  if (name == "V")
    return &params.v;
  if (name == "gate.weight")
    return &params.gateWeight;
  if (name == "bias")
    return &params.bias;
  return nullptr;
}

/// The scalar holding the named tensor, or null.
template <typename Params>
auto scalarOf(const std::string &name, Params &params)
    -> decltype(&params.gamma) {
  if (name == "gamma")
    return &params.gamma;
  if (name == "gate.bias")
    return &params.gateBias;
  return nullptr;
}

} // namespace

TensorMap tensorsFromParams(const LayerSpec &spec, const BlockMask &mask,
                            const LayerParams &params) {
  TensorMap tensors;
  for (const ParamInfo &info : paramInfos(spec, mask)) {
    Tensor &tensor = tensors[info.name];
    tensor.shape = info.shape;
    if (const std::vector<float> *vector = vectorOf(info.name, params))
      tensor.data = *vector;
    else
      tensor.data = {*scalarOf(info.name, params)};
  }
  return tensors;
}

LayerParams paramsFromArrays(const LayerSpec &spec, const BlockMask &mask,
                             const float *const *arrays) {
  LayerParams params;
  const std::vector<ParamInfo> infos = paramInfos(spec, mask);
  for (size_t i = 0; i < infos.size(); ++i) {
    if (std::vector<float> *vector = vectorOf(infos[i].name, params))
      vector->assign(arrays[i], arrays[i] + elementCount(infos[i].shape));
    else
      *scalarOf(infos[i].name, params) = arrays[i][0];
  }
  if (spec.gammaMode == GammaMode::Gate)
    params.gamma = static_cast<float>(spec.gammaInit);
  return params;
}

void paramsToArrays(const LayerSpec &spec, const BlockMask &mask,
                    const LayerParams &params, float *const *arrays) {
  const std::vector<ParamInfo> infos = paramInfos(spec, mask);
  for (size_t i = 0; i < infos.size(); ++i) {
    if (const std::vector<float> *vector = vectorOf(infos[i].name, params))
      std::copy(vector->begin(), vector->end(), arrays[i]);
    else
      arrays[i][0] = *scalarOf(infos[i].name, params);
  }
}

bool paramsFromTensors(const LayerSpec &spec, const BlockMask &mask,
                       const TensorMap &tensors, LayerParams &params,
                       std::string &error) {
  const std::vector<ParamInfo> infos = paramInfos(spec, mask);
  std::string names;
  for (const ParamInfo &info : infos)
    names += (names.empty() ? "" : ", ") + info.name;

  // Unknown names first: a misspelt name also shows up as a missing one.
  for (const auto &entry : tensors) {
    bool known = false;
    for (const ParamInfo &info : infos)
      known |= info.name == entry.first;
    if (!known) {
      error = "'" + entry.first + "' is not a parameter of layer '" +
              spec.name + "' (expected one of: " + names + ")";
      return false;
    }
  }

  LayerParams result;
  for (const ParamInfo &info : infos) {
    auto it = tensors.find(info.name);
    if (it == tensors.end()) {
      error = "layer '" + spec.name + "' has no tensor '" + info.name +
              "' (expected one of shape " + shapeString(info.shape) + ")";
      return false;
    }
    const Tensor &tensor = it->second;
    if (tensor.shape != info.shape) {
      error = "'" + info.name + "' has shape " + shapeString(tensor.shape) +
              " (expected " + shapeString(info.shape) + " for layer '" +
              spec.name + "')";
      return false;
    }
    if (static_cast<int64_t>(tensor.data.size()) != elementCount(info.shape)) {
      error = "'" + info.name + "' holds " +
              std::to_string(tensor.data.size()) + " values (expected " +
              std::to_string(elementCount(info.shape)) + " for shape " +
              shapeString(info.shape) + ")";
      return false;
    }
    if (std::vector<float> *vector = vectorOf(info.name, result))
      *vector = tensor.data;
    else
      *scalarOf(info.name, result) = tensor.data[0];
  }
  // A gate-mode layer has no gamma tensor; keep the spec's start value.
  if (spec.gammaMode == GammaMode::Gate)
    result.gamma = static_cast<float>(spec.gammaInit);
  params = std::move(result);
  return true;
}

} // namespace pfc
