//===- FileBytes.cpp - Whole-file reads -----------------------------------===//
//
// POSIX calls rather than iostreams: errno gives the reason for a failure.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/TensorFile.h"

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

} // namespace pfc
