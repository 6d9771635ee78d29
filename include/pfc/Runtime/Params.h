//===- Params.h - A Pixelfly layer's parameters -----------------*- C++ -*-===//
//
// The parameters of one layer in their user-facing layout (the names and
// shapes of `pfc init`'s safetensors file), the reference initialisation, and
// the checks that a set of tensors fits a layer. Free of LLVM and MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_PARAMS_H
#define PFC_RUNTIME_PARAMS_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pfc {

/// y = γ·(x·Bᵀ) + (1−γ)·((x·V)·Uᵀ) + bias, all f32, row-major.
/// Tensors a layer does not have (no rank, no bias, no gate) are empty.
struct LayerParams {
  std::vector<float> blocks;     ///< `blocks` [nnz_blocks, b, b], BSR order
  std::vector<float> u;          ///< `U` [out, r]
  std::vector<float> v;          ///< `V` [in, r]
  float gamma = 0.5f;            ///< `gamma` (scalar and fixed modes)
  std::vector<float> gateWeight; ///< `gate.weight` [in] (gate mode)
  float gateBias = 0.0f;         ///< `gate.bias` (gate mode)
  std::vector<float> bias;       ///< `bias` [out]
};

/// One named tensor of a layer: its safetensors name and shape ({} = scalar).
struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
};

/// The tensors `spec` has, in a fixed order: blocks, U, V, gamma, gate.weight,
/// gate.bias, bias (those the layer has). Error messages list them in it.
std::vector<ParamInfo> paramInfos(const LayerSpec &spec, const BlockMask &mask);

/// The reference initialisation (fly's SparseLRLinear): B from a dense
/// kaiming_uniform(a=√5) draw over the padded weight, each block-row scaled by
/// sqrt(block_cols / nnz_in_row); U and V Kaiming; bias uniform ±1/√in;
/// gamma = spec.gammaInit; gate weight Kaiming, gate bias logit(1 − gammaInit)
/// (0 for the default 0.5), so that the gate starts at gammaInit. Padded rows
/// and columns of the blocks are zero. The same seed gives the same values on
/// every platform.
LayerParams initParams(const LayerSpec &spec, const BlockMask &mask,
                       uint64_t seed);

/// The tensors of `params` under paramInfos' names and shapes. The vectors of
/// `params` must have those shapes' sizes (a writer rejects a tensor whose
/// data does not fit its shape).
TensorMap tensorsFromParams(const LayerSpec &spec, const BlockMask &mask,
                            const LayerParams &params);

/// `params` from one array per tensor in paramInfos' order, each holding its
/// tensor's elements (the C API's and the Python package's layout). A gate
/// layer's `gamma` is the spec's start value, as paramsFromTensors sets it.
LayerParams paramsFromArrays(const LayerSpec &spec, const BlockMask &mask,
                             const float *const *arrays);

/// Copies each tensor of `params` (its vectors of their shapes' sizes) into
/// one array per tensor in paramInfos' order.
void paramsToArrays(const LayerSpec &spec, const BlockMask &mask,
                    const LayerParams &params, float *const *arrays);

/// Fills `params` from `tensors`, which must hold exactly paramInfos' tensors
/// with exactly their shapes. On failure sets `error` to `<what> (expected
/// <what>)`, without a location: the caller prefixes the file it read.
bool paramsFromTensors(const LayerSpec &spec, const BlockMask &mask,
                       const TensorMap &tensors, LayerParams &params,
                       std::string &error);

} // namespace pfc

#endif // PFC_RUNTIME_PARAMS_H
