//===- AtomicFile.h - The one writer of every file pfc makes ----*- C++ -*-===//
//
// Every file pfc writes (parameters, checkpoints, arrays, compiled kernels,
// cache entries, reports, planned specs) goes through writeFileAtomically:
// the bytes go to a fresh temporary file beside the target, every write,
// fsync and close is checked, and only then is the temporary renamed over
// the target. On any failure the old file is untouched and the temporary is
// removed. Free of LLVM, like the rest of the runtime.
//
// Output paths that are not regular files follow one policy, the same in
// every command:
//   - `-` is standard output, written through as it is;
//   - an existing device, FIFO or socket (`/dev/null`, `/dev/stdout`, a
//     pipe) is written through as it is, never replaced (no atomicity is
//     possible there);
//   - a symbolic link is followed: the file it names is replaced, and the
//     link stays a link;
//   - a directory is refused with an error.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_ATOMICFILE_H
#define PFC_RUNTIME_ATOMICFILE_H

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace pfc {

/// The system calls the writer makes. Tests replace them to make each one
/// fail in turn.
struct FileCalls {
  int (*open)(const char *path, int flags, mode_t mode);
  ssize_t (*write)(int fd, const void *data, size_t size);
  int (*fsync)(int fd);
  int (*close)(int fd);
  int (*rename)(const char *from, const char *to);
  int (*unlink)(const char *path);
};

/// The real system calls.
const FileCalls &systemFileCalls();
/// Makes the writer use `calls` (nullptr: the real ones again). For tests.
void setFileCallsForTesting(const FileCalls *calls);

struct WriteOptions {
  /// fsync the file before it is renamed, so that a crash cannot leave an
  /// empty file under the target's name. The kernel cache turns it off: an
  /// entry cut short fails its checksum and is rebuilt.
  bool durable = true;
};

/// Writes `bytes` to `path` as described above. Returns false and sets
/// `error` to `<path>: error: cannot write the file: <reason>` on failure,
/// with errno set to the reason.
bool writeFileAtomically(const std::string &path, std::string_view bytes,
                         std::string &error, WriteOptions options = {});

/// Writes several (path, bytes) files, all or none: each is written to its
/// temporary first, and the renames happen only when every one succeeded.
/// A failed rename (rare: the temporaries already hold the data) can leave
/// the earlier files replaced; the error says so.
bool writeFilesAtomically(
    const std::vector<std::pair<std::string, std::string>> &files,
    std::string &error, WriteOptions options = {});

/// Whether `name` (a file name, no directory) is one of the writer's
/// temporaries, `<target>.tmp.<pid>.<n>.<hex>`.
bool isTemporaryName(std::string_view name);

/// Removes the temporaries of `path` (see isTemporaryName) left by a process
/// that is no longer running, such as a run that was killed while writing.
/// The writer calls it before each write; failures are ignored.
void removeStaleTemporaries(const std::string &path);
/// The same for every file in `dir` (a training run's output directory).
void removeStaleTemporariesIn(const std::string &dir);

} // namespace pfc

#endif // PFC_RUNTIME_ATOMICFILE_H
