//===- Baselines.cpp - OpenBLAS sgemm, loaded with dlopen -----------------===//
//
// The plain BSR loop is in BsrLoop.cpp, compiled for the build machine.
//
//===----------------------------------------------------------------------===//
#include "Baselines.h"

#include <dlfcn.h>

#include <cstdlib>
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
    error = std::string("cannot load OpenBLAS, the dense baseline (") +
            (why ? why : kLibrary) +
            "); install it with scripts/setup.sh (libopenblas-dev)";
    return nullptr;
  }
  blas->functions = std::make_unique<Functions>();
  Functions &f = *blas->functions;
  auto lookup = [&](auto &function, const char *name) {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
        dlsym(blas->handle, name));
    if (!function && error.empty())
      error = std::string(kLibrary) + " has no '" + name + "'";
  };
  lookup(f.sgemm, "cblas_sgemm");
  lookup(f.setNumThreads, "openblas_set_num_threads");
  lookup(f.getNumThreads, "openblas_get_num_threads");
  lookup(f.getCoreName, "openblas_get_corename");
  if (!error.empty())
    return nullptr;
  f.setNumThreads(static_cast<int>(threads));
  return blas;
}

// The library stays loaded: its worker threads would outlive a dlclose.
OpenBlas::~OpenBlas() = default;

void OpenBlas::denseForward(const float *x, const float *w, float *y,
                            int64_t tokens, int64_t in, int64_t out) const {
  const int m = static_cast<int>(tokens), n = static_cast<int>(out),
            k = static_cast<int>(in);
  functions->sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k,
                   w, k, 0.0f, y, n);
}

std::string OpenBlas::coreName() const {
  const char *name = functions->getCoreName();
  return name ? name : "unknown";
}

int64_t OpenBlas::threads() const { return functions->getNumThreads(); }

} // namespace pfc
