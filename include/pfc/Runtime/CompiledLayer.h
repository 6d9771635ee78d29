//===- CompiledLayer.h - Loading what `pfc compile` wrote -------*- C++ -*-===//
//
// A directory written by `pfc compile` (manifest.json, the layer's spec in
// it, and for the CPU a shared library `<sym>.so` with the entry points of
// pfc/Runtime/Kernel.h) becomes a Layer with no compiler in the process. For
// CUDA (a launch plan, and PTX and cubins per architecture) see
// pfc/Runtime/CudaLayer.h. An attention's directory (its manifest's "kind"
// is "attention"; a layer's has none) becomes an Attention the same way.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_COMPILEDLAYER_H
#define PFC_RUNTIME_COMPILEDLAYER_H

#include "pfc/Runtime/Attention.h"
#include "pfc/Runtime/Layer.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  /// cuda: the launch plan's file name; per architecture ("sm_80"), the
  /// PTX and cubin files (none when pfc compile found no NVRTC: `note`
  /// says why).
  std::string plan, note;
  struct CudaImage {
    std::string arch, ptx, cubin;
  };
  std::vector<CudaImage> images;
};

/// Reads a manifest's text; false with `<source>: error: <what>` in `error`.
bool parseManifest(std::string_view text, const std::string &source,
                   CompiledManifest &manifest, std::string &error);

/// Reads `dir`/manifest.json; false with `<path>: error: <what>` in `error`.
bool readManifest(const std::string &dir, CompiledManifest &manifest,
                  std::string &error);

/// Loads the CPU layer compiled into `dir` (its manifest read already):
/// dlopens its shared library. The layer's calls are split over `threads`
/// parts (0: as compiled). Null with `<path>: error: <what>` in `error`.
std::unique_ptr<Layer> loadCompiledLayer(const std::string &dir,
                                         CompiledManifest manifest,
                                         int64_t threads, std::string &error);
/// The same, reading the manifest first.
std::unique_ptr<Layer> loadCompiledLayer(const std::string &dir,
                                         int64_t threads, std::string &error);

/// What a manifest says about a compiled attention (CPU only).
struct CompiledAttentionManifest {
  AttentionSpec spec;
  /// The shared library's file name (empty when none was written).
  std::string sharedLibrary;
  /// The threads it was compiled for.
  int64_t threads = 1;
  /// The entry points' names.
  std::string forward, backward;
};

/// Reads an attention manifest's text; false with `<source>: error: <what>`
/// in `error` (a layer's manifest among the reasons).
bool parseAttentionManifest(std::string_view text, const std::string &source,
                            CompiledAttentionManifest &manifest,
                            std::string &error);

/// Reads `dir`/manifest.json as an attention's; false with `<path>: error:
/// <what>` in `error`.
bool readAttentionManifest(const std::string &dir,
                           CompiledAttentionManifest &manifest,
                           std::string &error);

/// Loads the attention compiled into `dir`: reads its manifest and dlopens
/// its shared library. Calls are split over `threads` parts (0: as
/// compiled). Null with `<path>: error: <what>` in `error`.
std::unique_ptr<Attention> loadCompiledAttention(const std::string &dir,
                                                 int64_t threads,
                                                 std::string &error);

} // namespace pfc

#endif // PFC_RUNTIME_COMPILEDLAYER_H
