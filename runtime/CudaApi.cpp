//===- CudaApi.cpp - NVRTC and the CUDA driver, opened with dlopen --------===//
#include "pfc/Runtime/CudaApi.h"

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <vector>

namespace pfc::cuda {

namespace {

/// Opens the first of `names` that loads; the last dlerror otherwise.
void *openFirst(const std::vector<std::string> &names, std::string &why) {
  for (const std::string &name : names)
    if (void *handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL))
      return handle;
  const char *error = dlerror();
  why = error ? error : "not found";
  return nullptr;
}

/// Looks up every symbol of a table; false with the missing one in `why`.
struct Binder {
  void *handle;
  std::string &why;
  template <typename Fn> bool operator()(Fn &slot, const char *symbol) {
    slot = reinterpret_cast<Fn>(dlsym(handle, symbol));
    if (!slot)
      why = std::string("missing symbol ") + symbol;
    return slot != nullptr;
  }
};

} // namespace

const Nvrtc *Nvrtc::get(std::string &why) {
  static Nvrtc table;
  static std::string failure;
  static bool loaded = [] {
    std::vector<std::string> names;
    if (const char *path = std::getenv("PFC_NVRTC_LIBRARY")) {
      names.push_back(path); // that one only: tests choose "none" so
    } else {
      names = {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"};
      for (const char *home :
           {std::getenv("CUDA_HOME"), std::getenv("CUDA_PATH")})
        if (home)
          names.push_back(std::string(home) + "/lib64/libnvrtc.so");
      names.push_back("/usr/local/cuda/lib64/libnvrtc.so");
    }
    void *handle = openFirst(names, failure);
    if (!handle) {
      failure = "NVRTC is not available (" + failure + ")";
      return false;
    }
    Binder bind{handle, failure};
    return bind(table.version, "nvrtcVersion") &&
           bind(table.createProgram, "nvrtcCreateProgram") &&
           bind(table.compileProgram, "nvrtcCompileProgram") &&
           bind(table.destroyProgram, "nvrtcDestroyProgram") &&
           bind(table.getProgramLogSize, "nvrtcGetProgramLogSize") &&
           bind(table.getProgramLog, "nvrtcGetProgramLog") &&
           bind(table.getPTXSize, "nvrtcGetPTXSize") &&
           bind(table.getPTX, "nvrtcGetPTX") &&
           bind(table.getCUBINSize, "nvrtcGetCUBINSize") &&
           bind(table.getCUBIN, "nvrtcGetCUBIN") &&
           bind(table.getErrorString, "nvrtcGetErrorString");
  }();
  if (!loaded)
    why = failure;
  return loaded ? &table : nullptr;
}

const Driver *Driver::get(std::string &why) {
  static Driver table;
  static std::string failure;
  static bool loaded = [] {
    void *handle = openFirst({"libcuda.so.1", "libcuda.so"}, failure);
    if (!handle) {
      failure = "no CUDA driver on this machine (" + failure + ")";
      return false;
    }
    Binder bind{handle, failure};
    bool bound =
        bind(table.init, "cuInit") &&
        bind(table.deviceGetCount, "cuDeviceGetCount") &&
        bind(table.deviceGet, "cuDeviceGet") &&
        bind(table.deviceGetAttribute, "cuDeviceGetAttribute") &&
        bind(table.primaryCtxRetain, "cuDevicePrimaryCtxRetain") &&
        bind(table.primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2") &&
        bind(table.ctxSetCurrent, "cuCtxSetCurrent") &&
        bind(table.moduleLoadData, "cuModuleLoadData") &&
        bind(table.moduleUnload, "cuModuleUnload") &&
        bind(table.moduleGetFunction, "cuModuleGetFunction") &&
        bind(table.launchKernel, "cuLaunchKernel") &&
        bind(table.memAlloc, "cuMemAlloc_v2") &&
        bind(table.memFree, "cuMemFree_v2") &&
        bind(table.memsetD32Async, "cuMemsetD32Async") &&
        bind(table.memcpyHtoD, "cuMemcpyHtoD_v2") &&
        bind(table.memcpyDtoH, "cuMemcpyDtoH_v2") &&
        bind(table.memcpyDtoDAsync, "cuMemcpyDtoDAsync_v2") &&
        bind(table.streamSynchronize, "cuStreamSynchronize") &&
        bind(table.getErrorName, "cuGetErrorName");
    if (!bound)
      return false;
    int devices = 0;
    if (table.init(0) != 0 || table.deviceGetCount(&devices) != 0 ||
        devices == 0) {
      failure = "the CUDA driver found no GPU";
      return false;
    }
    return true;
  }();
  if (!loaded)
    why = failure;
  return loaded ? &table : nullptr;
}

std::string Driver::check(CUresult result, const char *call) const {
  if (result == 0)
    return "";
  const char *name = nullptr;
  if (getErrorName(result, &name) != 0 || !name)
    name = "an unknown error";
  return std::string(call) + " failed: " + name + " (" +
         std::to_string(result) + ")";
}

} // namespace pfc::cuda
