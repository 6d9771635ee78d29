//===- CudaLayer.h - A layer compiled for CUDA, ready to run ----*- C++ -*-===//
//
// The GPU counterpart of Layer (pfc/Runtime/Layer.h): the kernels `pfc
// compile --target cuda` wrote (a cubin or PTX with its launch plan, loaded
// through pfc/Runtime/CudaPlan.h), the parameters on the device in the
// kernels' layout, and forward and backward on host arrays (f32, converted
// to and from the layer's data type) or on the caller's device buffers.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_CUDALAYER_H
#define PFC_RUNTIME_CUDALAYER_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Runtime/CompiledLayer.h"
#include "pfc/Runtime/CudaPlan.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Spec/Spec.h"

#include <memory>
#include <string>
#include <vector>

namespace pfc::cuda {

/// Device memory, freed with the object.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  ~DeviceBuffer();

  /// `bytes` (at least 4, so that a placeholder has an address); false with
  /// the reason in `error`.
  bool allocate(const Driver &driver, size_t bytes, std::string &error);
  CUdeviceptr get() const { return pointer; }
  size_t size() const { return bytes; }

private:
  const Driver *driver = nullptr;
  CUdeviceptr pointer = 0;
  size_t bytes = 0;
};

/// The names of a compiled layer's three entry points.
struct CudaEntries {
  std::string pack, forward, backward;
};

class CudaLayer {
public:
  /// Loads `image` (a cubin or PTX) with its plan on device 0; null with the
  /// reason in `error`. Starts without parameters.
  static std::unique_ptr<CudaLayer> load(LayerSpec spec,
                                         const std::string &image,
                                         LaunchPlan plan, CudaEntries entries,
                                         std::string &error);
  ~CudaLayer();

  const LayerSpec &spec() const { return layerSpec; }
  const BlockMask &mask() const { return blockMask; }
  bool hasBackward() const;

  /// Checks the sizes, copies the parameters to the device (the blocks, U
  /// and V in the layer's data type) and packs them.
  bool setParams(const LayerParams &params, std::string &error);

  /// As Layer::forward and Layer::backward, on host arrays.
  bool forward(const float *x, int64_t tokens, float *y,
               std::string &error) const;
  bool backward(const float *x, const float *dy, int64_t tokens, float *dx,
                LayerParams &grads, std::string &error) const;

  /// On device buffers: x, y, dy and dx in the layer's data type, row-major;
  /// `grads` one f32 buffer per tensor in paramInfos' order. The call is
  /// queued on `stream` and waited for.
  bool forwardDevice(CUdeviceptr x, int64_t tokens, CUdeviceptr y,
                     CUstream stream, std::string &error) const;
  bool backwardDevice(CUdeviceptr x, CUdeviceptr dy, int64_t tokens,
                      CUdeviceptr dx, const std::vector<CUdeviceptr> &grads,
                      CUstream stream, std::string &error) const;

private:
  CudaLayer(LayerSpec spec, std::unique_ptr<CudaKernels> kernels,
            CudaEntries entries);
  /// Kernel-layout gradients on the device: where backwardDevice's kernel
  /// writes (the caller's buffers, or scratch for what it lacks).
  struct GradBuffers;
  bool runBackward(CUdeviceptr x, CUdeviceptr dy, int64_t tokens,
                   CUdeviceptr dx, const GradBuffers &grads, CUstream stream,
                   std::string &error) const;

  LayerSpec layerSpec;
  BlockMask blockMask;
  std::vector<ParamInfo> infos;
  std::unique_ptr<CudaKernels> kernels;
  CudaEntries entries;
  const Driver *driver = nullptr;
  bool hasParams = false;
  /// The parameters: blocks, U, V in the data type; γ's array and the bias
  /// in f32; the packed blocks and U the forward reads.
  DeviceBuffer blocks, u, v, gamma, bias, packedBlocks, packedU;
};

/// Of the architectures a layer was compiled for ({"sm_80", "sm_90"}, each
/// with a cubin and PTX), the image for a GPU of `device` ("sm_86"): a
/// cubin of the same major version and no newer, else the newest PTX no
/// newer than the GPU (the driver compiles it). Empty with the reason in
/// `error` when none runs there.
std::string
chooseCudaImage(const std::vector<CompiledManifest::CudaImage> &images,
                const std::string &device, std::string &error);

/// Loads the CUDA layer `pfc compile --target cuda` wrote into `dir` (its
/// manifest read already) on device 0, with the image chooseCudaImage picks.
/// Null with `<path>: error: <what>` in `error` (no GPU: "a layer compiled
/// for CUDA, and no GPU to run it: <why>").
std::unique_ptr<CudaLayer> loadCompiledCudaLayer(const std::string &dir,
                                                 CompiledManifest manifest,
                                                 std::string &error);

} // namespace pfc::cuda

#endif // PFC_RUNTIME_CUDALAYER_H
