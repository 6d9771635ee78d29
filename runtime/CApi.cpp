//===- CApi.cpp - pfc's runtime C API -------------------------------------===//
#include "pfc/Runtime/CApi.h"
#include "pfc/Runtime/CompiledLayer.h"
#include "pfc/Runtime/Params.h"

#include <algorithm>
#include <cstring>

using namespace pfc;

struct pfc_layer {
  std::unique_ptr<Layer> layer;
  std::vector<ParamInfo> infos;
  /// The gradients of the last backward, reused from call to call.
  mutable LayerParams grads;
};

namespace pfc {

pfc_layer *wrapLayer(std::unique_ptr<Layer> layer) {
  auto handle = std::make_unique<pfc_layer>();
  handle->infos = paramInfos(layer->spec(), layer->mask());
  handle->layer = std::move(layer);
  pfc_layer_init_params(handle.get(), 0);
  return handle.release();
}

void setCError(char *error, size_t size, std::string_view message) {
  if (!error || size == 0)
    return;
  while (!message.empty() && message.back() == '\n')
    message.remove_suffix(1);
  size_t length = std::min(message.size(), size - 1);
  std::memcpy(error, message.data(), length);
  error[length] = '\0';
}

} // namespace pfc

pfc_layer *pfc_layer_load(const char *dir, int threads, char *error,
                          size_t errorSize) {
  std::string message;
  std::unique_ptr<Layer> layer = loadCompiledLayer(dir, threads, message);
  if (!layer) {
    setCError(error, errorSize, message);
    return nullptr;
  }
  return wrapLayer(std::move(layer));
}

void pfc_layer_init_params(pfc_layer *handle, uint64_t seed) {
  Layer &layer = *handle->layer;
  std::string ignored; // the reference initialisation always fits
  layer.setParams(initParams(layer.spec(), layer.mask(), seed), ignored);
}

/// Sets `tensors` as the layer's parameters; `source` prefixes errors.
static int setTensors(pfc_layer *handle, const TensorMap &tensors,
                      const std::string &source, char *error,
                      size_t errorSize) {
  Layer &layer = *handle->layer;
  std::string message;
  LayerParams params;
  if (!paramsFromTensors(layer.spec(), layer.mask(), tensors, params,
                         message) ||
      !layer.setParams(params, message)) {
    setCError(error, errorSize, source + ": error: " + message);
    return 1;
  }
  return 0;
}

int pfc_layer_load_params(pfc_layer *handle, const char *path, char *error,
                          size_t errorSize) {
  std::string message;
  TensorMap tensors;
  if (!readSafetensors(path, tensors, message)) {
    setCError(error, errorSize, message);
    return 1;
  }
  return setTensors(handle, tensors, path, error, errorSize);
}

int pfc_layer_param_count(const pfc_layer *handle) {
  return static_cast<int>(handle->infos.size());
}

const char *pfc_layer_param_name(const pfc_layer *handle, int index) {
  if (index < 0 || index >= pfc_layer_param_count(handle))
    return nullptr;
  return handle->infos[index].name.c_str();
}

int64_t pfc_layer_param_size(const pfc_layer *handle, int index) {
  if (index < 0 || index >= pfc_layer_param_count(handle))
    return 0;
  return elementCount(handle->infos[index].shape);
}

int pfc_layer_set_params(pfc_layer *handle, const float *const *params,
                         char *error, size_t errorSize) {
  TensorMap tensors;
  for (size_t i = 0; i < handle->infos.size(); ++i) {
    const ParamInfo &info = handle->infos[i];
    Tensor &tensor = tensors[info.name];
    tensor.shape = info.shape;
    tensor.data.assign(params[i], params[i] + elementCount(info.shape));
  }
  return setTensors(handle, tensors, "pfc_layer_set_params", error,
                    errorSize);
}

void pfc_layer_forward(const pfc_layer *handle, const float *x, int64_t tokens,
                       float *y) {
  if (tokens > 0)
    handle->layer->forward(x, tokens, y);
}

int pfc_layer_backward(const pfc_layer *handle, const float *x,
                       const float *dy, int64_t tokens, float *dx,
                       float *const *grads, char *error, size_t errorSize) {
  const Layer &layer = *handle->layer;
  if (!layer.hasBackward()) {
    setCError(error, errorSize,
              layer.spec().name + ": error: compiled without a backward");
    return 1;
  }
  LayerParams &scratch = handle->grads;
  layer.backward(x, dy, std::max<int64_t>(tokens, 0), dx, scratch);
  TensorMap tensors = tensorsFromParams(layer.spec(), layer.mask(), scratch);
  for (size_t i = 0; i < handle->infos.size(); ++i) {
    const std::vector<float> &data = tensors[handle->infos[i].name].data;
    std::copy(data.begin(), data.end(), grads[i]);
  }
  return 0;
}

int64_t pfc_layer_in_features(const pfc_layer *handle) {
  return handle->layer->spec().inFeatures;
}

int64_t pfc_layer_out_features(const pfc_layer *handle) {
  return handle->layer->spec().outFeatures;
}

void pfc_layer_destroy(pfc_layer *handle) { delete handle; }
