//===- OpenBlas.cpp - OpenBLAS sgemm, loaded with dlopen ------------------===//
#include "pfc/Runtime/OpenBlas.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <type_traits>

namespace pfc {

namespace {
// cblas.h's values; declared here so that building pfc needs no OpenBLAS.
enum { CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 };
constexpr const char *kLibrary = "libopenblas.so.0";
// Read by OpenBLAS once, when it loads (dynamic-arch kernel choice, cache
// sizes).
constexpr const char *kEnvironment[] = {"OPENBLAS_CORETYPE",
                                        "OPENBLAS_L2_SIZE"};
} // namespace

struct OpenBlas::Functions {
  void (*sgemm)(int order, int transA, int transB, int m, int n, int k,
                float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc) = nullptr;
  void (*setNumThreads)(int) = nullptr;
  int (*getNumThreads)() = nullptr;
  char *(*getCoreName)() = nullptr;
};

std::unique_ptr<OpenBlas> OpenBlas::load(int64_t threads, std::string &error) {
  std::unique_ptr<OpenBlas> blas(new OpenBlas());
  // Already in the process (LD_PRELOAD, a linked library): the environment
  // was read at its load, and unsetting now changes nothing.
  if (void *loaded = dlopen(kLibrary, RTLD_NOW | RTLD_NOLOAD)) {
    blas->wasLoaded = true;
    dlclose(loaded);
  }
  for (const char *name : kEnvironment)
    if (const char *value = std::getenv(name); value && !blas->wasLoaded) {
      blas->unset.push_back(std::string(name) + "=" + value);
      unsetenv(name);
    }

  blas->handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!blas->handle) {
    const char *why = dlerror();
    error = std::string("cannot load OpenBLAS (") + (why ? why : kLibrary) +
            "), which pfc runs dense layers and the benchmarks' dense "
            "baseline with; install it with scripts/setup.sh "
            "(libopenblas-dev)";
    return nullptr;
  }
  blas->functions = std::make_unique<Functions>();
  Functions &f = *blas->functions;
  std::string missing;
  auto lookup = [&](auto &function, const char *name) {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
        dlsym(blas->handle, name));
    if (!function && missing.empty())
      missing = std::string(kLibrary) + " has no '" + name + "'";
  };
  lookup(f.sgemm, "cblas_sgemm");
  lookup(f.setNumThreads, "openblas_set_num_threads");
  lookup(f.getNumThreads, "openblas_get_num_threads");
  lookup(f.getCoreName, "openblas_get_corename");
  if (!missing.empty()) {
    error = std::move(missing);
    return nullptr;
  }
  f.setNumThreads(static_cast<int>(threads));
  blas->threadCount = f.getNumThreads();
  return blas;
}

/// Multiply-adds below which one thread does the product.
constexpr int64_t kSmallProduct = int64_t{1} << 24;

// The library stays loaded: its worker threads would outlive a dlclose.
OpenBlas::~OpenBlas() = default;

void OpenBlas::sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                     float alpha, const float *a, int64_t lda, const float *b,
                     int64_t ldb, float beta, float *c, int64_t ldc) const {
  // A small product runs on the calling thread alone: woken for it,
  // OpenBLAS's workers would then spin for a while and take cores from
  // whatever runs next (a Pixelfly net's kernels, beside its small dense
  // head, ran 40 % slower half of the time).
  // The thread count is the process's: one small product at a time.
  const bool small = m * n * k < kSmallProduct && threadCount > 1;
  std::unique_lock<std::mutex> lock(smallProducts, std::defer_lock);
  if (small) {
    lock.lock();
    functions->setNumThreads(1);
  }
  functions->sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                   transB ? CblasTrans : CblasNoTrans, static_cast<int>(m),
                   static_cast<int>(n), static_cast<int>(k), alpha, a,
                   static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
                   static_cast<int>(ldc));
  if (small)
    functions->setNumThreads(static_cast<int>(threadCount));
}

void OpenBlas::denseForward(const float *x, const float *w, float *y,
                            int64_t tokens, int64_t in, int64_t out) const {
  sgemm(false, true, tokens, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
}

std::string OpenBlas::coreName() const {
  const char *name = functions->getCoreName();
  return name ? name : "unknown";
}

int64_t OpenBlas::threads() const { return functions->getNumThreads(); }

} // namespace pfc
