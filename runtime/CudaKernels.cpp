//===- CudaKernels.cpp - A layer's kernels loaded and run on a GPU --------===//
#include "pfc/Runtime/CudaPlan.h"

namespace pfc::cuda {

namespace {

/// Sets the primary context of device 0 current; the device, or null.
const Driver *currentDevice(CUdevice &device, std::string &error) {
  const Driver *driver = Driver::get(error);
  if (!driver)
    return nullptr;
  CUcontext context = nullptr;
  error = driver->check(driver->deviceGet(&device, 0), "cuDeviceGet");
  if (error.empty())
    error = driver->check(driver->primaryCtxRetain(&context, device),
                          "cuDevicePrimaryCtxRetain");
  if (!error.empty())
    return nullptr;
  error = driver->check(driver->ctxSetCurrent(context), "cuCtxSetCurrent");
  if (error.empty())
    return driver;
  driver->primaryCtxRelease(device);
  return nullptr;
}

} // namespace

std::string CudaKernels::deviceArchitecture(std::string &error) {
  CUdevice device = 0;
  const Driver *driver = currentDevice(device, error);
  if (!driver)
    return "";
  int major = 0, minor = 0;
  error = driver->check(
      driver->deviceGetAttribute(&major, kComputeCapabilityMajor, device),
      "cuDeviceGetAttribute");
  if (error.empty())
    error = driver->check(
        driver->deviceGetAttribute(&minor, kComputeCapabilityMinor, device),
        "cuDeviceGetAttribute");
  return error.empty() ? "sm_" + std::to_string(major * 10 + minor) : "";
}

std::unique_ptr<CudaKernels> CudaKernels::load(const std::string &image,
                                               LaunchPlan plan,
                                               std::string &error) {
  std::unique_ptr<CudaKernels> kernels(new CudaKernels());
  kernels->driver = currentDevice(kernels->device, error);
  if (!kernels->driver)
    return nullptr;
  const Driver &d = *kernels->driver;
  // PTX must end with its NUL; a cubin is read by its own header.
  std::string data = image + '\0';
  error = d.check(d.moduleLoadData(&kernels->module, data.data()),
                  "cuModuleLoadData");
  if (!error.empty())
    return nullptr;
  for (const PlanEntry &entry : plan.entries)
    for (const PlanStep &step : entry.steps) {
      if (step.kind == PlanStep::Kind::Zero)
        continue;
      CUfunction function = nullptr;
      error = d.check(
          d.moduleGetFunction(&function, kernels->module, step.kernel.c_str()),
          ("cuModuleGetFunction(" + step.kernel + ")").c_str());
      if (!error.empty())
        return nullptr;
      kernels->functions.push_back({step.kernel, function});
    }
  kernels->plan = std::move(plan);
  return kernels;
}

CudaKernels::~CudaKernels() {
  if (module)
    driver->moduleUnload(module);
  if (driver)
    driver->primaryCtxRelease(device);
}

bool CudaKernels::run(std::string_view name, const std::vector<CallArg> &args,
                      int64_t callerTokens, CUstream stream,
                      std::string &error) const {
  const PlanEntry *entry = plan.find(name);
  if (!entry) {
    error = "no entry '" + std::string(name) + "' in the plan";
    return false;
  }
  const Driver &d = *driver;
  std::vector<int64_t> counts;
  if (!tokenCounts(*entry, args, callerTokens, counts, error))
    return false;
  std::vector<CUdeviceptr> temps;
  auto release = [&] {
    for (CUdeviceptr temp : temps)
      if (temp)
        d.memFree(temp);
  };
  for (size_t bytes : tempBytes(*entry, counts)) {
    temps.push_back(0);
    if (bytes)
      error = d.check(d.memAlloc(&temps.back(), bytes), "cuMemAlloc");
    if (!error.empty())
      return release(), false;
  }
  std::vector<Launch> launches;
  bool ok = resolveCall(*entry, args, counts, temps, launches, error);
  for (size_t i = 0; ok && i < launches.size(); ++i) {
    Launch &launch = launches[i];
    if (launch.zero) {
      error = d.check(d.memsetD32Async(launch.buffer, 0, launch.words, stream),
                      "cuMemsetD32Async");
    } else {
      CUfunction function = nullptr;
      for (const auto &[kernel, f] : functions)
        if (kernel == launch.kernel)
          function = f;
      std::vector<void *> params;
      for (uint64_t &value : launch.params)
        params.push_back(&value);
      error = d.check(d.launchKernel(function, launch.grid[0], launch.grid[1],
                                     launch.grid[2], launch.threads, 1, 1, 0,
                                     stream, params.data(), nullptr),
                      ("cuLaunchKernel(" + launch.kernel + ")").c_str());
    }
    ok = error.empty();
  }
  // Temporaries live until the kernels that use them are done.
  std::string synced =
      d.check(d.streamSynchronize(stream), "cuStreamSynchronize");
  if (ok && !synced.empty()) {
    error = synced;
    ok = false;
  }
  release();
  return ok;
}

} // namespace pfc::cuda
