//===- BlasTest.cpp - The dense libraries against a plain product ---------===//
//
// Each dense library found (MKL, OpenBLAS) against a double-precision loop,
// on random shapes, transposes, strides and scalars; the kernels they are
// loaded with (never a generic one on a CPU with more); and the loaders'
// errors.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/Blas.h"
#include "RandomDraws.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

using namespace pfc;

namespace {

/// The libraries, loaded once per process.
const BlasLibraries &libraries() {
  static const BlasLibraries loaded = loadBlasLibraries(2);
  return loaded;
}

/// c = alpha·op(a)·op(b) + beta·c in double, a plain loop.
std::vector<double> reference(bool transA, bool transB, int64_t m, int64_t n,
                              int64_t k, double alpha,
                              const std::vector<float> &a, int64_t lda,
                              const std::vector<float> &b, int64_t ldb,
                              double beta, const std::vector<float> &c,
                              int64_t ldc) {
  std::vector<double> out(c.begin(), c.end());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p)
        sum += double(transA ? a[p * lda + i] : a[i * lda + p]) *
               double(transB ? b[j * ldb + p] : b[p * ldb + j]);
      // BLAS: with beta 0, c is not read.
      out[i * ldc + j] =
          alpha * sum + (beta == 0.0 ? 0.0 : beta * double(c[i * ldc + j]));
    }
  return out;
}

/// Random products, small (one thread) and large (every thread).
void checkProducts(const Blas &blas, int64_t maxSide, int count) {
  RandomDraws draw;
  SCOPED_TRACE(blas.name() + ", " + draw.trace());
  for (int trial = 0; trial < count; ++trial) {
    const bool transA = draw(0, 1), transB = draw(0, 1);
    const int64_t m = draw(1, maxSide), n = draw(1, maxSide),
                  k = draw(1, maxSide);
    // Stored rows longer than the matrices.
    const int64_t lda = (transA ? m : k) + draw(0, 3),
                  ldb = (transB ? k : n) + draw(0, 3), ldc = n + draw(0, 3);
    const std::vector<float> a = draw.values((transA ? k : m) * lda),
                             b = draw.values((transB ? n : k) * ldb);
    std::vector<float> c = draw.values(m * ldc);
    const float alpha = static_cast<float>(draw.real(-2.0, 2.0)),
                beta = trial % 3 == 0 ? 0.0f
                                      : static_cast<float>(draw.real(-1, 1));
    if (beta == 0.0f) // beta 0 must ignore c, NaN included
      for (int64_t i = 0; i < m; ++i)
        c[i * ldc] = std::nanf("");
    const std::vector<double> want =
        reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    blas.sgemm(transA, transB, m, n, k, alpha, a.data(), lda, b.data(), ldb,
               beta, c.data(), ldc);
    double error = 0.0, norm = 0.0;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        error += std::pow(c[i * ldc + j] - want[i * ldc + j], 2);
        norm += std::pow(want[i * ldc + j], 2);
      }
    ASSERT_LE(std::sqrt(error), 1e-5 * std::sqrt(norm) * std::sqrt(k) + 1e-30)
        << m << "x" << n << "x" << k << " transA " << transA << " transB "
        << transB << " alpha " << alpha << " beta " << beta;
  }
}

TEST(Blas, EveryLibraryFoundMatchesAPlainProduct) {
  if (libraries().found.empty())
    GTEST_SKIP() << libraries().whyMissing();
  for (const std::unique_ptr<Blas> &blas : libraries().found) {
    EXPECT_EQ(blas->threads(), 2) << blas->name();
    checkProducts(*blas, 40, 40);
    // Above one thread's share: m·n·k ≥ 2^24.
    checkProducts(*blas, 300, 2);
  }
}

TEST(Blas, DenseForwardIsXTimesWTransposed) {
  if (libraries().found.empty())
    GTEST_SKIP() << libraries().whyMissing();
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const int64_t tokens = draw(1, 30), in = draw(1, 30), out = draw(1, 30);
  const std::vector<float> x = draw.values(tokens * in),
                           w = draw.values(out * in);
  for (const std::unique_ptr<Blas> &blas : libraries().found) {
    std::vector<float> y(tokens * out, std::nanf(""));
    blas->denseForward(x.data(), w.data(), y.data(), tokens, in, out);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t o = 0; o < out; ++o) {
        double sum = 0.0;
        for (int64_t i = 0; i < in; ++i)
          sum += double(x[t * in + i]) * w[o * in + i];
        ASSERT_NEAR(y[t * out + o], sum, 1e-5 * (1 + std::abs(sum)))
            << blas->name();
      }
  }
}

TEST(Blas, DenseLayersRunOnMklUnlessItsKernelIsGeneric) {
  const BlasLibraries &dense = libraries();
  EXPECT_EQ(dense.found.size() + dense.missing.size(), 2u);
  if (dense.found.empty()) {
    EXPECT_EQ(dense.preferred, nullptr);
    GTEST_SKIP() << dense.whyMissing();
  }
  const Blas *mkl = nullptr, *openBlas = nullptr;
  for (const std::unique_ptr<Blas> &blas : dense.found)
    (std::string(blas->library()) == "MKL" ? mkl : openBlas) = blas.get();
  const Blas *want =
      mkl && (!mkl->genericKernel() || !openBlas || openBlas->genericKernel())
          ? mkl
          : openBlas;
  EXPECT_EQ(dense.preferred, want) << dense.preferred->name();
}

TEST(HostCpu, AgreesWithTheCompilersCpuChecks) {
  // The compiler runtime's own reading, cpuid and xgetbv both.
  __builtin_cpu_init();
  const HostCpu &cpu = hostCpu();
  const bool avx2 =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  EXPECT_EQ(cpu.vectors >= VectorLevel::Avx2, avx2);
  EXPECT_EQ(cpu.vectors == VectorLevel::Avx512, avx512);
  EXPECT_FALSE(cpu.vendor.empty());
  if (!avx512)
    EXPECT_FALSE(cpu.avx512Bf16);
}

/// Sets an environment variable for one test, then puts back what was there.
class Environment {
public:
  Environment(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      previous = old;
    setenv(name, value, 1);
  }
  ~Environment() {
    if (previous)
      setenv(name, previous->c_str(), 1);
    else
      unsetenv(name);
  }

private:
  const char *name;
  std::optional<std::string> previous;
};

bool openBlasLoadedEarlier(const Blas &blas) {
  for (const std::string &note : blas.notes())
    if (note.find("loaded before pfc") != std::string::npos)
      return true;
  return false;
}

TEST(OpenBlas, PicksTheCpusKernelOverAGenericOneAskedFor) {
  // OpenBLAS reads OPENBLAS_CORETYPE once, at load: ask for its SSE3
  // fallback, which pfc must replace with the CPU's kernel, and put back.
  Environment generic("OPENBLAS_CORETYPE", "Prescott");
  std::string error;
  std::unique_ptr<Blas> blas = loadOpenBlas(1, error);
  if (!blas)
    GTEST_SKIP() << error;
  if (openBlasLoadedEarlier(*blas))
    GTEST_SKIP() << "OpenBLAS was in this process before the test";
  EXPECT_FALSE(blas->genericKernel())
      << blas->name() << " on a " << toString(hostCpu().vectors) << " CPU";
  if (hostCpu().vectors > VectorLevel::Sse)
    EXPECT_NE(blas->kernel(), "Prescott");
  EXPECT_STREQ(std::getenv("OPENBLAS_CORETYPE"), "Prescott");
  ASSERT_FALSE(blas->notes().empty());
  EXPECT_NE(blas->notes().front().find("(was Prescott)"), std::string::npos)
      << blas->notes().front();
}

TEST(Mkl, ABadPathIsReportedWithIt) {
  Environment path("PFC_MKL", "/nonexistent/libmkl_rt.so.3");
  std::string error;
  EXPECT_EQ(loadMkl(1, error), nullptr);
  EXPECT_NE(error.find("/nonexistent/libmkl_rt.so.3"), std::string::npos)
      << error;
  EXPECT_NE(error.find("scripts/setup.sh"), std::string::npos) << error;
}

TEST(Mkl, IsFoundInTheCheckoutsVirtualEnvironment) {
  namespace fs = std::filesystem;
  const fs::path lib = fs::path(PFC_SOURCE_DIR) / ".venv" / "lib";
  bool installed = false;
  for (const char *name : {"libmkl_rt.so.3", "libmkl_rt.so.2"})
    installed |= fs::exists(lib / name);
  if (!installed)
    GTEST_SKIP() << "no MKL in " << lib << " (scripts/setup.sh installs it)";
  std::string error;
  std::unique_ptr<Blas> mkl = loadMkl(2, error);
  ASSERT_TRUE(mkl) << error;
  EXPECT_EQ(mkl->threads(), 2);
  EXPECT_NE(mkl->kernel(), "unknown") << "no MKL code path library loaded";
}

} // namespace
