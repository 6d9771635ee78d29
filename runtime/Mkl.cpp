//===- Mkl.cpp - Intel MKL sgemm, loaded with dlopen ----------------------===//
#include "pfc/Runtime/Blas.h"

#include "BlasLoading.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace pfc {

namespace {
/// libmkl_rt's names: oneMKL 2025 and later, then earlier releases.
constexpr const char *kLibraries[] = {"libmkl_rt.so.3", "libmkl_rt.so.2"};

/// MKL's code paths, each a library it loads for the CPU at its first call,
/// with the instruction set each uses: "def" and "mc3" are its fallbacks for
/// CPUs it does not dispatch further (AMD's among them).
struct CodePath {
  const char *name;
  VectorLevel level;
};
constexpr CodePath kCodePaths[] = {{"avx10", VectorLevel::Avx512},
                                   {"avx512", VectorLevel::Avx512},
                                   {"avx2", VectorLevel::Avx2},
                                   {"mc3", VectorLevel::Sse},
                                   {"def", VectorLevel::Sse}};

/// The code path MKL loaded (libmkl_<path>.so), or null.
const CodePath *loadedCodePath() {
  const CodePath *found = nullptr;
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *data) {
        const char *slash = std::strrchr(info->dlpi_name, '/');
        const std::string file = slash ? slash + 1 : info->dlpi_name;
        for (const CodePath &path : kCodePaths)
          if (file.rfind(std::string("libmkl_") + path.name + ".so", 0) == 0) {
            *static_cast<const CodePath **>(data) = &path;
            return 1;
          }
        return 0;
      },
      &found);
  return found;
}

/// Where libmkl_rt is looked for, in order (see loadMkl).
std::vector<std::string> candidates() {
  if (const char *path = std::getenv("PFC_MKL"); path && *path)
    return {path};
  std::vector<std::string> paths(std::begin(kLibraries), std::end(kLibraries));
  std::vector<std::string> directories;
  if (const char *venv = std::getenv("VIRTUAL_ENV"); venv && *venv)
    directories.push_back(std::string(venv) + "/lib");
#ifdef PFC_CHECKOUT_VENV_LIB
  directories.push_back(PFC_CHECKOUT_VENV_LIB);
#endif
  for (const std::string &directory : directories)
    for (const char *library : kLibraries)
      paths.push_back(directory + "/" + library);
  return paths;
}

class Mkl final : public Blas {
public:
  const char *library() const override { return "MKL"; }

  static std::unique_ptr<Blas> load(int64_t threads, std::string &error);

private:
  void run(const Gemm &g, bool oneThread) const override {
    // Thread-local: other threads' products keep their threads.
    const int previous = oneThread ? setNumThreadsLocal(1) : 0;
    call(g);
    if (oneThread)
      setNumThreadsLocal(previous);
  }

  int (*setNumThreadsLocal)(int) = nullptr;
};

std::unique_ptr<Blas> Mkl::load(int64_t threads, std::string &error) {
  void *handle = nullptr;
  std::string tried;
  for (const std::string &path : candidates()) {
    if ((handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)))
      break;
    tried += (tried.empty() ? "" : ", ") + path;
  }
  if (!handle) {
    error = "MKL not found (tried " + tried +
            "); scripts/setup.sh installs it into the checkout's .venv "
            "(PyPI mkl), or set PFC_MKL to libmkl_rt's path";
    return nullptr;
  }
  std::unique_ptr<Mkl> blas(new Mkl());
  Dl_info where;
  Symbols symbols(handle, "libmkl_rt");
  void (*setNumThreads)(int) = nullptr;
  int (*maxThreads)() = nullptr;
  symbols.get(blas->cblasSgemm, "cblas_sgemm");
  symbols.get(setNumThreads, "MKL_Set_Num_Threads");
  symbols.get(maxThreads, "MKL_Get_Max_Threads");
  symbols.get(blas->setNumThreadsLocal, "MKL_Set_Num_Threads_Local");
  if (!symbols.missing().empty()) {
    error = symbols.missing();
    return nullptr;
  }
  if (dladdr(reinterpret_cast<void *>(blas->cblasSgemm), &where) &&
      where.dli_fname)
    blas->loadNotes.push_back(std::string("loaded from ") + where.dli_fname);
  setNumThreads(static_cast<int>(threads));
  blas->threadCount = maxThreads();
  // MKL picks its code path at its first call.
  float one = 1.0f, product = 0.0f;
  blas->sgemm(false, false, 1, 1, 1, 1.0f, &one, 1, &one, 1, 0.0f, &product, 1);
  if (const CodePath *path = loadedCodePath()) {
    blas->kernelName = path->name;
    blas->level = path->level;
  }
  return blas;
}
} // namespace

std::unique_ptr<Blas> loadMkl(int64_t threads, std::string &error) {
  return Mkl::load(threads, error);
}

} // namespace pfc
