//===- Baselines.h - What `pfc bench` measures pfc against ------*- C++ -*-===//
//
// Two baselines for one layer shape: the dense GEMM (every dense library
// found, MKL and OpenBLAS, from the runtime's loader, pfc/Runtime/Blas.h; E
// and speed-ups count against the fastest), and a plain block-sparse loop,
// the kernel one would write without a compiler (BsrLoop.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef PFC_BENCH_BASELINES_H
#define PFC_BENCH_BASELINES_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Runtime/Blas.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <vector>

namespace pfc {

/// Every dense library to compare with, on `threads` threads; warns on
/// stderr about each one that runs a generic kernel.
BlasLibraries loadDenseBaselines(int64_t threads);

/// The libraries found, for a report's header: "MKL avx512, OpenBLAS
/// SkylakeX", each generic kernel marked, then those not found.
std::string describe(const BlasLibraries &dense);

/// The layer as a plain loop over the BSR index arrays: for each block-row,
/// each token, each nonzero block of the row (rowStart/colIndex), b×b
/// multiply-adds; the low-rank term and bias computed plainly first. Blocks
/// and U are transposed once, at construction, so that the inner loops run
/// over contiguous memory and vectorize; the block size is a template
/// argument. Compiled with -march=native.
class BsrLoopLayer {
public:
  BsrLoopLayer(const LayerSpec &spec, const BlockMask &mask,
               const LayerParams &params);

  /// y [tokens, out] = the layer applied to x [tokens, in], the tokens split
  /// evenly over `threads` std::threads started for this call (1: the
  /// calling thread only).
  void forward(const float *x, int64_t tokens, float *y, int64_t threads) const;

private:
  /// Tokens [t0, t1) of x, into the same rows of y.
  void forwardTokens(const float *x, float *y, int64_t t0, int64_t t1) const;

  LayerSpec spec;
  BlockMask mask;
  std::vector<float> blocksT; ///< [nnz, b (column j), b (row i)]
  std::vector<float> uT;      ///< [r, out]
  std::vector<float> v;       ///< [in, r]
  std::vector<float> gateWeight, bias;
  float gamma = 0.5f, gateBias = 0.0f;
};

} // namespace pfc

#endif // PFC_BENCH_BASELINES_H
