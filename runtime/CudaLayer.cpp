//===- CudaLayer.cpp - A layer compiled for CUDA, ready to run ------------===//
#include "pfc/Runtime/CudaLayer.h"
#include "pfc/Runtime/Convert.h"
#include "pfc/Runtime/TensorFile.h"

#include "KernelParams.h"

#include <algorithm>
#include <cstdlib>

namespace pfc::cuda {

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  std::swap(driver, other.driver);
  std::swap(pointer, other.pointer);
  std::swap(bytes, other.bytes);
  return *this;
}

DeviceBuffer::~DeviceBuffer() {
  if (pointer)
    driver->memFree(pointer);
}

bool DeviceBuffer::allocate(const Driver &d, size_t size, std::string &error) {
  *this = DeviceBuffer();
  driver = &d;
  bytes = std::max<size_t>(size, 4);
  error = d.check(d.memAlloc(&pointer, bytes), "cuMemAlloc");
  if (error.empty())
    return true;
  pointer = 0;
  return false;
}

namespace {

CallArg pointer(CUdeviceptr value) {
  CallArg arg;
  arg.pointer = value;
  return arg;
}

CallArg index(int64_t value) {
  CallArg arg;
  arg.index = value;
  return arg;
}

/// `count` floats into a new buffer of `dtype` elements.
bool upload(const Driver &d, const float *values, size_t count, DType dtype,
            DeviceBuffer &buffer, std::string &error) {
  std::vector<char> bytes(count * elementBytes(dtype));
  if (count)
    convertFromF32(values, count, dtype, bytes.data());
  if (!buffer.allocate(d, bytes.size(), error))
    return false;
  if (count)
    error = d.check(d.memcpyHtoD(buffer.get(), bytes.data(), bytes.size()),
                    "cuMemcpyHtoD");
  return error.empty();
}

/// `count` elements of `dtype` at `from` as floats.
bool download(const Driver &d, CUdeviceptr from, size_t count, DType dtype,
              float *to, std::string &error) {
  std::vector<char> bytes(count * elementBytes(dtype));
  if (count)
    error =
        d.check(d.memcpyDtoH(bytes.data(), from, bytes.size()), "cuMemcpyDtoH");
  if (!error.empty())
    return false;
  if (count)
    convertToF32(bytes.data(), count, dtype, to);
  return true;
}

} // namespace

struct CudaLayer::GradBuffers {
  CUdeviceptr blocks = 0, u = 0, v = 0, gamma = 0, bias = 0;
};

CudaLayer::CudaLayer(LayerSpec spec, std::unique_ptr<CudaKernels> kernels,
                     CudaEntries entries)
    : layerSpec(std::move(spec)), blockMask(layerSpec.blockMask()),
      infos(paramInfos(layerSpec, blockMask)), kernels(std::move(kernels)),
      entries(std::move(entries)) {}

CudaLayer::~CudaLayer() = default;

std::unique_ptr<CudaLayer> CudaLayer::load(LayerSpec spec,
                                           const std::string &image,
                                           LaunchPlan plan, CudaEntries entries,
                                           std::string &error) {
  for (const std::string *name : {&entries.pack, &entries.forward})
    if (!plan.find(*name)) {
      error = "the launch plan has no entry '" + *name + "'";
      return nullptr;
    }
  if (!plan.find(entries.backward))
    entries.backward.clear();
  std::unique_ptr<CudaKernels> kernels =
      CudaKernels::load(image, std::move(plan), error);
  if (!kernels)
    return nullptr;
  std::unique_ptr<CudaLayer> layer(
      new CudaLayer(std::move(spec), std::move(kernels), std::move(entries)));
  layer->driver = Driver::get(error);
  return layer;
}

bool CudaLayer::hasBackward() const { return !entries.backward.empty(); }

bool CudaLayer::setParams(const LayerParams &params, std::string &error) {
  if (!checkParamSizes(layerSpec, blockMask, params, error))
    return false;
  std::vector<float> values = params.blocks;
  zeroBlockPadding(layerSpec, blockMask, values);
  std::vector<float> gammaArray = kernelGamma(layerSpec, params);
  const DType data = layerSpec.dtype;
  const size_t dataBytes = elementBytes(data);
  const Driver &d = *driver;
  hasParams =
      upload(d, values.data(), values.size(), data, blocks, error) &&
      upload(d, params.u.data(), params.u.size(), data, u, error) &&
      upload(d, params.v.data(), params.v.size(), data, v, error) &&
      upload(d, gammaArray.data(), gammaArray.size(), DType::F32, gamma,
             error) &&
      upload(d, params.bias.data(), params.bias.size(), DType::F32, bias,
             error) &&
      packedBlocks.allocate(d, values.size() * dataBytes, error) &&
      packedU.allocate(d, layerSpec.rank * layerSpec.paddedOut() * dataBytes,
                       error) &&
      kernels->run(entries.pack,
                   {pointer(blocks.get()), pointer(u.get()),
                    pointer(packedBlocks.get()), pointer(packedU.get())},
                   0, nullptr, error);
  return hasParams;
}

bool CudaLayer::forwardDevice(CUdeviceptr x, int64_t tokens, CUdeviceptr y,
                              CUstream stream, std::string &error) const {
  if (!hasParams) {
    error = layerSpec.name + ": no parameters were set";
    return false;
  }
  if (tokens <= 0)
    return true;
  return kernels->run(entries.forward,
                      {pointer(x), pointer(packedBlocks.get()),
                       pointer(packedU.get()), pointer(v.get()),
                       pointer(gamma.get()), pointer(bias.get()), pointer(y),
                       index(tokens), index(0), index(tokens), index(0),
                       index(blockMask.blockRows)},
                      tokens, stream, error);
}

bool CudaLayer::forward(const float *x, int64_t tokens, float *y,
                        std::string &error) const {
  if (tokens <= 0)
    return true;
  const DType data = layerSpec.dtype;
  const size_t out = tokens * layerSpec.outFeatures;
  DeviceBuffer dx, dy;
  return upload(*driver, x, tokens * layerSpec.inFeatures, data, dx, error) &&
         dy.allocate(*driver, out * elementBytes(data), error) &&
         forwardDevice(dx.get(), tokens, dy.get(), nullptr, error) &&
         download(*driver, dy.get(), out, data, y, error);
}

bool CudaLayer::runBackward(CUdeviceptr x, CUdeviceptr dy, int64_t tokens,
                            CUdeviceptr dx, const GradBuffers &grads,
                            CUstream stream, std::string &error) const {
  if (!hasParams) {
    error = layerSpec.name + ": no parameters were set";
    return false;
  }
  if (!hasBackward()) {
    error = layerSpec.name + ": compiled without a backward";
    return false;
  }
  tokens = std::max<int64_t>(tokens, 0);
  return kernels->run(entries.backward,
                      {pointer(x), pointer(dy), pointer(blocks.get()),
                       pointer(u.get()), pointer(v.get()), pointer(gamma.get()),
                       pointer(dx), pointer(grads.blocks), pointer(grads.u),
                       pointer(grads.v), pointer(grads.gamma),
                       pointer(grads.bias), index(tokens), index(0),
                       index(tokens)},
                      tokens, stream, error);
}

bool CudaLayer::backwardDevice(CUdeviceptr x, CUdeviceptr dy, int64_t tokens,
                               CUdeviceptr dx,
                               const std::vector<CUdeviceptr> &grads,
                               CUstream stream, std::string &error) const {
  if (grads.size() != infos.size()) {
    error = layerSpec.name + ": " + std::to_string(grads.size()) +
            " gradient buffers for " + std::to_string(infos.size()) +
            " parameter tensors";
    return false;
  }
  // γ's gradient is one array for the kernel; the gate's weight and bias
  // are two tensors for the caller, copied out of scratch.
  DeviceBuffer gammaScratch;
  if (!gammaScratch.allocate(*driver, kernelGammaSize(layerSpec) * 4, error))
    return false;
  GradBuffers to;
  to.blocks = to.u = to.v = to.gamma = to.bias = gammaScratch.get();
  CUdeviceptr gateWeight = 0, gateBias = 0;
  for (size_t i = 0; i < infos.size(); ++i) {
    const std::string &name = infos[i].name;
    CUdeviceptr &slot = name == "blocks"        ? to.blocks
                        : name == "U"           ? to.u
                        : name == "V"           ? to.v
                        : name == "gamma"       ? to.gamma
                        : name == "gate.weight" ? gateWeight
                        : name == "gate.bias"   ? gateBias
                                                : to.bias;
    slot = grads[i];
  }
  if (!runBackward(x, dy, tokens, dx, to, stream, error))
    return false;
  if (layerSpec.gammaMode != GammaMode::Gate)
    return true;
  const Driver &d = *driver;
  const size_t weightBytes = 4 * layerSpec.inFeatures;
  error = d.check(
      d.memcpyDtoDAsync(gateWeight, gammaScratch.get(), weightBytes, stream),
      "cuMemcpyDtoDAsync");
  if (error.empty())
    error = d.check(d.memcpyDtoDAsync(
                        gateBias, gammaScratch.get() + weightBytes, 4, stream),
                    "cuMemcpyDtoDAsync");
  if (error.empty())
    error = d.check(d.streamSynchronize(stream), "cuStreamSynchronize");
  return error.empty();
}

bool CudaLayer::backward(const float *x, const float *dy, int64_t tokens,
                         float *dx, LayerParams &grads,
                         std::string &error) const {
  tokens = std::max<int64_t>(tokens, 0);
  const LayerSpec &s = layerSpec;
  const DType data = s.dtype;
  const Driver &d = *driver;
  grads.blocks.resize(blockMask.nnzBlocks() * s.block * s.block);
  grads.u.resize(s.outFeatures * s.rank);
  grads.v.resize(s.inFeatures * s.rank);
  grads.bias.resize(s.bias ? s.outFeatures : 0);
  std::vector<float> gammaGrad(kernelGammaSize(s));
  DeviceBuffer deviceX, deviceDy, deviceDx, dBlocks, dU, dV, dGamma, dBias;
  const size_t inCount = tokens * s.inFeatures;
  bool ok = upload(d, x, inCount, data, deviceX, error) &&
            upload(d, dy, tokens * s.outFeatures, data, deviceDy, error) &&
            deviceDx.allocate(d, inCount * elementBytes(data), error) &&
            dBlocks.allocate(d, grads.blocks.size() * 4, error) &&
            dU.allocate(d, grads.u.size() * 4, error) &&
            dV.allocate(d, grads.v.size() * 4, error) &&
            dGamma.allocate(d, gammaGrad.size() * 4, error) &&
            dBias.allocate(d, grads.bias.size() * 4, error) &&
            runBackward(
                deviceX.get(), deviceDy.get(), tokens, deviceDx.get(),
                {dBlocks.get(), dU.get(), dV.get(), dGamma.get(), dBias.get()},
                nullptr, error) &&
            download(d, deviceDx.get(), inCount, data, dx, error);
  for (auto [from, to] :
       {std::pair{&dBlocks, &grads.blocks}, std::pair{&dU, &grads.u},
        std::pair{&dV, &grads.v}, std::pair{&dBias, &grads.bias}})
    ok = ok &&
         download(d, from->get(), to->size(), DType::F32, to->data(), error);
  ok = ok && download(d, dGamma.get(), gammaGrad.size(), DType::F32,
                      gammaGrad.data(), error);
  if (ok)
    setGammaGrads(s, gammaGrad.data(), grads);
  return ok;
}

std::string
chooseCudaImage(const std::vector<CompiledManifest::CudaImage> &images,
                const std::string &device, std::string &error) {
  auto number = [](const std::string &arch) {
    return arch.rfind("sm_", 0) == 0 ? std::atoi(arch.c_str() + 3) : -1;
  };
  const int gpu = number(device);
  const CompiledManifest::CudaImage *cubin = nullptr, *ptx = nullptr;
  for (const CompiledManifest::CudaImage &image : images) {
    int arch = number(image.arch);
    if (arch < 0 || arch > gpu)
      continue;
    if (!image.cubin.empty() && arch / 10 == gpu / 10 &&
        (!cubin || arch > number(cubin->arch)))
      cubin = &image;
    if (!image.ptx.empty() && (!ptx || arch > number(ptx->arch)))
      ptx = &image;
  }
  if (cubin)
    return cubin->cubin;
  if (ptx)
    return ptx->ptx;
  std::string list;
  for (const CompiledManifest::CudaImage &image : images)
    list += (list.empty() ? "" : ", ") + image.arch;
  error = "compiled for " +
          (list.empty() ? std::string("no architecture") : list) +
          ", none of which runs on this GPU (" + device + ")";
  return "";
}

std::unique_ptr<CudaLayer> loadCompiledCudaLayer(const std::string &dir,
                                                 CompiledManifest manifest,
                                                 std::string &error) {
  const std::string path = dir + "/manifest.json";
  if (manifest.target != "cuda") {
    error = path + ": error: a layer compiled for '" + manifest.target +
            "', not for CUDA";
    return nullptr;
  }
  if (manifest.images.empty()) {
    error =
        path + ": error: " +
        (manifest.note.empty() ? "no PTX or cubin was written" : manifest.note);
    return nullptr;
  }
  std::string why;
  std::string device = CudaKernels::deviceArchitecture(why);
  if (device.empty()) {
    error = path +
            ": error: a layer compiled for CUDA, and no GPU to run it: " + why;
    return nullptr;
  }
  std::string file = chooseCudaImage(manifest.images, device, why);
  if (file.empty()) {
    error = path + ": error: " + why;
    return nullptr;
  }
  std::string image, planText;
  LaunchPlan plan;
  const std::string planPath = dir + "/" + manifest.plan;
  if (!readFileBytes(dir + "/" + file, image, error) ||
      !readFileBytes(planPath, planText, error))
    return nullptr;
  if (!readLaunchPlan(planText, plan, why)) {
    error = planPath + ": error: " + why;
    return nullptr;
  }
  std::unique_ptr<CudaLayer> layer = CudaLayer::load(
      std::move(manifest.spec), image, std::move(plan),
      {manifest.pack, manifest.forward, manifest.backward}, why);
  if (!layer)
    error = dir + "/" + file + ": error: " + why;
  return layer;
}

} // namespace pfc::cuda
