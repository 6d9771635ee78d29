//===- CompileCuda.h - `pfc compile --target cuda` --------------*- C++ -*-===//
#ifndef PFC_TOOLS_PFC_COMPILECUDA_H
#define PFC_TOOLS_PFC_COMPILECUDA_H

#include "Commands.h"

namespace pfc {

/// Writes a layer's CUDA artefacts into `outputDir`: `<sym>.cu`,
/// `<sym>.plan.json` and, when NVRTC can be opened, `<sym>.sm_XX.ptx` and
/// `<sym>.sm_XX.cubin` for sm_80 and sm_90, with a manifest.json naming them
/// (or saying why the PTX and cubins are missing). Returns an exit code.
int compileLayerForCuda(const LoadedLayer &layer, llvm::StringRef outputDir);

} // namespace pfc

#endif // PFC_TOOLS_PFC_COMPILECUDA_H
