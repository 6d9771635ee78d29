//===- CudaPrelude.cpp - The device library every emitted .cu starts with -===//
//
// Self-contained CUDA C++ (no header, so NVRTC needs no include path): 16-bit
// element types, tensor-core fragments through inline PTX (mma.sync m16n8k16
// for bf16/f16, m16n8k8 for TF32, plain FMAs for f32), a tile loader that
// uses cp.async where a 16-byte chunk is whole and aligned and zero-fills the
// rest, the pipelined main loop, and the small kernels of the element-wise
// ops. The emitted kernels are thin: constant tables, one `steps` lambda
// that says where each k-tile of A and B lies, and an epilogue.
//
// The text is compiler/lib/Target/Cuda/CudaPrelude.cuh, a CUDA file to read,
// edit and compile as such; the build embeds it (cmake/EmbedText.cmake).
//
//===----------------------------------------------------------------------===//
#include "CudaPrelude.h"

namespace pfc {

const char *cudaPrelude() {
  static const char text[] =
#include "CudaPrelude.cuh.inc"
      ;
  return text;
}

} // namespace pfc
