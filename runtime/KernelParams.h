//===- KernelParams.h - Parameters as the kernels take them -----*- C++ -*-===//
//
// The contract between LayerParams (pfc/Runtime/Params.h) and the entry points
// of every compiled layer, CPU (pfc/Runtime/Kernel.h) and CUDA (the same
// arguments, by plan): which sizes they must have, that the blocks' padding
// is zero, and how γ travels (one array: [γ] in scalar mode, the gate's
// weight followed by its bias in gate mode, nothing in fixed mode). Layer
// (CPU) and cuda::CudaLayer both go through it.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_KERNELPARAMS_H
#define PFC_RUNTIME_KERNELPARAMS_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Spec/Spec.h"

#include <string>
#include <vector>

namespace pfc {

/// Checks every array of `params` against the layer's sizes; false with
/// "parameter '<name>' has N elements (expected M)" in `error`.
bool checkParamSizes(const LayerSpec &spec, const BlockMask &mask,
                     const LayerParams &params, std::string &error);

/// Sets the blocks' padding (rows past out_features, columns past
/// in_features) to 0, so that no kernel sees what a file had there: the
/// forward skips it, but a scalar γ's gradient sums B ⊙ (dYᵀ·x) over whole
/// blocks, and 0·NaN is NaN.
void zeroBlockPadding(const LayerSpec &spec, const BlockMask &mask,
                      std::vector<float> &blocks);

/// γ's kernel argument for `params`.
std::vector<float> kernelGamma(const LayerSpec &spec,
                               const LayerParams &params);

/// How many floats γ's kernel argument (and its gradient) holds.
size_t kernelGammaSize(const LayerSpec &spec);

/// Puts γ's gradient, as the backward wrote it (kernelGammaSize floats),
/// into `grads` (gamma, or gateWeight and gateBias; the others zero/empty).
void setGammaGrads(const LayerSpec &spec, const float *kernelGrad,
                   LayerParams &grads);

} // namespace pfc

#endif // PFC_RUNTIME_KERNELPARAMS_H
