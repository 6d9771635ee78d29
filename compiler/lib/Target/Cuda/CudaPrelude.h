//===- CudaPrelude.h - The device library of emitted CUDA -------*- C++ -*-===//
#ifndef PFC_TARGET_CUDAPRELUDE_H
#define PFC_TARGET_CUDAPRELUDE_H

namespace pfc {

/// The self-contained CUDA C++ every emitted translation unit starts with:
/// element types, tensor-core tiles, the pipelined main loop and the
/// element-wise kernels (namespace `pfc`).
const char *cudaPrelude();

} // namespace pfc

#endif // PFC_TARGET_CUDAPRELUDE_H
