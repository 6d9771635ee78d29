//===- Modules.h - The kinds of module a net is made of ---------*- C++ -*-===//
#ifndef PFC_TRAIN_MODULES_H
#define PFC_TRAIN_MODULES_H

#include "pfc/Train/Net.h"

#include <memory>
#include <string>

namespace pfc {

/// nn.Linear on OpenBLAS: weight [out, in] Kaiming-uniform (a = √5), bias
/// uniform ±1/√in, both from `seed`.
std::unique_ptr<Module> makeDenseModule(const NetModule &spec, const Blas &blas,
                                        uint64_t seed);

/// A compiled Pixelfly layer with the reference initialisation from `seed`
/// (initParams). Fails only if the layer rejects its parameters.
std::unique_ptr<Module> makePixelflyModule(const NetModule &spec,
                                           std::unique_ptr<Layer> layer,
                                           uint64_t seed, std::string &error);

/// ReLU or GELU, elementwise, split over `threads`.
std::unique_ptr<Module> makeActivationModule(const NetModule &spec,
                                             int64_t threads);

} // namespace pfc

#endif // PFC_TRAIN_MODULES_H
