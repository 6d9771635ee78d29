//===- OpenBlas.cpp - OpenBLAS sgemm, loaded with dlopen ------------------===//
#include "pfc/Runtime/Blas.h"

#include "BlasLoading.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <optional>

namespace pfc {

namespace {
constexpr const char *kLibrary = "libopenblas.so.0";

/// OpenBLAS's kernel for each vector level it is chosen for: what
/// OPENBLAS_CORETYPE names (Debian's 0.3.21 knows all three; a library that
/// lacks one falls back to its own detection, which genericKernel() shows).
const char *coreFor(const HostCpu &cpu) {
  switch (cpu.vectors) {
  case VectorLevel::Avx512:
    // Cooper Lake's sgemm kernel is Skylake-X's with a better blocking
    // (≈ 245 against ≈ 200 GFLOP/s on 2 Xeon threads, DESIGN.md).
    return cpu.avx512Bf16 ? "Cooperlake" : "SkylakeX";
  case VectorLevel::Avx2:
    return "Haswell";
  case VectorLevel::Sse:
    return nullptr;
  }
  return nullptr;
}

VectorLevel levelOf(const std::string &core) {
  for (const char *name : {"SkylakeX", "Cooperlake", "SapphireRapids"})
    if (core == name)
      return VectorLevel::Avx512;
  for (const char *name : {"Haswell", "Zen"})
    if (core == name)
      return VectorLevel::Avx2;
  return VectorLevel::Sse;
}

/// Sets or unsets an environment variable for the lifetime of this object,
/// then puts back what was there.
class ScopedVariable {
public:
  ScopedVariable(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      previous = old;
    if (value)
      setenv(name, value, /*overwrite=*/1);
    else
      unsetenv(name);
  }
  ~ScopedVariable() {
    if (previous)
      setenv(name, previous->c_str(), 1);
    else
      unsetenv(name);
  }
  ScopedVariable(const ScopedVariable &) = delete;
  ScopedVariable &operator=(const ScopedVariable &) = delete;
  const std::optional<std::string> &old() const { return previous; }

private:
  const char *name;
  std::optional<std::string> previous;
};

class OpenBlas final : public Blas {
public:
  const char *library() const override { return "OpenBLAS"; }

  static std::unique_ptr<Blas> load(int64_t threads, std::string &error);

private:
  void run(const Gemm &g, bool oneThread) const override {
    // The thread count is the process's: one small product at a time.
    std::unique_lock<std::mutex> lock(smallProducts, std::defer_lock);
    if (oneThread) {
      lock.lock();
      setNumThreads(1);
    }
    call(g);
    if (oneThread)
      setNumThreads(static_cast<int>(threadCount));
  }

  void (*setNumThreads)(int) = nullptr;
  mutable std::mutex smallProducts;
};

std::unique_ptr<Blas> OpenBlas::load(int64_t threads, std::string &error) {
  std::unique_ptr<OpenBlas> blas(new OpenBlas());
  void *handle = nullptr;
  // Already in the process (LD_PRELOAD, a linked library, an earlier load):
  // it read OPENBLAS_CORETYPE when it loaded.
  if ((handle = dlopen(kLibrary, RTLD_NOW | RTLD_NOLOAD))) {
    blas->loadNotes.push_back("loaded before pfc, with the kernel it chose");
  } else {
    const char *core = coreFor(hostCpu());
    // Read once, at load: the kernel, and a cache size that would override
    // the kernel's blocking.
    ScopedVariable coreType("OPENBLAS_CORETYPE", core);
    ScopedVariable l2Size("OPENBLAS_L2_SIZE", nullptr);
    if (core)
      blas->loadNotes.push_back(
          std::string("OPENBLAS_CORETYPE=") + core + " set by pfc for this " +
          toString(hostCpu().vectors) + " CPU" +
          (coreType.old() ? " (was " + *coreType.old() + ")" : ""));
    if (l2Size.old())
      blas->loadNotes.push_back("loaded without OPENBLAS_L2_SIZE=" +
                                *l2Size.old());
    handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  }
  if (!handle) {
    const char *why = dlerror();
    error = std::string("cannot load OpenBLAS (") + (why ? why : kLibrary) +
            "); install it with scripts/setup.sh (libopenblas-dev)";
    return nullptr;
  }
  // The library stays loaded: its worker threads would outlive a dlclose.
  Symbols symbols(handle, kLibrary);
  char *(*coreName)() = nullptr;
  int (*getNumThreads)() = nullptr;
  symbols.get(blas->cblasSgemm, "cblas_sgemm");
  symbols.get(blas->setNumThreads, "openblas_set_num_threads");
  symbols.get(getNumThreads, "openblas_get_num_threads");
  symbols.get(coreName, "openblas_get_corename");
  if (!symbols.missing().empty()) {
    error = symbols.missing();
    return nullptr;
  }
  blas->setNumThreads(static_cast<int>(threads));
  blas->threadCount = getNumThreads();
  const char *name = coreName();
  blas->kernelName = name ? name : "unknown";
  blas->level = levelOf(blas->kernelName);
  return blas;
}
} // namespace

std::unique_ptr<Blas> loadOpenBlas(int64_t threads, std::string &error) {
  return OpenBlas::load(threads, error);
}

} // namespace pfc
