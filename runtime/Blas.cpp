//===- Blas.cpp - Dense sgemm libraries, loaded at run time ---------------===//
#include "pfc/Runtime/Blas.h"

#include "BlasLoading.h"

namespace pfc {

Blas::~Blas() = default;

std::string Blas::name() const {
  return std::string(library()) + " " + kernel();
}

/// Multiply-adds below which one thread does the product.
constexpr int64_t kSmallProduct = int64_t{1} << 24;

void Blas::sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 float alpha, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc) const {
  // A small product runs on the calling thread alone: woken for it, the
  // library's workers would then spin for a while and take cores from
  // whatever runs next (a Pixelfly net's kernels, beside its small dense
  // head, ran 40 % slower half of the time).
  const bool oneThread = m * n * k < kSmallProduct && threadCount > 1;
  run(Gemm{transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans,
           static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha,
           a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
           static_cast<int>(ldc)},
      oneThread);
}

void Blas::call(const Gemm &g) const {
  cblasSgemm(kRowMajor, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda,
             g.b, g.ldb, g.beta, g.c, g.ldc);
}

void Blas::denseForward(const float *x, const float *w, float *y,
                        int64_t tokens, int64_t in, int64_t out) const {
  sgemm(false, true, tokens, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
}

std::string BlasLibraries::whyMissing() const {
  std::string why;
  for (const std::string &reason : missing)
    why += (why.empty() ? "" : "; ") + reason;
  return why;
}

BlasLibraries loadBlasLibraries(int64_t threads) {
  BlasLibraries libraries;
  for (auto load : {loadMkl, loadOpenBlas}) {
    std::string error;
    if (std::unique_ptr<Blas> blas = load(threads, error))
      libraries.found.push_back(std::move(blas));
    else
      libraries.missing.push_back(std::move(error));
  }
  // MKL first: the first whose kernel is not generic, else the first.
  for (const std::unique_ptr<Blas> &blas : libraries.found)
    if (!libraries.preferred ||
        (libraries.preferred->genericKernel() && !blas->genericKernel()))
      libraries.preferred = blas.get();
  return libraries;
}

} // namespace pfc
