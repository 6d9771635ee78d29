//===- CacheDirectory.h - A kernel cache of a test's own --------*- C++ -*-===//
#ifndef PFC_TESTS_UNIT_CACHEDIRECTORY_H
#define PFC_TESTS_UNIT_CACHEDIRECTORY_H

#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace pfc {

/// A fresh cache directory, set as PFC_CACHE_DIR while the test runs.
class CacheDirectory {
public:
  CacheDirectory() {
    llvm::SmallString<128> path;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("pfc-cache", path));
    directory = std::string(path);
    const char *old = std::getenv("PFC_CACHE_DIR");
    previous = old ? std::optional<std::string>(old) : std::nullopt;
    setenv("PFC_CACHE_DIR", directory.c_str(), 1);
  }
  ~CacheDirectory() {
    if (previous)
      setenv("PFC_CACHE_DIR", previous->c_str(), 1);
    else
      unsetenv("PFC_CACHE_DIR");
    llvm::sys::fs::remove_directories(directory);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(directory, ec), end;
         !ec && it != end; it.increment(ec))
      names.push_back(it->path());
    return names;
  }

  std::string directory;

private:
  std::optional<std::string> previous;
};

} // namespace pfc

#endif // PFC_TESTS_UNIT_CACHEDIRECTORY_H
