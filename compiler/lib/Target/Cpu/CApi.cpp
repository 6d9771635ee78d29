//===- CApi.cpp - pfc's compiler C API ------------------------------------===//
#include "pfc/compiler.h"

#include "pfc/Runtime/CApi.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/raw_ostream.h"

using namespace pfc;

pfc_layer *pfc_layer_compile(const char *specPath, int threads, char *error,
                             size_t errorSize) {
  std::string messages;
  llvm::raw_string_ostream os(messages);
  std::optional<Spec> spec = parseSpecFile(specPath, os, SpecKind::Layer);
  if (!spec) {
    setCError(error, errorSize, os.str());
    return nullptr;
  }
  auto layer =
      compileLayer(std::get<LayerSpec>(*spec), CompileOptions(threads));
  if (!layer) {
    setCError(error, errorSize, llvm::toString(layer.takeError()));
    return nullptr;
  }
  return wrapLayer(std::move(*layer));
}

pfc_attention *pfc_attention_compile(const char *specPath, int threads,
                                     char *error, size_t errorSize) {
  std::string messages;
  llvm::raw_string_ostream os(messages);
  std::optional<Spec> spec =
      parseSpecFile(specPath, os, SpecKind::Attention, "the CPU target");
  if (!spec) {
    setCError(error, errorSize, os.str());
    return nullptr;
  }
  auto attention =
      compileAttention(std::get<AttentionSpec>(*spec), CompileOptions(threads));
  if (!attention) {
    setCError(error, errorSize, llvm::toString(attention.takeError()));
    return nullptr;
  }
  return wrapAttention(std::move(*attention));
}
