//===- CompiledLayer.h - Loading what `pfc compile` wrote -------*- C++ -*-===//
//
// A directory written by `pfc compile` (manifest.json, the layer's spec in
// it, and for the CPU a shared library `<sym>.so` with the entry points of
// pfc/Runtime/Kernel.h) becomes a Layer with no compiler in the process.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_COMPILEDLAYER_H
#define PFC_RUNTIME_COMPILEDLAYER_H

#include "pfc/Runtime/Layer.h"

#include <memory>
#include <string>
#include <string_view>

namespace pfc {

/// What a manifest says about a compiled layer.
struct CompiledManifest {
  LayerSpec spec;
  std::string target; ///< "cpu" or "cuda"
  /// cpu: the shared library's file name (empty when none was written), the
  /// register tile and the threads it was compiled for.
  std::string sharedLibrary;
  int64_t tile = 8;
  int64_t threads = 1;
  /// The entry points' names.
  std::string pack, forward, backward;
};

/// Reads a manifest's text; false with `<source>: error: <what>` in `error`.
bool parseManifest(std::string_view text, const std::string &source,
                   CompiledManifest &manifest, std::string &error);

/// Loads the CPU layer compiled into `dir`: dlopens its shared library. The
/// layer's calls are split over `threads` parts (0: as compiled). Null with
/// `<path>: error: <what>` in `error`.
std::unique_ptr<Layer> loadCompiledLayer(const std::string &dir,
                                         int64_t threads, std::string &error);

} // namespace pfc

#endif // PFC_RUNTIME_COMPILEDLAYER_H
