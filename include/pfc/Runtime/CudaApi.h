//===- CudaApi.h - NVRTC and the CUDA driver, opened at run time -*- C++
//-*-===//
//
// pfc never links against CUDA and never includes its headers: the few types
// and functions it uses are declared here and looked up with dlopen/dlsym
// when first needed. Without libnvrtc or libcuda the rest of pfc works; the
// GPU target says why it is unavailable.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_CUDAAPI_H
#define PFC_RUNTIME_CUDAAPI_H

#include <cstddef>
#include <string>

namespace pfc::cuda {

// The driver API's handles (cuda.h); results are CUresult codes (0: success).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
// NVRTC's (nvrtc.h); results are nvrtcResult codes (0: success).
using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram *;

/// CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR and _MINOR.
constexpr int kComputeCapabilityMajor = 75;
constexpr int kComputeCapabilityMinor = 76;

/// The NVRTC functions pfc calls.
struct Nvrtc {
  nvrtcResult (*version)(int *major, int *minor);
  nvrtcResult (*createProgram)(nvrtcProgram *, const char *source,
                               const char *name, int headers,
                               const char *const *headerSources,
                               const char *const *headerNames);
  nvrtcResult (*compileProgram)(nvrtcProgram, int options,
                                const char *const *optionValues);
  nvrtcResult (*destroyProgram)(nvrtcProgram *);
  nvrtcResult (*getProgramLogSize)(nvrtcProgram, size_t *);
  nvrtcResult (*getProgramLog)(nvrtcProgram, char *);
  nvrtcResult (*getPTXSize)(nvrtcProgram, size_t *);
  nvrtcResult (*getPTX)(nvrtcProgram, char *);
  nvrtcResult (*getCUBINSize)(nvrtcProgram, size_t *);
  nvrtcResult (*getCUBIN)(nvrtcProgram, char *);
  const char *(*getErrorString)(nvrtcResult);

  /// The library, opened once per process: $PFC_NVRTC_LIBRARY when set
  /// (alone), else libnvrtc.so.13, .12 or .so, else under $CUDA_HOME or
  /// /usr/local/cuda; null when it cannot be opened, with the reason in
  /// `why`.
  static const Nvrtc *get(std::string &why);
};

/// The CUDA driver API functions pfc calls.
struct Driver {
  CUresult (*init)(unsigned flags);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int ordinal);
  CUresult (*deviceGetAttribute)(int *, int attribute, CUdevice);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*primaryCtxRelease)(CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*moduleLoadData)(CUmodule *, const void *image);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *name);
  CUresult (*launchKernel)(CUfunction, unsigned gridX, unsigned gridY,
                           unsigned gridZ, unsigned blockX, unsigned blockY,
                           unsigned blockZ, unsigned sharedBytes, CUstream,
                           void **params, void **extra);
  CUresult (*memAlloc)(CUdeviceptr *, size_t bytes);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memsetD32Async)(CUdeviceptr, unsigned value, size_t count,
                             CUstream);
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t bytes);
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t bytes);
  CUresult (*memcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t bytes, CUstream);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*getErrorName)(CUresult, const char **);

  /// libcuda.so.1 opened and initialised once per process, with at least one
  /// device; null otherwise, with the reason in `why`.
  static const Driver *get(std::string &why);

  /// "<call> failed: CUDA_ERROR_…" for a failed call, else empty.
  std::string check(CUresult result, const char *call) const;
};

} // namespace pfc::cuda

#endif // PFC_RUNTIME_CUDAAPI_H
