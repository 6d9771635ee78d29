//===- IdxFuzzer.cpp - libFuzzer target for the IDX data set reader -------===//
//
// The input is split into an images file and a labels file (either may be
// gzip-compressed). They load, with consistent sizes, or are rejected with
// one `<path>: error: …` line.
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"

#include "pfc/Train/Dataset.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view in(reinterpret_cast<const char *>(data), size), a, b;
  pfc::fuzz::split(in, a, b);
  const std::string images = pfc::fuzz::writeInput("images-idx3-ubyte", a);
  const std::string labels = pfc::fuzz::writeInput("labels-idx1-ubyte", b);
  pfc::Dataset set;
  std::string error;
  if (!pfc::loadIdx(images, labels, set, error)) {
    if ((error.rfind(images + ": error: ", 0) != 0 &&
         error.rfind(labels + ": error: ", 0) != 0) ||
        error.find('\n') != std::string::npos)
      std::abort();
    return 0;
  }
  if (set.count < 0 || set.features < 0 ||
      set.inputs.size() != static_cast<size_t>(set.count * set.features) ||
      set.labels.size() != static_cast<size_t>(set.count))
    std::abort();
  for (int32_t label : set.labels)
    if (label < 0 || label >= set.classes)
      std::abort();
  return 0;
}
