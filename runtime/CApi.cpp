//===- CApi.cpp - pfc's runtime C API -------------------------------------===//
#include "pfc/Runtime/CApi.h"
#include "pfc/Runtime/Attention.h"
#include "pfc/Runtime/CompiledLayer.h"
#include "pfc/Runtime/CudaLayer.h"
#include "pfc/Runtime/Params.h"

#include <algorithm>
#include <cstring>

using namespace pfc;

/// A CPU layer or a CUDA one.
struct pfc_layer {
  std::unique_ptr<Layer> cpu;
  std::unique_ptr<cuda::CudaLayer> gpu;
  std::vector<ParamInfo> infos;
  /// The gradients of the last backward, reused from call to call.
  mutable LayerParams grads;

  const LayerSpec &spec() const { return cpu ? cpu->spec() : gpu->spec(); }
  const BlockMask &mask() const { return cpu ? cpu->mask() : gpu->mask(); }
  bool hasBackward() const {
    return cpu ? cpu->hasBackward() : gpu->hasBackward();
  }
  bool setParams(const LayerParams &params, std::string &error) {
    return cpu ? cpu->setParams(params, error) : gpu->setParams(params, error);
  }
};

/// An attention, and the forward's o and stats its backward reads, reused
/// from call to call.
struct pfc_attention {
  std::unique_ptr<Attention> attention;
  mutable std::vector<float> o, stats;
};

namespace pfc {

/// Completes a handle holding its layer: the tensors, the initialisation.
static pfc_layer *finishHandle(std::unique_ptr<pfc_layer> handle) {
  handle->infos = paramInfos(handle->spec(), handle->mask());
  pfc_layer_init_params(handle.get(), 0);
  return handle.release();
}

pfc_layer *wrapLayer(std::unique_ptr<Layer> layer) {
  auto handle = std::make_unique<pfc_layer>();
  handle->cpu = std::move(layer);
  return finishHandle(std::move(handle));
}

pfc_attention *wrapAttention(std::unique_ptr<Attention> attention) {
  auto handle = std::make_unique<pfc_attention>();
  handle->attention = std::move(attention);
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

/// `ok`, or 1 with `message` in `error`.
static int result(bool ok, const std::string &message, char *error,
                  size_t errorSize) {
  if (ok)
    return 0;
  setCError(error, errorSize, message);
  return 1;
}

pfc_layer *pfc_layer_load(const char *dir, int threads, char *error,
                          size_t errorSize) {
  std::string message;
  CompiledManifest manifest;
  auto handle = std::make_unique<pfc_layer>();
  if (readManifest(dir, manifest, message)) {
    if (manifest.target == "cuda")
      handle->gpu =
          cuda::loadCompiledCudaLayer(dir, std::move(manifest), message);
    else
      handle->cpu =
          loadCompiledLayer(dir, std::move(manifest), threads, message);
  }
  if (!handle->cpu && !handle->gpu) {
    setCError(error, errorSize, message);
    return nullptr;
  }
  return finishHandle(std::move(handle));
}

void pfc_layer_init_params(pfc_layer *handle, uint64_t seed) {
  std::string message;
  handle->setParams(initParams(handle->spec(), handle->mask(), seed), message);
}

/// Sets `tensors` as the layer's parameters; `source` prefixes errors.
static int setTensors(pfc_layer *handle, const TensorMap &tensors,
                      const std::string &source, char *error,
                      size_t errorSize) {
  std::string message;
  LayerParams params;
  bool ok = paramsFromTensors(handle->spec(), handle->mask(), tensors, params,
                              message) &&
            handle->setParams(params, message);
  return result(ok, source + ": error: " + message, error, errorSize);
}

int pfc_layer_load_params(pfc_layer *handle, const char *path, char *error,
                          size_t errorSize) {
  std::string message;
  TensorMap tensors;
  if (!readSafetensors(path, tensors, message))
    return result(false, message, error, errorSize);
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
  std::string message;
  bool ok = handle->setParams(
      paramsFromArrays(handle->spec(), handle->mask(), params), message);
  return result(ok, "pfc_layer_set_params: error: " + message, error,
                errorSize);
}

const char *pfc_layer_target(const pfc_layer *handle) {
  return handle->cpu ? "cpu" : "cuda";
}

const char *pfc_layer_dtype(const pfc_layer *handle) {
  return toString(handle->spec().dtype).data(); // names are literals
}

int pfc_layer_forward(const pfc_layer *handle, const float *x, int64_t tokens,
                      float *y, char *error, size_t errorSize) {
  if (tokens <= 0)
    return 0;
  if (handle->cpu) {
    handle->cpu->forward(x, tokens, y);
    return 0;
  }
  std::string message;
  return result(handle->gpu->forward(x, tokens, y, message), message, error,
                errorSize);
}

int pfc_layer_backward(const pfc_layer *handle, const float *x, const float *dy,
                       int64_t tokens, float *dx, float *const *grads,
                       char *error, size_t errorSize) {
  if (!handle->hasBackward())
    return result(false,
                  handle->spec().name + ": error: compiled without a backward",
                  error, errorSize);
  LayerParams &scratch = handle->grads;
  tokens = std::max<int64_t>(tokens, 0);
  std::string message;
  if (handle->cpu)
    handle->cpu->backward(x, dy, tokens, dx, scratch);
  else if (!handle->gpu->backward(x, dy, tokens, dx, scratch, message))
    return result(false, message, error, errorSize);
  paramsToArrays(handle->spec(), handle->mask(), scratch, grads);
  return 0;
}

/// The CUDA layer behind `handle`, or null with the reason in `message`.
static const cuda::CudaLayer *gpuLayer(const pfc_layer *handle,
                                       std::string &message) {
  if (!handle->gpu)
    message = handle->spec().name +
              ": error: a CPU layer has no device entry points (use "
              "pfc_layer_forward and pfc_layer_backward)";
  return handle->gpu.get();
}

int pfc_layer_forward_device(const pfc_layer *handle, uint64_t x,
                             int64_t tokens, uint64_t y, void *stream,
                             char *error, size_t errorSize) {
  std::string message;
  const cuda::CudaLayer *layer = gpuLayer(handle, message);
  bool ok = layer &&
            layer->forwardDevice(x, tokens, y,
                                 static_cast<cuda::CUstream>(stream), message);
  return result(ok, message, error, errorSize);
}

int pfc_layer_backward_device(const pfc_layer *handle, uint64_t x, uint64_t dy,
                              int64_t tokens, uint64_t dx,
                              const uint64_t *grads, void *stream, char *error,
                              size_t errorSize) {
  std::string message;
  const cuda::CudaLayer *layer = gpuLayer(handle, message);
  bool ok = layer &&
            layer->backwardDevice(x, dy, tokens, dx,
                                  std::vector<cuda::CUdeviceptr>(
                                      grads, grads + handle->infos.size()),
                                  static_cast<cuda::CUstream>(stream), message);
  return result(ok, message, error, errorSize);
}

int64_t pfc_layer_in_features(const pfc_layer *handle) {
  return handle->spec().inFeatures;
}

int64_t pfc_layer_out_features(const pfc_layer *handle) {
  return handle->spec().outFeatures;
}

void pfc_layer_destroy(pfc_layer *handle) { delete handle; }

pfc_attention *pfc_attention_load(const char *dir, int threads, char *error,
                                  size_t errorSize) {
  std::string message;
  std::unique_ptr<Attention> attention =
      loadCompiledAttention(dir, threads, message);
  if (!attention) {
    setCError(error, errorSize, message);
    return nullptr;
  }
  return wrapAttention(std::move(attention));
}

int64_t pfc_attention_seq_len(const pfc_attention *handle) {
  return handle->attention->spec().seqLen;
}

int64_t pfc_attention_heads(const pfc_attention *handle) {
  return handle->attention->spec().heads;
}

int64_t pfc_attention_head_dim(const pfc_attention *handle) {
  return handle->attention->spec().headDim;
}

/// Whether a call on `tokens` can run; else the reason in `error`.
static bool checkTokens(const pfc_attention *handle, int64_t tokens,
                        char *error, size_t errorSize) {
  const AttentionSpec &spec = handle->attention->spec();
  if (tokens <= spec.seqLen)
    return true;
  setCError(error, errorSize,
            spec.name + ": error: " + std::to_string(tokens) +
                " tokens, more than the attention takes (seq_len " +
                std::to_string(spec.seqLen) + ")");
  return false;
}

int pfc_attention_forward(const pfc_attention *handle, const float *q,
                          const float *k, const float *v, int64_t batch,
                          int64_t tokens, float *o, char *error,
                          size_t errorSize) {
  if (!checkTokens(handle, tokens, error, errorSize))
    return 1;
  if (batch <= 0 || tokens <= 0)
    return 0;
  handle->attention->forward(q, k, v, batch, tokens, o);
  return 0;
}

int pfc_attention_backward(const pfc_attention *handle, const float *q,
                           const float *k, const float *v, const float *dout,
                           int64_t batch, int64_t tokens, float *dq, float *dk,
                           float *dv, char *error, size_t errorSize) {
  const Attention &attention = *handle->attention;
  if (!attention.hasBackward())
    return result(
        false, attention.spec().name + ": error: compiled without a backward",
        error, errorSize);
  if (!checkTokens(handle, tokens, error, errorSize))
    return 1;
  if (batch <= 0 || tokens <= 0)
    return 0;
  const size_t rows =
      static_cast<size_t>(batch * attention.spec().heads * tokens);
  handle->o.resize(rows * static_cast<size_t>(attention.spec().headDim));
  handle->stats.resize(rows * 3);
  attention.forward(q, k, v, batch, tokens, handle->o.data(),
                    handle->stats.data());
  attention.backward(q, k, v, batch, tokens, handle->o.data(),
                     handle->stats.data(), dout, dq, dk, dv);
  return 0;
}

void pfc_attention_destroy(pfc_attention *handle) { delete handle; }
