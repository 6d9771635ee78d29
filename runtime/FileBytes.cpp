//===- FileBytes.cpp - Whole-file reads -----------------------------------===//
//
// POSIX calls rather than iostreams: errno gives the reason for a failure.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/TensorFile.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pfc {

static bool failWith(std::string &error, const std::string &path,
                     const char *what, int code) {
  error = path + ": error: " + what + ": " + std::strerror(code);
  return false;
}

uint64_t memoryBytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGE_SIZE);
  uint64_t bytes = pages > 0 && pageSize > 0
                       ? static_cast<uint64_t>(pages) * pageSize
                       : UINT64_MAX;
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    struct rlimit limit;
    if (::getrlimit(resource, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
      bytes = std::min<uint64_t>(bytes, limit.rlim_cur);
  }
  return bytes;
}

bool readFileBytes(const std::string &path, std::string &bytes,
                   std::string &error, const ReadLimits &limits) {
  const uint64_t maxBytes =
      std::min(limits.maxBytes ? limits.maxBytes : UINT64_MAX, memoryBytes());
  auto tooLarge = [&](const std::string &what) {
    error = path + ": error: " + what + " (expected at most " +
            std::to_string(maxBytes) + " bytes" +
            (limits.maxBytes && limits.maxBytes <= maxBytes
                 ? std::string()
                 : ", the memory this process may use") +
            ")";
    return false;
  };
  // A link or a FIFO where only a regular file belongs is refused rather
  // than followed, or waited on.
  const int flags =
      O_RDONLY | O_CLOEXEC | (limits.regularOnly ? O_NOFOLLOW | O_NONBLOCK : 0);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0)
    return failWith(error, path, "cannot read the file", errno);
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    int code = errno;
    ::close(fd);
    return failWith(error, path, "cannot read the file", code);
  }
  if (limits.regularOnly && !S_ISREG(info.st_mode)) {
    ::close(fd);
    error = path + ": error: not a regular file";
    return false;
  }
  if (S_ISREG(info.st_mode) && static_cast<uint64_t>(info.st_size) > maxBytes) {
    ::close(fd);
    return tooLarge("the file is " + std::to_string(info.st_size) +
                    " bytes long");
  }
  bytes.clear();
  // Read up to one byte past what the header declares, so that the decoder
  // still sees trailing bytes, and never further: /dev/zero ends here too.
  uint64_t stopAt = UINT64_MAX;
  char buffer[1 << 16];
  while (bytes.size() < stopAt) {
    size_t want = static_cast<size_t>(
        std::min<uint64_t>(sizeof(buffer), stopAt - bytes.size()));
    ssize_t n = ::read(fd, buffer, want);
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
    if (limits.declaredSize && stopAt == UINT64_MAX)
      if (uint64_t declared = limits.declaredSize(bytes)) {
        if (declared > maxBytes) {
          ::close(fd);
          return tooLarge("the file declares " + std::to_string(declared) +
                          " bytes");
        }
        stopAt = std::max<uint64_t>(declared, bytes.size()) + 1;
      }
    if (bytes.size() > maxBytes) {
      ::close(fd);
      return tooLarge("the file is longer than " + std::to_string(maxBytes) +
                      " bytes");
    }
  }
  ::close(fd);
  return true;
}

} // namespace pfc
