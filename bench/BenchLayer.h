//===- BenchLayer.h - A layer compiled and initialised for timing -*- C++
//-*-===//
//
// What `pfc bench` and its sweep time: a spec JIT-compiled with the reference
// initialisation, and the block-sparse part of a spec on its own, whose time
// defines the efficiency E (DESIGN.md, "Performance: how it is measured").
//
//===----------------------------------------------------------------------===//
#ifndef PFC_BENCH_BENCHLAYER_H
#define PFC_BENCH_BENCHLAYER_H

#include "pfc/Runtime/Layer.h"
#include "pfc/Spec/Spec.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace pfc {

/// A compiled layer with its parameters set (initParams, seed 0).
struct BenchLayer {
  std::unique_ptr<Layer> layer;
  LayerParams params;
  double compileSeconds = 0.0;
};

/// Compiles `spec` with `options` and sets its parameters.
llvm::Expected<BenchLayer> compileBenchLayer(const LayerSpec &spec,
                                             const CompileOptions &options);

/// `spec` without its low-rank term and bias (γ kept): y = γ·(x·Bᵀ), the
/// work that E counts.
LayerSpec blockSparsePart(const LayerSpec &spec);

/// Whether `spec` is its own block-sparse part (rank 0, no bias).
inline bool isBlockSparseOnly(const LayerSpec &spec) {
  return spec.rank == 0 && !spec.bias;
}

} // namespace pfc

#endif // PFC_BENCH_BENCHLAYER_H
