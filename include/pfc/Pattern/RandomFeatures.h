//===- RandomFeatures.h - Performer's positive random features --*- C++ -*-===//
//
// The fixed matrix W of Pixelfly attention's low-rank part, drawn from the
// spec's seed. Free of LLVM and MLIR: the compiler, the runtime and the
// Python package draw the same W from the same spec.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_PATTERN_RANDOMFEATURES_H
#define PFC_PATTERN_RANDOMFEATURES_H

#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <vector>

namespace pfc {

/// The floor of the low-rank part of attention's denominator, max(·, ε).
inline constexpr double kAttentionEpsilon = 1e-6;

/// W [m/2, d] row-major for `spec` (empty when m = 0): blocks of d
/// orthonormal rows (Gram-Schmidt on Gaussian rows), each row then scaled by
/// the norm of an independent Gaussian d-vector, so that every row is
/// distributed as a Gaussian one while rows of a block stay orthogonal.
/// With x̃ = sqrt(τ)·x, φ(x) = m^(-1/2)·exp([W·x̃ ; −W·x̃] − ‖x̃‖²/2) and
/// E[φ(q)·φ(k)] = exp(τ q·k). The generator is splitmix64 with Box-Muller
/// normals: the same seed gives the same W on every machine.
std::vector<float> drawRandomFeatures(const AttentionSpec &spec);

} // namespace pfc

#endif // PFC_PATTERN_RANDOMFEATURES_H
