//===- KernelCache.h - Compiled kernels kept on disk ------------*- C++ -*-===//
//
// A directory of `<key>.pfck` files, one per compiled kernel. Entries are
// written to a temporary file and renamed into place, so concurrent writers
// of one key each succeed and leave one whole entry; every entry carries its
// key and a checksum of its payload, so a truncated, corrupted or misplaced
// file reads as a miss (reported, removed, rebuilt by the caller) rather than
// as a kernel. The cache never fails a run: when it cannot be written it says
// so once and the caller runs uncached. Free of LLVM and MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_KERNELCACHE_H
#define PFC_RUNTIME_KERNELCACHE_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pfc {

class KernelCache {
public:
  /// The cache at $PFC_CACHE_DIR, default
  /// ${XDG_CACHE_HOME:-$HOME/.cache}/pfc; std::nullopt when
  /// PFC_CACHE_DIR=off (or when neither it, XDG_CACHE_HOME nor HOME is set).
  static std::optional<KernelCache> fromEnvironment();

  explicit KernelCache(std::string directory);
  const std::string &directory() const { return dir; }

  /// A stable key (32 hex digits, two 64-bit FNV-1a lanes) of `parts`, each
  /// length-prefixed so that ("ab", "c") and ("a", "bc") differ. Callers
  /// include the pfc version, the canonical IR, the target and the options.
  /// Not cryptographic: the cache directory is trusted as much as $HOME.
  static std::string key(const std::vector<std::string> &parts);

  /// The payload stored under `key`, or std::nullopt on a miss. A truncated,
  /// corrupted (checksum), foreign (other key or magic) or other-version
  /// entry is a miss: it is reported on stderr once per path and process
  /// (`pfc: warning: kernel cache entry <path> is <why>; rebuilding`) and
  /// removed. A key that is not 1-128 of [0-9A-Za-z_-] is always a miss.
  std::optional<std::string> get(const std::string &key) const;

  /// Stores `payload` under `key` through a unique temporary file (pid,
  /// counter, random bits) renamed into place; creates the directory. On
  /// failure (read-only, disk full, not a directory) it warns once per cache
  /// directory and process (`pfc: warning: cannot write the kernel cache in
  /// <dir>: <why>; running uncached`) and returns false.
  bool put(const std::string &key, std::string_view payload) const;

  struct Stats {
    int64_t entries = 0;
    int64_t bytes = 0;
  };
  /// The entries and their total size on disk; zeros when the directory
  /// does not exist.
  Stats stats() const;

  /// Removes `key`'s entry, if there is one (an entry that loaded badly).
  void remove(const std::string &key) const;

  /// Removes every entry and stray temporary file; returns how many entries
  /// (not temporary files) it removed. What could not be removed is added
  /// to `failures` as `<path>: <reason>`.
  int64_t clear(std::vector<std::string> *failures = nullptr) const;

  /// The path of `key`'s entry.
  std::string entryPath(const std::string &key) const;

  /// The entry format's version; an entry of another version is a miss.
  static constexpr uint32_t formatVersion = 1;

private:
  std::string dir;
};

} // namespace pfc

#endif // PFC_RUNTIME_KERNELCACHE_H
