//===- KernelCacheTest.cpp - The on-disk kernel cache ---------------------===//
#include "pfc/Runtime/KernelCache.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace pfc;

namespace {

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *stream = opendir(dir.c_str())) {
    while (dirent *item = readdir(stream))
      if (item->d_name[0] != '.')
        names.push_back(item->d_name);
    closedir(stream);
  }
  return names;
}

/// A fresh directory per test, removed (made writable first) afterwards.
class KernelCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/pfc-kernel-cache-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root = pattern;
  }
  void TearDown() override {
    nftw(
        root.c_str(),
        [](const char *path, const struct stat *, int type, FTW *) {
          if (type == FTW_D || type == FTW_DP)
            chmod(path, 0700);
          return 0;
        },
        16, FTW_PHYS);
    nftw(
        root.c_str(),
        [](const char *path, const struct stat *, int, FTW *) {
          return remove(path);
        },
        16, FTW_DEPTH | FTW_PHYS);
  }
  std::string root;
};

std::string payloadOf(size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string payload(size, '\0');
  for (char &c : payload)
    c = static_cast<char>(random());
  return payload;
}

TEST_F(KernelCacheTest, MissThenHit) {
  KernelCache cache(root + "/a/b");
  std::string key = KernelCache::key({"0.1.0", "module {}", "avx512f"});
  testing::internal::CaptureStderr();
  EXPECT_EQ(cache.get(key), std::nullopt);
  std::string payload = payloadOf(1000, 1);
  payload[3] = '\0';
  EXPECT_TRUE(cache.put(key, payload));
  EXPECT_EQ(cache.get(key), payload);
  EXPECT_TRUE(cache.put(key, "second"));
  EXPECT_EQ(cache.get(key), "second");
  EXPECT_TRUE(cache.put(key, ""));
  EXPECT_EQ(cache.get(key), "");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(cache.entryPath(key), root + "/a/b/" + key + ".pfck");
}

TEST_F(KernelCacheTest, AnotherPfcVersionMisses) {
  // The JIT puts pfc's version first in every key: a new version finds
  // none of an old one's entries.
  KernelCache cache(root);
  std::string old = KernelCache::key({"0.1.0", "module {}", "avx512f"});
  std::string next = KernelCache::key({"0.2.0", "module {}", "avx512f"});
  ASSERT_NE(old, next);
  ASSERT_TRUE(cache.put(old, "object"));
  EXPECT_EQ(cache.get(next), std::nullopt);
  EXPECT_EQ(cache.get(old), "object");
}

TEST_F(KernelCacheTest, CreatesRelativeDirectoriesAndTheirParents) {
  char previous[4096];
  ASSERT_NE(getcwd(previous, sizeof(previous)), nullptr);
  ASSERT_EQ(chdir(root.c_str()), 0);
  KernelCache cache("x/y/");
  EXPECT_EQ(cache.directory(), "x/y");
  bool stored = cache.put(KernelCache::key({"k"}), "kernel");
  std::optional<std::string> got = cache.get(KernelCache::key({"k"}));
  ASSERT_EQ(chdir(previous), 0);
  EXPECT_TRUE(stored);
  EXPECT_EQ(got, "kernel");
}

TEST_F(KernelCacheTest, KeysAreStableAndSeparateTheirParts) {
  std::string key = KernelCache::key({"ab", "c"});
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  // Fixed digits: a key must not change between builds or machines.
  EXPECT_EQ(key, KernelCache::key({"ab", "c"}));
  EXPECT_EQ(key, "482f6f543bbc5465d3bdf24be133d5ab");
  EXPECT_NE(key, KernelCache::key({"a", "bc"}));
  EXPECT_NE(key, KernelCache::key({"abc"}));
  EXPECT_NE(key, KernelCache::key({"c", "ab"}));
  EXPECT_NE(KernelCache::key({}), KernelCache::key({""}));
  EXPECT_NE(KernelCache::key({""}), KernelCache::key({"", ""}));
  EXPECT_NE(KernelCache::key({"x"}), KernelCache::key({"y"}));
}

TEST_F(KernelCacheTest, MalformedKeysAreMisses) {
  KernelCache cache(root);
  for (const std::string &key : std::vector<std::string>{
           "", "../x", "a/b", "a.b", std::string(129, 'a')}) {
    EXPECT_FALSE(cache.put(key, "p")) << key;
    EXPECT_EQ(cache.get(key), std::nullopt) << key;
  }
  EXPECT_TRUE(listDir(root).empty());
}

/// Puts an entry in a fresh cache, damages it with `damage`, and expects a
/// miss with one warning naming `why`, the entry gone, and a put that
/// rebuilds it.
void expectRebuilt(const std::string &dir, const std::string &why,
                   const std::function<void(const KernelCache &,
                                            const std::string &)> &damage) {
  SCOPED_TRACE(dir);
  KernelCache cache(dir);
  std::string key = KernelCache::key({dir}), payload = payloadOf(300, 2);
  ASSERT_TRUE(cache.put(key, payload));
  damage(cache, key);
  testing::internal::CaptureStderr();
  EXPECT_EQ(cache.get(key), std::nullopt);
  EXPECT_EQ(cache.get(key), std::nullopt);
  std::string warnings = testing::internal::GetCapturedStderr();
  EXPECT_EQ(warnings, "pfc: warning: kernel cache entry " +
                          cache.entryPath(key) + " is " + why +
                          "; rebuilding\n");
  EXPECT_TRUE(listDir(dir).empty());
  ASSERT_TRUE(cache.put(key, payload));
  EXPECT_EQ(cache.get(key), payload);
}

/// The size of the entry header for a 32-digit key.
constexpr size_t headerSize = 4 + 4 + 4 + 32 + 8 + 8;

TEST_F(KernelCacheTest, TruncatedEntriesAreRebuilt) {
  for (size_t size :
       {size_t(0), size_t(3), size_t(6), size_t(10), size_t(30), headerSize - 1,
        headerSize, headerSize + 1, headerSize + 299})
    expectRebuilt(root + "/t" + std::to_string(size), "truncated",
                  [&](const KernelCache &cache, const std::string &key) {
                    std::string path = cache.entryPath(key);
                    writeAll(path, readAll(path).substr(0, size));
                  });
}

TEST_F(KernelCacheTest, FlippedPayloadByteIsRebuilt) {
  for (size_t at : {size_t(0), size_t(150), size_t(299)})
    expectRebuilt(root + "/p" + std::to_string(at),
                  "corrupted (checksum mismatch)",
                  [&](const KernelCache &cache, const std::string &key) {
                    std::string path = cache.entryPath(key);
                    std::string bytes = readAll(path);
                    bytes[headerSize + at] ^= 0x10;
                    writeAll(path, bytes);
                  });
}

/// Why an entry whose header byte `at` has its low bit flipped is a miss
/// (a 32-digit key and a payload of 300 bytes).
std::string whyFlipped(size_t at) {
  if (at < 4)
    return "not a pfc kernel cache entry";
  if (at < 8)
    return "of format version " + std::to_string(1u ^ (1u << 8 * (at - 4))) +
           ", not 1";
  if (at == 8) // A key length of 33 still fits in the file.
    return "another key's entry";
  if (at < 12)
    return "corrupted (bad key length)";
  if (at < 44)
    return "another key's entry";
  if (at == 45) // 300 ^ 256 = 44 bytes of payload.
    return "corrupted (trailing bytes)";
  if (at < 52)
    return "truncated";
  return "corrupted (checksum mismatch)";
}

TEST_F(KernelCacheTest, FlippedHeaderBytesAreRebuilt) {
  for (size_t at = 0; at < headerSize; ++at)
    expectRebuilt(root + "/h" + std::to_string(at), whyFlipped(at),
                  [&](const KernelCache &cache, const std::string &key) {
                    std::string path = cache.entryPath(key);
                    std::string bytes = readAll(path);
                    bytes[at] ^= 0x01;
                    writeAll(path, bytes);
                  });
}

TEST_F(KernelCacheTest, ForeignEntriesAreRebuilt) {
  expectRebuilt(root + "/magic", "not a pfc kernel cache entry",
                [](const KernelCache &cache, const std::string &key) {
                  std::string path = cache.entryPath(key);
                  std::string bytes = readAll(path);
                  bytes.replace(0, 4,
                                "\x7f"
                                "ELF");
                  writeAll(path, bytes);
                });
  expectRebuilt(root + "/version", "of format version 2, not 1",
                [](const KernelCache &cache, const std::string &key) {
                  std::string path = cache.entryPath(key);
                  std::string bytes = readAll(path);
                  bytes[4] = 2;
                  writeAll(path, bytes);
                });
  expectRebuilt(root + "/other", "another key's entry",
                [](const KernelCache &cache, const std::string &key) {
                  std::string other = KernelCache::key({"other"});
                  ASSERT_TRUE(cache.put(other, "another kernel"));
                  ASSERT_EQ(rename(cache.entryPath(other).c_str(),
                                   cache.entryPath(key).c_str()),
                            0);
                });
}

TEST_F(KernelCacheTest, ArbitraryBytesAreMissesNotCrashes) {
  KernelCache cache(root);
  std::string key = KernelCache::key({"fuzz"});
  ASSERT_TRUE(cache.put(key, "payload"));
  std::string good = readAll(cache.entryPath(key));
  std::mt19937 random(7);
  testing::internal::CaptureStderr();
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = good;
    if (i % 2)
      bytes = payloadOf(random() % 80, i);
    for (int flips = random() % 4; flips > 0 && !bytes.empty(); --flips)
      bytes[random() % bytes.size()] = static_cast<char>(random());
    bytes.resize(random() % (bytes.size() + 8));
    writeAll(cache.entryPath(key), bytes);
    std::optional<std::string> got = cache.get(key);
    EXPECT_TRUE(!got || *got == "payload");
  }
  testing::internal::GetCapturedStderr();
}

/// Sets or unsets an environment variable for one scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name(name) {
    if (const char *old = getenv(name))
      saved = old;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { saved ? setenv(name, saved->c_str(), 1) : unsetenv(name); }

private:
  const char *name;
  std::optional<std::string> saved;
};

TEST_F(KernelCacheTest, DirectoryFromTheEnvironment) {
  {
    ScopedEnv dir("PFC_CACHE_DIR", "off");
    EXPECT_EQ(KernelCache::fromEnvironment(), std::nullopt);
  }
  {
    ScopedEnv dir("PFC_CACHE_DIR", root.c_str());
    ASSERT_TRUE(KernelCache::fromEnvironment());
    EXPECT_EQ(KernelCache::fromEnvironment()->directory(), root);
  }
  ScopedEnv dir("PFC_CACHE_DIR", nullptr);
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    ASSERT_TRUE(KernelCache::fromEnvironment());
    EXPECT_EQ(KernelCache::fromEnvironment()->directory(), "/xdg/pfc");
  }
  ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
  {
    ScopedEnv home("HOME", "/home/u");
    ASSERT_TRUE(KernelCache::fromEnvironment());
    EXPECT_EQ(KernelCache::fromEnvironment()->directory(),
              "/home/u/.cache/pfc");
  }
  ScopedEnv home("HOME", nullptr);
  EXPECT_EQ(KernelCache::fromEnvironment(), std::nullopt);
}

/// Expects puts into `cache` to fail with one warning, and gets to miss
/// quietly.
void expectUnwritable(const KernelCache &cache, const std::string &why) {
  std::string key = KernelCache::key({"k"});
  testing::internal::CaptureStderr();
  EXPECT_FALSE(cache.put(key, "payload"));
  EXPECT_FALSE(cache.put(KernelCache::key({"k2"}), "payload"));
  EXPECT_EQ(cache.get(key), std::nullopt);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "pfc: warning: cannot write the kernel cache in " +
                cache.directory() + ": " + why + "; running uncached\n");
}

TEST_F(KernelCacheTest, ARegularFileInTheWayMeansUncached) {
  writeAll(root + "/file", "not a directory");
  expectUnwritable(KernelCache(root + "/file"), "Not a directory");
  expectUnwritable(KernelCache(root + "/file/sub"), "Not a directory");
  EXPECT_EQ(KernelCache(root + "/file").stats().entries, 0);
  EXPECT_EQ(KernelCache(root + "/file").clear(), 0);
}

TEST_F(KernelCacheTest, AReadOnlyDirectoryMeansUncached) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root writes into read-only directories";
  KernelCache cache(root + "/ro");
  ASSERT_TRUE(cache.put(KernelCache::key({"old"}), "old kernel"));
  ASSERT_EQ(chmod(cache.directory().c_str(), 0555), 0);
  expectUnwritable(cache, "Permission denied");
  EXPECT_EQ(cache.get(KernelCache::key({"old"})), "old kernel");
  EXPECT_EQ(cache.stats().entries, 1);
  EXPECT_EQ(cache.clear(), 0);
}

TEST_F(KernelCacheTest, ConcurrentWritersLeaveOneValidEntry) {
  KernelCache cache(root + "/shared");
  std::string key = KernelCache::key({"shared"});
  std::string payload = payloadOf(256 << 10, 3);
  constexpr int children = 8, rounds = 50;
  testing::internal::CaptureStderr();
  std::vector<pid_t> pids;
  for (int child = 0; child < children; ++child) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int status = 0;
      for (int round = 0; round < rounds; ++round) {
        std::string own = KernelCache::key(
            {"own", std::to_string(child), std::to_string(round % 5)});
        if (!cache.put(key, payload) || !cache.put(own, own))
          status = 1;
        std::optional<std::string> got = cache.get(key);
        if (!got || *got != payload || cache.get(own) != own)
          status = 2;
      }
      _exit(status);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = -1;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(cache.get(key), payload);
  for (const std::string &name : listDir(cache.directory()))
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
  EXPECT_EQ(cache.stats().entries, 1 + children * 5);
}

TEST_F(KernelCacheTest, StatsAndClear) {
  KernelCache cache(root + "/c");
  EXPECT_EQ(cache.stats().entries, 0);
  EXPECT_EQ(cache.stats().bytes, 0);
  EXPECT_EQ(cache.clear(), 0);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(cache.put(KernelCache::key({std::to_string(i)}),
                          std::string(100 * i, 'x')));
  KernelCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.entries, 3);
  EXPECT_EQ(stats.bytes, int64_t(3 * headerSize + 300));
  // A temporary file left by a killed writer goes too; other files stay.
  writeAll(cache.directory() + "/" + KernelCache::key({"0"}) +
               ".pfck.tmp.1.2.3",
           "partial");
  writeAll(cache.directory() + "/README", "mine");
  EXPECT_EQ(cache.stats().entries, 3);
  EXPECT_EQ(cache.clear(), 3);
  EXPECT_EQ(listDir(cache.directory()), std::vector<std::string>{"README"});
  EXPECT_EQ(cache.stats().entries, 0);
  EXPECT_EQ(cache.stats().bytes, 0);
}

// What sits under an entry's name may be anything: a link to /dev/zero or
// a FIFO is neither followed nor waited on, but a miss, removed.
TEST_F(KernelCacheTest, LinksAndFifosAreMissesNotHangs) {
  KernelCache cache(root + "/c");
  for (int kind = 0; kind < 3; ++kind) {
    // A key per kind: each path is warned about once per process.
    const std::string key = KernelCache::key({"x", std::to_string(kind)});
    ASSERT_TRUE(cache.put(key, "payload"));
    const std::string path = cache.entryPath(key);
    ASSERT_EQ(::unlink(path.c_str()), 0);
    if (kind == 0)
      ASSERT_EQ(::symlink("/dev/zero", path.c_str()), 0);
    else if (kind == 1)
      ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    else
      ASSERT_EQ(::symlink(cache.entryPath(KernelCache::key({"y"})).c_str(),
                          path.c_str()),
                0);
    if (kind == 2)
      ASSERT_TRUE(cache.put(KernelCache::key({"y"}), "elsewhere"));
    testing::internal::CaptureStderr();
    EXPECT_EQ(cache.get(key), std::nullopt) << kind;
    std::string warning = testing::internal::GetCapturedStderr();
    EXPECT_NE(warning.find("rebuilding"), std::string::npos) << warning;
    struct stat info;
    EXPECT_NE(::lstat(path.c_str(), &info), 0) << "not removed: " << kind;
    ASSERT_TRUE(cache.put(key, "payload"));
    EXPECT_EQ(cache.get(key), std::string("payload"));
  }
}

// clear() says what it could not remove.
TEST_F(KernelCacheTest, ClearReportsWhatItCannotRemove) {
  KernelCache cache(root + "/c");
  ASSERT_TRUE(cache.put(KernelCache::key({"1"}), "one"));
  // A directory under an entry's name cannot be unlinked, even by root.
  const std::string stuck = cache.entryPath(KernelCache::key({"2"}));
  ASSERT_EQ(::mkdir(stuck.c_str(), 0700), 0);
  std::vector<std::string> failures;
  EXPECT_EQ(cache.clear(&failures), 1);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].rfind(stuck + ": ", 0), 0u) << failures[0];
}

} // namespace
