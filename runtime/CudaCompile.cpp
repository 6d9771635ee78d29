//===- CudaCompile.cpp - CUDA C++ to PTX or a cubin with NVRTC ------------===//
#include "pfc/Runtime/CudaCompile.h"
#include "pfc/Runtime/CudaApi.h"

#include <vector>

namespace pfc::cuda {

std::string nvrtcVersion() {
  std::string why;
  const Nvrtc *nvrtc = Nvrtc::get(why);
  int major = 0, minor = 0;
  if (!nvrtc || nvrtc->version(&major, &minor) != 0)
    return "";
  return "NVRTC " + std::to_string(major) + "." + std::to_string(minor);
}

bool compileCuda(const std::string &source, const std::string &arch,
                 CompiledCuda &result, std::string &error) {
  result.log.clear();
  const Nvrtc *nvrtc = Nvrtc::get(error);
  if (!nvrtc)
    return false;
  const bool cubin = arch.rfind("sm_", 0) == 0;
  if (!cubin && arch.rfind("compute_", 0) != 0) {
    error = "'" + arch + "' is neither sm_XX nor compute_XX";
    return false;
  }
  auto failed = [&](nvrtcResult code, const char *call) {
    if (code == 0)
      return false;
    error = std::string(call) + " failed: " + nvrtc->getErrorString(code);
    return true;
  };
  nvrtcProgram program = nullptr;
  if (failed(nvrtc->createProgram(&program, source.c_str(), "pfc.cu", 0,
                                  nullptr, nullptr),
             "nvrtcCreateProgram"))
    return false;
  std::string archOption = "--gpu-architecture=" + arch;
  std::vector<const char *> options = {archOption.c_str(), "-std=c++17"};
  nvrtcResult compiled = nvrtc->compileProgram(
      program, static_cast<int>(options.size()), options.data());
  size_t size = 0;
  if (nvrtc->getProgramLogSize(program, &size) == 0 && size > 1) {
    result.log.resize(size);
    nvrtc->getProgramLog(program, result.log.data());
    result.log.resize(size - 1); // the terminating NUL
  }
  bool ok = !failed(compiled, "nvrtcCompileProgram");
  if (!ok)
    error += ":\n" + result.log;
  if (ok) {
    auto sizeOf = cubin ? nvrtc->getCUBINSize : nvrtc->getPTXSize;
    auto get = cubin ? nvrtc->getCUBIN : nvrtc->getPTX;
    ok = !failed(sizeOf(program, &size), "nvrtcGetSize");
    if (ok) {
      result.image.resize(size);
      ok = !failed(get(program, result.image.data()), "nvrtcGet");
      // PTX comes with its terminating NUL.
      if (ok && !cubin && !result.image.empty() && result.image.back() == '\0')
        result.image.pop_back();
    }
  }
  nvrtc->destroyProgram(&program);
  return ok;
}

} // namespace pfc::cuda
