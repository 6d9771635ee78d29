//===- AtomicFileTest.cpp - The one writer under injected failures --------===//
#include "TensorTestUtil.h"

#include "pfc/Runtime/AtomicFile.h"
#include "pfc/Runtime/TensorFile.h"

#include "gtest/gtest.h"

#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pfc {
namespace {

std::string readAll(const std::string &path) {
  std::string bytes, error;
  EXPECT_TRUE(readFileBytes(path, bytes, error)) << error;
  return bytes;
}

std::string randomBytes(size_t size) {
  std::random_device device;
  std::mt19937 draw(device());
  std::string bytes(size, '\0');
  for (char &c : bytes)
    c = static_cast<char>(draw());
  return bytes;
}

/// Which call fails, and after how many successful calls of its kind.
enum class Call { Open, Write, Fsync, Close, Rename };
struct Injection {
  Call call;
  int after;
  int code;
};
Injection injection;
int counts[5];

bool failsNow(Call call) {
  if (call != injection.call)
    return false;
  return counts[static_cast<int>(call)]++ == injection.after;
}

const FileCalls faultyCalls = {
    [](const char *path, int flags, mode_t mode) -> int {
      if (failsNow(Call::Open)) {
        errno = injection.code;
        return -1;
      }
      return systemFileCalls().open(path, flags, mode);
    },
    [](int fd, const void *data, size_t size) -> ssize_t {
      // Every write but the failing one is short: half the bytes, as a
      // nearly full disk does, so that the failure strikes mid-file.
      if (failsNow(Call::Write)) {
        errno = injection.code;
        return -1;
      }
      return systemFileCalls().write(fd, data, size > 1 ? size / 2 : size);
    },
    [](int fd) -> int {
      if (failsNow(Call::Fsync)) {
        errno = injection.code;
        return -1;
      }
      return systemFileCalls().fsync(fd);
    },
    [](int fd) -> int {
      // A failing close still releases the descriptor, as on Linux.
      int result = systemFileCalls().close(fd);
      if (failsNow(Call::Close)) {
        errno = injection.code;
        return -1;
      }
      return result;
    },
    [](const char *from, const char *to) -> int {
      if (failsNow(Call::Rename)) {
        errno = injection.code;
        return -1;
      }
      return systemFileCalls().rename(from, to);
    },
    systemFileCalls().unlink};

struct Faults {
  explicit Faults(Injection what) {
    injection = what;
    std::memset(counts, 0, sizeof(counts));
    setFileCallsForTesting(&faultyCalls);
  }
  ~Faults() { setFileCallsForTesting(nullptr); }
};

// Each call fails in turn (writes at the first, a middle and the last of the
// short writes); the old file keeps its bytes, no temporary remains, and the
// error names the path and the reason.
TEST(AtomicFile, EachFailingCallLeavesTheOldFileAndNoTemporary) {
  const std::vector<Injection> cases = {
      {Call::Open, 0, EACCES},  {Call::Write, 0, ENOSPC},
      {Call::Write, 3, ENOSPC}, {Call::Write, 9, EFBIG},
      {Call::Fsync, 0, EIO},    {Call::Close, 0, EDQUOT},
      {Call::Rename, 0, EXDEV}};
  for (const Injection &what : cases) {
    ScratchDir dir;
    const std::string path = dir.file("p.safetensors");
    const std::string old = randomBytes(1000), fresh = randomBytes(4096);
    std::string error;
    ASSERT_TRUE(writeFileAtomically(path, old, error)) << error;
    {
      Faults faults(what);
      EXPECT_FALSE(writeFileAtomically(path, fresh, error));
      EXPECT_EQ(counts[static_cast<int>(what.call)], what.after + 1)
          << "the injected failure was never reached";
    }
    EXPECT_EQ(error, path + ": error: cannot write the file: " +
                         std::strerror(what.code));
    EXPECT_EQ(readAll(path), old);
    EXPECT_EQ(dir.files(), std::vector<std::string>{"p.safetensors"});
  }
}

TEST(AtomicFile, NoOldFileMeansNoFileAfterAFailure) {
  ScratchDir dir;
  const std::string path = dir.file("y.npy");
  std::string error;
  {
    Faults faults({Call::Write, 2, ENOSPC});
    EXPECT_FALSE(writeFileAtomically(path, randomBytes(4096), error));
  }
  EXPECT_TRUE(dir.files().empty());
}

// A set of files is replaced all or none: the second file's failure leaves
// the first one's old bytes too.
TEST(AtomicFile, SeveralFilesAllOrNone) {
  ScratchDir dir;
  const std::string a = dir.file("y.npy"), b = dir.file("dx.npy");
  const std::string oldA = randomBytes(100), oldB = randomBytes(200);
  std::string error;
  ASSERT_TRUE(writeFilesAtomically({{a, oldA}, {b, oldB}}, error)) << error;
  for (Call call : {Call::Open, Call::Fsync, Call::Close}) {
    Faults faults({call, 1, ENOSPC});
    EXPECT_FALSE(writeFilesAtomically(
        {{a, randomBytes(100)}, {b, randomBytes(200)}}, error));
    EXPECT_NE(error.find(b + ": error: "), std::string::npos) << error;
  }
  EXPECT_EQ(readAll(a), oldA);
  EXPECT_EQ(readAll(b), oldB);
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"dx.npy", "y.npy"}));
  const std::string newA = randomBytes(300), newB = randomBytes(400);
  ASSERT_TRUE(writeFilesAtomically({{a, newA}, {b, newB}}, error)) << error;
  EXPECT_EQ(readAll(a), newA);
  EXPECT_EQ(readAll(b), newB);
}

// The -o policy: a link is followed (the file it names is replaced and the
// link stays), a dangling link creates its target, a device is written
// through and never replaced, a directory is refused.
TEST(AtomicFile, NonRegularTargets) {
  ScratchDir dir;
  std::string error;
  const std::string real = dir.file("real"), link = dir.file("link");
  ASSERT_TRUE(writeFileAtomically(real, "old", error)) << error;
  ASSERT_EQ(::symlink("real", link.c_str()), 0);
  ASSERT_TRUE(writeFileAtomically(link, "new", error)) << error;
  struct stat info;
  ASSERT_EQ(::lstat(link.c_str(), &info), 0);
  EXPECT_TRUE(S_ISLNK(info.st_mode));
  EXPECT_EQ(readAll(real), "new");

  const std::string dangling = dir.file("dangling");
  ASSERT_EQ(::symlink("made-later", dangling.c_str()), 0);
  ASSERT_TRUE(writeFileAtomically(dangling, "made", error)) << error;
  EXPECT_EQ(readAll(dir.file("made-later")), "made");

  ASSERT_TRUE(writeFileAtomically("/dev/null", "bytes", error)) << error;
  ASSERT_EQ(::stat("/dev/null", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));

  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(writeFileAtomically(fifo, "through", error)) << error;
  char buffer[16] = {};
  EXPECT_EQ(::read(reader, buffer, sizeof(buffer)), 7);
  EXPECT_STREQ(buffer, "through");
  ::close(reader);
  ASSERT_EQ(::lstat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));

  EXPECT_FALSE(writeFileAtomically(dir.path, "x", error));
  EXPECT_EQ(error, dir.path + ": error: cannot write the file: " +
                       std::strerror(EISDIR));
}

// A run killed between creating its temporary and renaming it leaves the
// temporary; the next write of that file removes it. A live process's
// temporary is left alone.
TEST(AtomicFile, StaleTemporariesAreRemoved) {
  ScratchDir dir;
  const std::string path = dir.file("checkpoint.safetensors");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  const std::string dead = path + ".tmp." + std::to_string(child) + ".0.1f";
  const std::string live =
      path + ".tmp." + std::to_string(::getpid()) + ".999999.2e";
  std::string error;
  ASSERT_TRUE(writeFileAtomically(dead, "partial", error)) << error;
  ASSERT_TRUE(writeFileAtomically(live, "in flight", error)) << error;
  EXPECT_TRUE(isTemporaryName("checkpoint.safetensors.tmp.12.0.1f"));
  EXPECT_FALSE(isTemporaryName("checkpoint.safetensors.tmp.12.0."));
  EXPECT_FALSE(isTemporaryName("checkpoint.safetensors"));
  ASSERT_TRUE(writeFileAtomically(path, "whole", error)) << error;
  EXPECT_EQ(dir.files(), (std::vector<std::string>{
                             "checkpoint.safetensors",
                             "checkpoint.safetensors.tmp." +
                                 std::to_string(::getpid()) + ".999999.2e"}));
}

// A file's permissions survive its replacement.
TEST(AtomicFile, KeepsTheModeOfTheFileItReplaces) {
  ScratchDir dir;
  const std::string path = dir.file("params.safetensors");
  std::string error;
  ASSERT_TRUE(writeFileAtomically(path, "old", error)) << error;
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  ASSERT_TRUE(writeFileAtomically(path, "new", error)) << error;
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
}

} // namespace
} // namespace pfc
