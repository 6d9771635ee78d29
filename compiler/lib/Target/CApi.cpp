//===- CApi.cpp - pfc's C API ---------------------------------------------===//
#include "pfc/pfc.h"

#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace pfc;

struct pfc_layer {
  std::unique_ptr<Layer> layer;
};

/// Copies `message`, without its trailing newline, into `error`.
static void setError(char *error, size_t size, llvm::StringRef message) {
  if (!error || size == 0)
    return;
  message = message.rtrim('\n');
  size_t length = std::min(message.size(), size - 1);
  std::memcpy(error, message.data(), length);
  error[length] = '\0';
}

pfc_layer *pfc_layer_compile(const char *specPath, int threads, char *error,
                             size_t errorSize) {
  std::string messages;
  llvm::raw_string_ostream os(messages);
  std::optional<Spec> spec = parseSpecFile(specPath, os, SpecKind::Layer);
  if (!spec) {
    setError(error, errorSize, os.str());
    return nullptr;
  }
  // The C API runs layers forward only.
  CompileOptions options(threads);
  options.backward = false;
  auto layer = compileLayer(std::get<LayerSpec>(*spec), options);
  if (!layer) {
    setError(error, errorSize, llvm::toString(layer.takeError()));
    return nullptr;
  }
  // Usable at once: the reference initialisation until parameters are set.
  (*layer)->setParams(initParams((*layer)->spec(), (*layer)->mask(), 0),
                      messages);
  return new pfc_layer{std::move(*layer)};
}

void pfc_layer_init_params(pfc_layer *handle, uint64_t seed) {
  Layer &layer = *handle->layer;
  std::string ignored; // the reference initialisation always fits
  layer.setParams(initParams(layer.spec(), layer.mask(), seed), ignored);
}

int pfc_layer_load_params(pfc_layer *handle, const char *path, char *error,
                          size_t errorSize) {
  Layer &layer = *handle->layer;
  std::string message;
  TensorMap tensors;
  LayerParams params;
  if (!readSafetensors(path, tensors, message)) {
    setError(error, errorSize, message);
    return 1;
  }
  if (!paramsFromTensors(layer.spec(), layer.mask(), tensors, params,
                         message) ||
      !layer.setParams(params, message)) {
    setError(error, errorSize, std::string(path) + ": error: " + message);
    return 1;
  }
  return 0;
}

void pfc_layer_forward(const pfc_layer *handle, const float *x, int64_t tokens,
                       float *y) {
  if (tokens > 0)
    handle->layer->forward(x, tokens, y);
}

int64_t pfc_layer_in_features(const pfc_layer *handle) {
  return handle->layer->spec().inFeatures;
}

int64_t pfc_layer_out_features(const pfc_layer *handle) {
  return handle->layer->spec().outFeatures;
}

void pfc_layer_destroy(pfc_layer *handle) { delete handle; }
