//===- CacheEntryFuzzer.cpp - libFuzzer target for kernel cache entries ---===//
//
// Whatever bytes sit under an entry's name, get() returns the payload of a
// well-formed entry of that key, or a miss (and removes the bad entry);
// never a crash. A put followed by a get returns what was put.
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"

#include "pfc/Runtime/KernelCache.h"

#include <cstdlib>

#include <sys/stat.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  pfc::KernelCache cache(pfc::fuzz::scratchDirectory() + "/cache");
  const std::string key = "0123456789abcdef0123456789abcdef";
  ::mkdir(cache.directory().c_str(), 0700);
  pfc::fuzz::writeInput("cache/" + key + ".pfck", bytes);
  std::optional<std::string> payload = cache.get(key);
  if (payload) {
    // A hit is only ever a whole entry of this key around its payload.
    if (bytes.size() < payload->size() ||
        bytes.substr(bytes.size() - payload->size()) != *payload ||
        bytes.substr(0, 4) != "PFCK")
      std::abort();
  }
  if (!cache.put(key, bytes) || cache.get(key) != std::string(bytes))
    std::abort();
  return 0;
}
