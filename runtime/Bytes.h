//===- Bytes.h - Little-endian fields of binary tensor files ----*- C++ -*-===//
//
// Byte-by-byte loads and stores: correct on any host byte order and for
// unaligned data, which a file image usually is.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_BYTES_H
#define PFC_RUNTIME_BYTES_H

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace pfc::bytes {

/// The unsigned little-endian integer in the `width` bytes at `at`.
inline uint64_t loadLE(const char *at, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(at[i]);
  return value;
}

inline void appendLE(std::string &out, uint64_t value, int width) {
  for (int i = 0; i < width; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xff);
}

/// Decodes `count` little-endian float32 values starting at `at`.
inline void loadFloats(const char *at, size_t count, std::vector<float> &out) {
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits = static_cast<uint32_t>(loadLE(at + 4 * i, 4));
    std::memcpy(&out[i], &bits, 4);
  }
}

inline void appendFloats(std::string &out, const std::vector<float> &values) {
  out.reserve(out.size() + 4 * values.size());
  for (float value : values) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    appendLE(out, bits, 4);
  }
}

} // namespace pfc::bytes

#endif // PFC_RUNTIME_BYTES_H
