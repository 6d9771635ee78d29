//===- BlasLoading.h - What the dense libraries' loaders share --*- C++ -*-===//
//
// Private to the runtime: cblas.h's values (declared here, so that building
// pfc needs no BLAS headers) and symbol lookup with dlsym.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_BLASLOADING_H
#define PFC_RUNTIME_BLASLOADING_H

#include <dlfcn.h>

#include <string>
#include <type_traits>

namespace pfc {

enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };

/// Looks functions up in a loaded library, remembering the first missing one.
class Symbols {
public:
  Symbols(void *handle, std::string library)
      : handle(handle), library(std::move(library)) {}

  template <typename Function> void get(Function &function, const char *name) {
    static_assert(std::is_pointer_v<Function>);
    function = reinterpret_cast<Function>(dlsym(handle, name));
    if (!function && firstMissing.empty())
      firstMissing = library + " has no '" + name + "'";
  }
  /// "LIBRARY has no 'NAME'" for the first function not found; else empty.
  const std::string &missing() const { return firstMissing; }

private:
  void *handle;
  std::string library;
  std::string firstMissing;
};

} // namespace pfc

#endif // PFC_RUNTIME_BLASLOADING_H
