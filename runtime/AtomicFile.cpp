//===- AtomicFile.cpp - Temporary file, checked writes, rename ------------===//
//
// POSIX calls rather than iostreams: every call's failure is seen with its
// errno, and O_EXCL makes the temporary file's name ours alone.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/AtomicFile.h"

#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pfc {

const FileCalls &systemFileCalls() {
  static const FileCalls calls = {[](const char *path, int flags, mode_t mode) {
                                    return ::open(path, flags, mode);
                                  },
                                  ::write,
                                  ::fsync,
                                  ::close,
                                  ::rename,
                                  ::unlink};
  return calls;
}

static std::atomic<const FileCalls *> currentCalls{nullptr};

void setFileCallsForTesting(const FileCalls *calls) { currentCalls = calls; }

static const FileCalls &sys() {
  const FileCalls *calls = currentCalls.load();
  return calls ? *calls : systemFileCalls();
}

static bool failWith(std::string &error, const std::string &path, int code) {
  error = path + ": error: cannot write the file: " + std::strerror(code);
  errno = code;
  return false;
}

/// Writes all of `bytes` to `fd`; returns 0 or an errno value.
static int writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = sys().write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0)
      return EIO; // No progress and no reason: do not spin.
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

static std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

static std::string baseNameOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

namespace {
/// Where the bytes for an output path go.
struct Target {
  /// The regular file to replace (a symbolic link's target when the path is
  /// a link); empty when the bytes are written through.
  std::string file;
  /// The file's permissions, kept across the replacement; -1 for a new file.
  int mode = -1;
  /// Written through as it is: stdout (`-`), a device, a FIFO, a socket.
  bool passThrough = false;
};
} // namespace

/// Finds what `path` names; returns 0 or an errno value.
static int resolve(const std::string &path, Target &target) {
  if (path == "-") {
    target.passThrough = true;
    return 0;
  }
  struct stat info;
  if (::stat(path.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode))
      return EISDIR;
    if (!S_ISREG(info.st_mode)) {
      target.passThrough = true;
      return 0;
    }
    target.mode = static_cast<int>(info.st_mode & 07777);
    struct stat link;
    if (::lstat(path.c_str(), &link) != 0)
      return errno;
    if (!S_ISLNK(link.st_mode)) {
      target.file = path;
      return 0;
    }
    char *real = ::realpath(path.c_str(), nullptr);
    if (!real)
      return errno;
    target.file = real;
    std::free(real);
    return 0;
  }
  if (errno != ENOENT)
    return errno;
  // Nothing there, or a link to a file not made yet: follow links by hand
  // to the name the new file takes.
  std::string name = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat link;
    if (::lstat(name.c_str(), &link) != 0) {
      if (errno != ENOENT)
        return errno;
      target.file = name;
      return 0;
    }
    if (!S_ISLNK(link.st_mode))
      return EEXIST; // Appeared meanwhile; the caller's next try sees it.
    char buffer[4096];
    ssize_t n = ::readlink(name.c_str(), buffer, sizeof(buffer));
    if (n < 0)
      return errno;
    if (static_cast<size_t>(n) == sizeof(buffer))
      return ENAMETOOLONG;
    std::string next(buffer, static_cast<size_t>(n));
    name = next[0] == '/' ? next : directoryOf(name) + "/" + next;
  }
  return ELOOP;
}

static uint64_t randomBits() {
  uint64_t bits = 0;
  if (::getrandom(&bits, sizeof(bits), GRND_NONBLOCK) != sizeof(bits)) {
    timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    bits = uint64_t(now.tv_sec) * 1000000007ULL + uint64_t(now.tv_nsec);
  }
  return bits;
}

bool isTemporaryName(std::string_view name) {
  size_t at = name.rfind(".tmp.");
  if (at == std::string_view::npos || at == 0)
    return false;
  std::string_view rest = name.substr(at + 5);
  // <pid>.<counter>.<hex>
  auto field = [&](bool hex) {
    size_t n = 0;
    while (n < rest.size() &&
           (std::isdigit(static_cast<unsigned char>(rest[n])) ||
            (hex && std::isxdigit(static_cast<unsigned char>(rest[n])))))
      ++n;
    if (n == 0)
      return false;
    rest.remove_prefix(n);
    return true;
  };
  auto dot = [&] {
    if (rest.empty() || rest[0] != '.')
      return false;
    rest.remove_prefix(1);
    return true;
  };
  return field(false) && dot() && field(false) && dot() && field(true) &&
         rest.empty();
}

/// Removes the temporaries in `dir` whose names start with `prefix` and
/// whose writing process is gone.
static void removeStale(const std::string &dir, const std::string &prefix) {
  DIR *stream = ::opendir(dir.c_str());
  if (!stream)
    return;
  while (const dirent *entry = ::readdir(stream)) {
    std::string_view name = entry->d_name;
    if (name.substr(0, prefix.size()) != prefix || !isTemporaryName(name))
      continue;
    long pid =
        std::strtol(entry->d_name + name.rfind(".tmp.") + 5, nullptr, 10);
    // A process still running may be about to rename it.
    if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)
      continue;
    sys().unlink((dir + "/" + std::string(name)).c_str());
  }
  ::closedir(stream);
}

void removeStaleTemporaries(const std::string &path) {
  removeStale(directoryOf(path), baseNameOf(path) + ".tmp.");
}

void removeStaleTemporariesIn(const std::string &dir) { removeStale(dir, ""); }

namespace {
/// One file being written: its target and, until renamed, its temporary.
struct Pending {
  const std::string *path;
  std::string_view bytes;
  Target target;
  std::string temp;
};
} // namespace

/// Writes `p`'s bytes to a fresh temporary beside its target; returns 0 or
/// an errno value, with no temporary left behind on failure.
static int writeTemporary(Pending &p, WriteOptions options) {
  removeStaleTemporaries(p.target.file);
  static std::atomic<unsigned> counter{0};
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    char suffix[64];
    std::snprintf(suffix, sizeof(suffix), ".tmp.%d.%u.%016llx",
                  static_cast<int>(::getpid()), counter++,
                  static_cast<unsigned long long>(randomBits()));
    p.temp = p.target.file + suffix;
    fd = sys().open(p.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0666);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0) {
    int code = errno;
    p.temp.clear();
    return code;
  }
  if (p.target.mode >= 0)
    ::fchmod(fd, static_cast<mode_t>(p.target.mode));
  int code = writeAll(fd, p.bytes);
  // EINVAL: a file system without fsync (some FUSE ones) still took the data.
  if (!code && options.durable && sys().fsync(fd) != 0 && errno != EINVAL)
    code = errno;
  if (sys().close(fd) != 0 && !code)
    code = errno;
  if (code) {
    sys().unlink(p.temp.c_str());
    p.temp.clear();
  }
  return code;
}

/// Writes `bytes` to stdout or to an existing device or FIFO as they are.
static int writeThrough(const std::string &path, std::string_view bytes) {
  if (path == "-")
    return writeAll(STDOUT_FILENO, bytes);
  int fd = sys().open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0)
    return errno;
  int code = writeAll(fd, bytes);
  if (sys().close(fd) != 0 && !code)
    code = errno;
  return code;
}

static void syncDirectory(const std::string &file) {
  int fd =
      ::open(directoryOf(file).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  ::fsync(fd);
  ::close(fd);
}

/// Writes every pending file: temporaries first, then the renames.
static bool writePending(std::vector<Pending> &pending, std::string &error,
                         WriteOptions options) {
  auto discard = [&] {
    for (Pending &p : pending)
      if (!p.temp.empty())
        sys().unlink(p.temp.c_str());
  };
  for (Pending &p : pending) {
    int code = resolve(*p.path, p.target);
    if (!code && !p.target.passThrough)
      code = writeTemporary(p, options);
    if (code) {
      discard();
      return failWith(error, *p.path, code);
    }
  }
  for (Pending &p : pending)
    if (p.target.passThrough)
      if (int code = writeThrough(*p.path, p.bytes)) {
        discard();
        return failWith(error, *p.path, code);
      }
  for (size_t i = 0; i < pending.size(); ++i) {
    Pending &p = pending[i];
    if (p.target.passThrough)
      continue;
    if (sys().rename(p.temp.c_str(), p.target.file.c_str()) != 0) {
      int code = errno;
      discard();
      failWith(error, *p.path, code);
      if (i > 0)
        error += " (the files before it were replaced)";
      return false;
    }
    p.temp.clear();
    if (options.durable)
      syncDirectory(p.target.file);
  }
  return true;
}

bool writeFilesAtomically(
    const std::vector<std::pair<std::string, std::string>> &files,
    std::string &error, WriteOptions options) {
  std::vector<Pending> pending;
  for (const auto &[path, bytes] : files)
    pending.push_back({&path, bytes, {}, {}});
  return writePending(pending, error, options);
}

bool writeFileAtomically(const std::string &path, std::string_view bytes,
                         std::string &error, WriteOptions options) {
  std::vector<Pending> pending = {{&path, bytes, {}, {}}};
  return writePending(pending, error, options);
}

} // namespace pfc
