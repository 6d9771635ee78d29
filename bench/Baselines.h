//===- Baselines.h - What `pfc bench` measures pfc against ------*- C++ -*-===//
//
// Two baselines for one layer shape: the dense GEMM (OpenBLAS sgemm, loaded
// with dlopen so that pfc needs OpenBLAS only for `pfc bench`), and a plain
// block-sparse loop, the kernel one would write without a compiler.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_BENCH_BASELINES_H
#define PFC_BENCH_BASELINES_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pfc {

/// OpenBLAS, opened at run time. Its best kernel for the machine is chosen
/// when the library loads, from the environment: OPENBLAS_CORETYPE=Haswell
/// halves sgemm on an AVX-512 machine (DESIGN.md, "Performance"), so load()
/// unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE first.
class OpenBlas {
public:
  /// Opens libopenblas.so.0 with `threads` threads, or sets `error`.
  static std::unique_ptr<OpenBlas> load(int64_t threads, std::string &error);
  ~OpenBlas();

  /// y [tokens, out] = x [tokens, in] · w [out, in]ᵀ, row-major.
  void denseForward(const float *x, const float *w, float *y, int64_t tokens,
                    int64_t in, int64_t out) const;

  /// The kernel OpenBLAS chose ("SkylakeX", "Haswell", ...).
  std::string coreName() const;
  int64_t threads() const;
  /// The variables load() removed, as NAME=value.
  const std::vector<std::string> &unsetVariables() const { return unset; }
  /// Set when OpenBLAS was in the process before load() (LD_PRELOAD, a
  /// linked library): it had read the environment already, which load() then
  /// leaves alone.
  bool loadedEarlier() const { return wasLoaded; }

private:
  OpenBlas() = default;
  struct Functions;
  void *handle = nullptr;
  std::unique_ptr<Functions> functions;
  std::vector<std::string> unset;
  bool wasLoaded = false;
};

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
