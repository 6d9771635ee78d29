//===- FileBytes.cpp - Whole-file reads and atomic writes -----------------===//
//
// POSIX calls rather than iostreams: errno gives the reason for a failure,
// and O_EXCL makes the temporary file's name ours alone.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/TensorFile.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pfc {

static bool failWith(std::string &error, const std::string &path,
                     const char *what, int code) {
  error = path + ": error: " + what + ": " + std::strerror(code);
  return false;
}

bool readFileBytes(const std::string &path, std::string &bytes,
                   std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return failWith(error, path, "cannot read the file", errno);
  bytes.clear();
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int code = errno;
      ::close(fd);
      return failWith(error, path, "cannot read the file", code);
    }
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

/// Writes all of `bytes` to `fd`; returns 0 or an errno value.
static int writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

bool writeFileBytesAtomically(const std::string &path, std::string_view bytes,
                              std::string &error) {
  // A fresh name next to the target, so that rename stays on one file system.
  std::string temp;
  int fd = -1;
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp = path + ".tmp." + std::to_string(::getpid()) + "." +
           std::to_string(counter++);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0)
    return failWith(error, path, "cannot write the file", errno);
  int code = writeAll(fd, bytes);
  if (!code && ::fsync(fd) != 0 && errno != EINVAL)
    code = errno;
  if (::close(fd) != 0 && !code)
    code = errno;
  if (!code && ::rename(temp.c_str(), path.c_str()) != 0)
    code = errno;
  if (code) {
    ::unlink(temp.c_str());
    return failWith(error, path, "cannot write the file", code);
  }
  return true;
}

} // namespace pfc
