//===- Blas.h - Dense sgemm libraries, loaded at run time -------*- C++ -*-===//
//
// Dense layers and the benchmarks' dense baselines run a BLAS library's
// sgemm: OpenBLAS (Debian's libopenblas) and Intel's MKL (PyPI's `mkl`,
// which scripts/setup.sh installs into the project's virtual environment).
// Both are opened with dlopen, so that building pfc needs neither and only
// the commands that run a dense GEMM need one installed. Free of LLVM and
// MLIR.
//
// Each library is loaded with its best kernel for this CPU (HostCpu.h):
// OpenBLAS 0.3.21 does not recognise some AVX-512 CPUs and would fall back
// to its SSE3 "Prescott" kernels, 4-5x slower, so pfc picks its kernel
// (OPENBLAS_CORETYPE) from the CPU's instruction sets before it loads.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_BLAS_H
#define PFC_RUNTIME_BLAS_H

#include "pfc/Runtime/HostCpu.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pfc {

/// A dense library's sgemm on a fixed number of threads.
class Blas {
public:
  virtual ~Blas();

  /// "OpenBLAS" or "MKL".
  virtual const char *library() const = 0;
  /// The kernel it runs here: OpenBLAS's core ("SkylakeX", "Haswell",
  /// "Prescott"), MKL's code path ("avx512", "avx2", "def").
  const std::string &kernel() const { return kernelName; }
  /// library() and kernel(), e.g. "OpenBLAS SkylakeX".
  std::string name() const;
  /// The instruction set kernel() uses; below hostCpu().vectors it is a
  /// generic fallback, slower than this CPU allows.
  VectorLevel kernelLevel() const { return level; }
  bool genericKernel() const { return level < hostCpu().vectors; }
  int64_t threads() const { return threadCount; }
  /// How it was loaded, for reports (e.g. "OPENBLAS_CORETYPE=SkylakeX set
  /// by pfc (was Haswell)"); empty when there is nothing to say.
  const std::vector<std::string> &notes() const { return loadNotes; }

  /// c [m, n] = alpha·op(a)·op(b) + beta·c, all row-major, where op(a) is
  /// [m, k] (a itself, or aᵀ when `transA`: a is then [k, m]) and op(b) is
  /// [k, n] likewise; lda, ldb and ldc are the stored row lengths. A small
  /// product runs on the calling thread alone.
  void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, int64_t lda, const float *b,
             int64_t ldb, float beta, float *c, int64_t ldc) const;

  /// y [tokens, out] = x [tokens, in] · w [out, in]ᵀ, row-major.
  void denseForward(const float *x, const float *w, float *y, int64_t tokens,
                    int64_t in, int64_t out) const;

protected:
  /// cblas_sgemm's arguments, row-major, with cblas.h's values.
  struct Gemm {
    int transA, transB, m, n, k;
    float alpha;
    const float *a;
    int lda;
    const float *b;
    int ldb;
    float beta;
    float *c;
    int ldc;
  };
  /// Runs `gemm`, on the calling thread alone when `oneThread`: sets the
  /// library's threads around call(gemm).
  virtual void run(const Gemm &gemm, bool oneThread) const = 0;
  /// cblas_sgemm on `gemm`, with the library's current threads.
  void call(const Gemm &gemm) const;

  /// The library's cblas_sgemm, which its loader looks up.
  void (*cblasSgemm)(int order, int transA, int transB, int m, int n, int k,
                     float alpha, const float *a, int lda, const float *b,
                     int ldb, float beta, float *c, int ldc) = nullptr;

  std::string kernelName = "unknown";
  VectorLevel level = VectorLevel::Sse;
  int64_t threadCount = 1;
  std::vector<std::string> loadNotes;
};

/// Opens OpenBLAS (libopenblas.so.0) with `threads` threads and the best
/// kernel it has for this CPU, or sets `error` to say why it cannot.
std::unique_ptr<Blas> loadOpenBlas(int64_t threads, std::string &error);

/// Opens MKL's single dynamic library (libmkl_rt) with `threads` threads, or
/// sets `error` to say why it cannot. It is looked for at $PFC_MKL (a path;
/// then nowhere else), on the library path, in $VIRTUAL_ENV/lib and in the
/// virtual environment of the checkout pfc was built from.
std::unique_ptr<Blas> loadMkl(int64_t threads, std::string &error);

/// Every dense library found, and the one dense layers run on.
struct BlasLibraries {
  std::vector<std::unique_ptr<Blas>> found;
  /// Why each library that was not found could not be loaded.
  std::vector<std::string> missing;
  /// What dense layers run on (null when nothing was found): MKL, unless its
  /// kernel is generic and OpenBLAS's is not. MKL is the faster where it
  /// runs its own kernel for the CPU (DESIGN.md: ≈ 270 against OpenBLAS's
  /// ≈ 245 GFLOP/s on 2 Xeon threads); on CPUs it does not dispatch (AMD's)
  /// it falls back to generic code. A rule rather than a timing, so that a
  /// run and its resumption compute the same: `pfc bench` times them all.
  const Blas *preferred = nullptr;

  /// "OpenBLAS (why)" for each library not found, on one line: for errors.
  std::string whyMissing() const;
};

/// Opens every dense library pfc knows with `threads` threads.
BlasLibraries loadBlasLibraries(int64_t threads);

} // namespace pfc

#endif // PFC_RUNTIME_BLAS_H
