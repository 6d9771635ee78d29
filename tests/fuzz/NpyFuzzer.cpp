//===- NpyFuzzer.cpp - libFuzzer target for the .npy reader ---------------===//
//
// Any input decodes or is rejected with one `<source>: error: …` line; an
// array that decodes survives an encode/decode round trip bit for bit.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/TensorFile.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  pfc::Tensor tensor;
  std::string error;
  if (!pfc::decodeNpy(bytes, "fuzz.npy", tensor, error)) {
    if (error.rfind("fuzz.npy: error: ", 0) != 0 ||
        error.find('\n') != std::string::npos)
      std::abort();
    return 0;
  }
  std::string encoded;
  pfc::Tensor back;
  if (!pfc::encodeNpy(tensor, encoded, error) ||
      !pfc::decodeNpy(encoded, "again.npy", back, error) ||
      back.shape != tensor.shape || back.data.size() != tensor.data.size() ||
      (!back.data.empty() && std::memcmp(back.data.data(), tensor.data.data(),
                                         4 * back.data.size()) != 0))
    std::abort();
  return 0;
}
