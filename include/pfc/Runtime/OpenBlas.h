//===- OpenBlas.h - OpenBLAS sgemm, loaded at run time ----------*- C++ -*-===//
//
// Dense layers and the benchmarks' dense baseline run OpenBLAS's sgemm. It is
// opened with dlopen, so that building pfc needs no OpenBLAS and only the
// commands that run a dense GEMM need it installed. Free of LLVM and MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_OPENBLAS_H
#define PFC_RUNTIME_OPENBLAS_H

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pfc {

/// OpenBLAS, opened at run time. Its best kernel for the machine is chosen
/// when the library loads, from the environment: OPENBLAS_CORETYPE=Haswell
/// halves sgemm on an AVX-512 machine (DESIGN.md, "Performance"), so load()
/// unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE first.
class OpenBlas {
public:
  /// Opens libopenblas.so.0 with `threads` threads, or sets `error` to say
  /// that it cannot and how to install it.
  static std::unique_ptr<OpenBlas> load(int64_t threads, std::string &error);
  ~OpenBlas();

  /// c [m, n] = alpha·op(a)·op(b) + beta·c, all row-major, where op(a) is
  /// [m, k] (a itself, or aᵀ when `transA`: a is then [k, m]) and op(b) is
  /// [k, n] likewise; lda, ldb and ldc are the stored row lengths.
  void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, int64_t lda, const float *b,
             int64_t ldb, float beta, float *c, int64_t ldc) const;

  /// y [tokens, out] = x [tokens, in] · w [out, in]ᵀ, row-major.
  void denseForward(const float *x, const float *w, float *y, int64_t tokens,
                    int64_t in, int64_t out) const;

  /// The kernel OpenBLAS chose ("SkylakeX", "Haswell", ...).
  std::string coreName() const;
  int64_t threads() const;
  /// The variables load() removed, as NAME=value.
  const std::vector<std::string> &unsetVariables() const { return unset; }
  /// Set when OpenBLAS was in the process before load() (LD_PRELOAD, a
  /// linked library, an earlier load()): it had read the environment
  /// already, which load() then leaves alone.
  bool loadedEarlier() const { return wasLoaded; }

private:
  OpenBlas() = default;
  struct Functions;
  void *handle = nullptr;
  std::unique_ptr<Functions> functions;
  std::vector<std::string> unset;
  bool wasLoaded = false;
  /// The threads load() set, which small products leave for a moment.
  int64_t threadCount = 1;
  mutable std::mutex smallProducts;
};

} // namespace pfc

#endif // PFC_RUNTIME_OPENBLAS_H
