//===- Layer.h - A compiled Pixelfly layer, ready to run --------*- C++ -*-===//
//
// The runtime side of a layer: its kernel's entry points, its parameters in
// the kernel layout, and the threads that run it. Free of LLVM and MLIR: the
// kernel may come from the JIT (pfc/Target/Jit.h) or from an AOT object.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_LAYER_H
#define PFC_RUNTIME_LAYER_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Runtime/Kernel.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Spec/Spec.h"

#include <memory>
#include <string>
#include <vector>

namespace pfc {

/// A kernel's entry points and whatever keeps their code alive.
struct LayerKernel {
  pfc_pack_fn pack = nullptr;
  pfc_forward_fn forward = nullptr;
  pfc_backward_fn backward = nullptr;
  /// Token rows per register tile: below `4 × tile × threads` tokens the
  /// forward splits block-rows between threads instead of tokens; the
  /// backward splits tokens in whole tiles.
  int64_t tile = 8;
  /// Parts to split a call into (1: the calling thread only), run on the
  /// process's shared pool (ThreadPool::shared).
  int64_t threads = 1;
  std::shared_ptr<void> owner;
};

/// A Pixelfly layer with a compiled kernel.
class Layer {
public:
  Layer(LayerSpec spec, BlockMask mask, LayerKernel kernel);
  ~Layer();

  const LayerSpec &spec() const { return layerSpec; }
  const BlockMask &mask() const { return blockMask; }

  /// Checks the parameters' sizes against the layer and packs them.
  bool setParams(const LayerParams &params, std::string &error);

  /// Whether the layer has its backward kernel.
  bool hasBackward() const { return kernel.backward != nullptr; }

  /// The parameters set last.
  const LayerParams &params() const { return current; }

  /// y [tokens, out] = the layer applied to x [tokens, in]. Needs setParams.
  void forward(const float *x, int64_t tokens, float *y) const;

  /// Given x [tokens, in] and dy [tokens, out] = d(loss)/dy: dx [tokens, in]
  /// = d(loss)/dx and `grads` = d(loss)/d(each parameter), summed over the
  /// tokens, in LayerParams' layout (gamma: d/dγ; gateWeight, gateBias: the
  /// gate's; a part the layer lacks stays empty or zero). `grads` is
  /// resized as needed and overwritten (pass the same `grads` every step:
  /// its arrays are reused). Calls on one layer run one at a time. Needs
  /// setParams and the backward kernel (hasBackward; else it aborts).
  void backward(const float *x, const float *dy, int64_t tokens, float *dx,
                LayerParams &grads) const;

private:
  LayerSpec layerSpec;
  BlockMask blockMask;
  LayerKernel kernel;
  LayerParams current;
  std::vector<float> packedBlocks, packedU, gamma;
  struct BackwardScratch;
  std::unique_ptr<BackwardScratch> scratch;
};

} // namespace pfc

#endif // PFC_RUNTIME_LAYER_H
