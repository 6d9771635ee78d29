//===- SafetensorsFuzzer.cpp - libFuzzer target for safetensors -----------===//
//
// Any input decodes or is rejected with one `<source>: error: …` line; a
// file that decodes survives an encode/decode round trip bit for bit.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/TensorFile.h"

#include <cstdlib>
#include <cstring>

static bool sameBits(const pfc::Tensor &a, const pfc::Tensor &b) {
  return a.shape == b.shape && a.data.size() == b.data.size() &&
         (a.data.empty() ||
          std::memcmp(a.data.data(), b.data.data(), 4 * a.data.size()) == 0);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  pfc::TensorMap tensors;
  pfc::TensorMetadata metadata;
  std::string error;
  if (!pfc::decodeSafetensors(bytes, "fuzz.safetensors", tensors, metadata,
                              error)) {
    if (error.rfind("fuzz.safetensors: error: ", 0) != 0 ||
        error.find('\n') != std::string::npos)
      std::abort();
    return 0;
  }
  std::string encoded;
  pfc::TensorMap back;
  pfc::TensorMetadata backMetadata;
  if (!pfc::encodeSafetensors(tensors, metadata, encoded, error) ||
      !pfc::decodeSafetensors(encoded, "again", back, backMetadata, error) ||
      backMetadata != metadata || back.size() != tensors.size())
    std::abort();
  for (const auto &[name, tensor] : tensors)
    if (!back.count(name) || !sameBits(back.at(name), tensor))
      std::abort();
  return 0;
}
