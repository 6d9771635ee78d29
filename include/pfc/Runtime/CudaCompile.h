//===- CudaCompile.h - CUDA C++ to PTX or a cubin with NVRTC ----*- C++ -*-===//
#ifndef PFC_RUNTIME_CUDACOMPILE_H
#define PFC_RUNTIME_CUDACOMPILE_H

#include <string>

namespace pfc::cuda {

/// What NVRTC made of a source.
struct CompiledCuda {
  /// A cubin for `sm_XX`, PTX text for `compute_XX`.
  std::string image;
  /// NVRTC's log: warnings when it compiled, errors when it did not.
  std::string log;
};

/// Compiles `source` (self-contained: no include path is given) for `arch`,
/// `sm_80` for a cubin or `compute_80` for PTX. False with the reason in
/// `error` (NVRTC's log included) when NVRTC is missing or rejects it.
bool compileCuda(const std::string &source, const std::string &arch,
                 CompiledCuda &result, std::string &error);

/// "NVRTC 13.0", or empty without NVRTC: part of the kernel cache key.
std::string nvrtcVersion();

} // namespace pfc::cuda

#endif // PFC_RUNTIME_CUDACOMPILE_H
