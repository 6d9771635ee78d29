//===- FuzzFile.h - Fuzz inputs for readers that take a path ----*- C++ -*-===//
#ifndef PFC_TESTS_FUZZ_FUZZFILE_H
#define PFC_TESTS_FUZZ_FUZZFILE_H

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

namespace pfc::fuzz {

/// A directory of this process's own (under $TMPDIR, default /tmp).
inline const std::string &scratchDirectory() {
  static const std::string dir = [] {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/pfc-fuzz-XXXXXX";
    return ::mkdtemp(pattern.data()) ? pattern : std::string("/tmp");
  }();
  return dir;
}

/// Writes `bytes` to `name` in the scratch directory (plain write: the
/// writer is not what is fuzzed) and returns the path.
inline std::string writeInput(const std::string &name, std::string_view bytes) {
  std::string path = scratchDirectory() + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    std::abort();
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0)
      std::abort();
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fd);
  return path;
}

/// Splits an input in two at its first byte's share of the rest, so that
/// one input drives a reader of two files.
inline void split(std::string_view in, std::string_view &a,
                  std::string_view &b) {
  if (in.empty()) {
    a = b = in;
    return;
  }
  size_t cut = static_cast<unsigned char>(in[0]) * (in.size() - 1) / 255;
  a = in.substr(1, cut);
  b = in.substr(1 + cut);
}

} // namespace pfc::fuzz

#endif // PFC_TESTS_FUZZ_FUZZFILE_H
