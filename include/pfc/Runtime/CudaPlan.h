//===- CudaPlan.h - Running a layer's CUDA kernels by plan -----*- C++ -*-===//
//
// The runtime half of the GPU back end: the launch plan pfc's CUDA target
// writes (pfc/Runtime/LaunchPlan.h, `<sym>.plan.json`), resolved for one call
// into launches with their grids and raw parameters, and run through the
// driver API on the caller's device buffers and stream. Resolving needs no
// GPU (it is what the tests check); running does.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_CUDAPLAN_H
#define PFC_RUNTIME_CUDAPLAN_H

#include "pfc/Runtime/CudaApi.h"
#include "pfc/Runtime/LaunchPlan.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pfc::cuda {

/// One argument of a call: a device pointer (buffer arguments) or a value
/// (index arguments).
union CallArg {
  CUdeviceptr pointer;
  int64_t index;
};

/// A step of one call, resolved: every kernel parameter is 8 bytes (a
/// pointer or a long long).
struct Launch {
  bool zero = false;
  std::string kernel;
  unsigned grid[3] = {1, 1, 1};
  unsigned threads = 0;
  std::vector<uint64_t> params;
  /// Zero: the buffer and how many 32-bit words.
  CUdeviceptr buffer = 0;
  size_t words = 0;
};

/// The token counts of a call of `entry` (`callerTokens` where the plan
/// leaves it to the caller).
bool tokenCounts(const PlanEntry &entry, const std::vector<CallArg> &args,
                 int64_t callerTokens, std::vector<int64_t> &counts,
                 std::string &error);

/// The bytes of each temporary of a call with these token counts.
std::vector<size_t> tempBytes(const PlanEntry &entry,
                              const std::vector<int64_t> &counts);

/// The launches of a call, with `temps` the temporaries' device buffers.
/// Steps whose grid is empty (no tokens) are left out.
bool resolveCall(const PlanEntry &entry, const std::vector<CallArg> &args,
                 const std::vector<int64_t> &counts,
                 const std::vector<CUdeviceptr> &temps,
                 std::vector<Launch> &launches, std::string &error);

/// A compiled layer loaded on the current device: its module (a cubin, or
/// PTX the driver compiles) and its plan.
class CudaKernels {
public:
  /// Loads `image` into the primary context of device 0; null with the
  /// reason in `error` (no driver, no GPU, a bad image, a missing kernel).
  static std::unique_ptr<CudaKernels> load(const std::string &image,
                                           LaunchPlan plan, std::string &error);
  ~CudaKernels();

  /// Runs the entry `name` on `stream` with device buffers and index values
  /// in `args`, in the entry's argument order; waits for the stream before
  /// it frees its temporaries. False with the reason in `error`.
  bool run(std::string_view name, const std::vector<CallArg> &args,
           int64_t callerTokens, CUstream stream, std::string &error) const;

  /// "sm_XX" of device 0.
  static std::string deviceArchitecture(std::string &error);

private:
  CudaKernels() = default;
  const Driver *driver = nullptr;
  CUdevice device = 0;
  CUmodule module = nullptr;
  LaunchPlan plan;
  std::vector<std::pair<std::string, CUfunction>> functions;
};

} // namespace pfc::cuda

#endif // PFC_RUNTIME_CUDAPLAN_H
