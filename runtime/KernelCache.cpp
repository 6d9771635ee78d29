//===- KernelCache.cpp - Compiled kernels kept on disk between runs -------===//
//
// Entry layout, little-endian: "PFCK", format version (u32), key length
// (u32) and key bytes, payload length (u64), FNV-1a 64 of the payload (u64),
// payload. Every field is checked against the bytes actually read.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/KernelCache.h"

#include "pfc/Runtime/AtomicFile.h"
#include "pfc/Runtime/TensorFile.h"

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pfc {

static constexpr char magic[4] = {'P', 'F', 'C', 'K'};
static constexpr std::string_view entrySuffix = ".pfck";
static constexpr std::string_view tempMarker = ".pfck.tmp.";
static constexpr size_t maxKeyLength = 128;
/// Far more than any object or cubin pfc writes (a few MB).
static constexpr uint64_t maxEntryBytes = uint64_t(1) << 30;

static constexpr uint64_t fnvPrime = 0x100000001b3ULL;
static constexpr uint64_t fnvBasis = 0xcbf29ce484222325ULL;

static uint64_t fnv1a(uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes)
    hash = (hash ^ c) * fnvPrime;
  return hash;
}

static void appendLE(std::string &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

static uint64_t readLE(std::string_view in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= uint64_t(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  return value;
}

/// splitmix64's finaliser, so that the key's digits all depend on every part.
static uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static bool validKey(const std::string &key) {
  if (key.empty() || key.size() > maxKeyLength)
    return false;
  for (char c : key)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return false;
  return true;
}

static bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<KernelCache> KernelCache::fromEnvironment() {
  auto env = [](const char *name) -> std::string {
    const char *value = std::getenv(name);
    return value ? value : "";
  };
  std::string dir = env("PFC_CACHE_DIR");
  if (dir == "off")
    return std::nullopt;
  if (!dir.empty())
    return KernelCache(dir);
  // The XDG rule: a relative XDG_CACHE_HOME is ignored.
  std::string xdg = env("XDG_CACHE_HOME");
  if (!xdg.empty() && xdg[0] == '/')
    return KernelCache(xdg + "/pfc");
  std::string home = env("HOME");
  if (home.empty())
    return std::nullopt;
  return KernelCache(home + "/.cache/pfc");
}

KernelCache::KernelCache(std::string directory) : dir(std::move(directory)) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
}

std::string KernelCache::key(const std::vector<std::string> &parts) {
  std::string lengths;
  uint64_t a = fnvBasis, b = fnvBasis ^ 0x9e3779b97f4a7c15ULL;
  for (const std::string &part : parts) {
    lengths.clear();
    appendLE(lengths, part.size(), 8);
    a = fnv1a(fnv1a(a, lengths), part);
    b = fnv1a(fnv1a(b, part), lengths);
  }
  char digits[33];
  std::snprintf(digits, sizeof(digits), "%016llx%016llx",
                static_cast<unsigned long long>(mix(a)),
                static_cast<unsigned long long>(mix(b ^ parts.size())));
  return digits;
}

std::string KernelCache::entryPath(const std::string &key) const {
  return dir + "/" + key + std::string(entrySuffix);
}

/// Why `bytes` is not a valid entry for `key`, or nullptr when it is; on
/// success `payload` is set.
static const char *checkEntry(std::string_view bytes, const std::string &key,
                              std::string_view &payload, std::string &why) {
  if (bytes.size() < 8)
    return bytes.size() < 4 || std::memcmp(bytes.data(), magic, 4) == 0
               ? "truncated"
               : "not a pfc kernel cache entry";
  if (std::memcmp(bytes.data(), magic, 4) != 0)
    return "not a pfc kernel cache entry";
  uint64_t version = readLE(bytes, 4, 4);
  if (version != KernelCache::formatVersion) {
    why = "of format version " + std::to_string(version) + ", not " +
          std::to_string(KernelCache::formatVersion);
    return why.c_str();
  }
  if (bytes.size() < 12)
    return "truncated";
  uint64_t keyLength = readLE(bytes, 8, 4);
  if (keyLength > maxKeyLength)
    return "corrupted (bad key length)";
  size_t header = 12 + keyLength + 16;
  if (bytes.size() < header)
    return "truncated";
  if (bytes.substr(12, keyLength) != key)
    return "another key's entry";
  uint64_t payloadLength = readLE(bytes, 12 + keyLength, 8);
  uint64_t checksum = readLE(bytes, 20 + keyLength, 8);
  if (payloadLength > bytes.size() - header)
    return "truncated";
  if (payloadLength < bytes.size() - header)
    return "corrupted (trailing bytes)";
  payload = bytes.substr(header);
  if (fnv1a(fnvBasis, payload) != checksum)
    return "corrupted (checksum mismatch)";
  return nullptr;
}

static std::mutex warningMutex;

/// True the first time `what` is seen in this process.
static bool firstTime(const std::string &what) {
  static std::set<std::string> seen;
  std::lock_guard<std::mutex> lock(warningMutex);
  return seen.insert(what).second;
}

std::optional<std::string> KernelCache::get(const std::string &key) const {
  if (!validKey(key))
    return std::nullopt;
  std::string path = entryPath(key), bytes, error;
  // A missing or unreadable entry is a plain miss. Only a regular file of a
  // bounded size is read: a link (to /dev/zero, say) or a FIFO in the cache
  // is not followed or waited on, but reported and removed like any other
  // bad entry.
  ReadLimits limits;
  limits.maxBytes = maxEntryBytes;
  limits.regularOnly = true;
  if (!readFileBytes(path, bytes, error, limits)) {
    struct stat info;
    if (::lstat(path.c_str(), &info) != 0)
      return std::nullopt;
    if (firstTime("get:" + path))
      std::fprintf(stderr,
                   "pfc: warning: kernel cache entry %s is unreadable (%s); "
                   "rebuilding\n",
                   path.c_str(), error.c_str());
    ::unlink(path.c_str());
    return std::nullopt;
  }
  std::string_view payload;
  std::string why;
  if (const char *bad = checkEntry(bytes, key, payload, why)) {
    if (firstTime("get:" + path))
      std::fprintf(stderr,
                   "pfc: warning: kernel cache entry %s is %s; rebuilding\n",
                   path.c_str(), bad);
    // A writer may have renamed a good entry in since the read; removing it
    // costs one rebuild, never a wrong kernel.
    ::unlink(path.c_str());
    return std::nullopt;
  }
  return std::string(payload);
}

/// Creates `dir` and its parents; returns 0 or an errno value.
static int makeDirectories(const std::string &dir) {
  for (size_t slash = 0; slash != std::string::npos;) {
    slash = dir.find('/', slash + 1);
    std::string prefix = dir.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      return errno;
  }
  struct stat info;
  if (::stat(dir.c_str(), &info) != 0)
    return errno;
  return S_ISDIR(info.st_mode) ? 0 : ENOTDIR;
}

bool KernelCache::put(const std::string &key, std::string_view payload) const {
  if (!validKey(key))
    return false;
  std::string entry(magic, 4);
  appendLE(entry, formatVersion, 4);
  appendLE(entry, key.size(), 4);
  entry += key;
  appendLE(entry, payload.size(), 8);
  appendLE(entry, fnv1a(fnvBasis, payload), 8);
  entry += payload;
  int code = makeDirectories(dir);
  // No fsync: an entry cut short by a crash fails its checksum and is rebuilt.
  std::string error;
  if (!code && writeFileAtomically(entryPath(key), entry, error,
                                   WriteOptions{/*durable=*/false}))
    return true;
  if (!code)
    code = errno;
  if (firstTime("put:" + dir))
    std::fprintf(stderr,
                 "pfc: warning: cannot write the kernel cache in %s: %s; "
                 "running uncached\n",
                 dir.c_str(), std::strerror(code));
  return false;
}

/// Calls `visit(name, path)` for every entry or temporary file of `dir`.
template <typename Visit>
static void forEachFile(const std::string &dir, Visit visit) {
  DIR *stream = ::opendir(dir.c_str());
  if (!stream)
    return;
  while (dirent *item = ::readdir(stream)) {
    std::string_view name = item->d_name;
    bool temp = name.find(tempMarker) != std::string_view::npos;
    if (temp || endsWith(name, entrySuffix))
      visit(temp, dir + "/" + std::string(name));
  }
  ::closedir(stream);
}

KernelCache::Stats KernelCache::stats() const {
  Stats stats;
  forEachFile(dir, [&](bool temp, const std::string &path) {
    struct stat info;
    if (temp || ::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
      return;
    ++stats.entries;
    stats.bytes += info.st_size;
  });
  return stats;
}

void KernelCache::remove(const std::string &key) const {
  if (validKey(key))
    ::unlink(entryPath(key).c_str());
}

int64_t KernelCache::clear(std::vector<std::string> *failures) const {
  std::vector<std::pair<bool, std::string>> files;
  forEachFile(dir, [&](bool temp, const std::string &path) {
    files.emplace_back(temp, path);
  });
  int64_t removed = 0;
  for (const auto &[temp, path] : files) {
    if (::unlink(path.c_str()) == 0) {
      removed += !temp;
    } else if (errno != ENOENT && failures) {
      // ENOENT: another process removed or renamed it meanwhile.
      failures->push_back(path + ": " + std::strerror(errno));
    }
  }
  return removed;
}

} // namespace pfc
