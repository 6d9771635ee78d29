//===- TensorTestUtil.h - Random tensors and scratch directories -*- C++
//-*-===//
#ifndef PFC_TESTS_UNIT_TENSORTESTUTIL_H
#define PFC_TESTS_UNIT_TENSORTESTUTIL_H

#include "pfc/Runtime/TensorFile.h"

#include "RandomDraws.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace pfc {

/// A fresh random f32 value: mostly ordinary numbers, sometimes the values a
/// byte-level bug would mangle (signed zero, subnormals, infinities, NaN).
inline float randomFloat(RandomDraws &draw) {
  switch (draw(0, 15)) {
  case 0:
    return -0.0f;
  case 1:
    return std::numeric_limits<float>::denorm_min() * float(draw(1, 1000));
  case 2:
    return draw(0, 1) ? std::numeric_limits<float>::infinity()
                      : -std::numeric_limits<float>::infinity();
  case 3:
    return std::numeric_limits<float>::quiet_NaN();
  default:
    return static_cast<float>(draw.real(-1e6, 1e6));
  }
}

/// A tensor of 0 to `maxRank` dimensions of 0 to `maxDim` elements each.
inline Tensor randomTensor(RandomDraws &draw, int maxRank = 4, int maxDim = 6) {
  Tensor tensor;
  int rank = static_cast<int>(draw(0, maxRank));
  for (int i = 0; i < rank; ++i)
    tensor.shape.push_back(draw(0, 9) == 0 ? 0 : draw(1, maxDim));
  tensor.data.resize(static_cast<size_t>(elementCount(tensor.shape)));
  for (float &value : tensor.data)
    value = randomFloat(draw);
  return tensor;
}

/// Whether two tensors hold the same shape and the same bits (NaN included).
inline bool sameBits(const Tensor &a, const Tensor &b) {
  return a.shape == b.shape && a.data.size() == b.data.size() &&
         (a.data.empty() || std::memcmp(a.data.data(), b.data.data(),
                                        a.data.size() * sizeof(float)) == 0);
}

/// A directory of its own under the test's temporary directory, removed
/// with everything in it when the object goes away.
class ScratchDir {
public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "pfc-test-XXXXXX";
    path = ::mkdtemp(pattern.data()) ? pattern : std::string();
    EXPECT_FALSE(path.empty()) << "cannot create " << pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string &name) const { return path + "/" + name; }
  /// The names of the files in the directory, sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto &entry : std::filesystem::directory_iterator(path))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string path;
};

} // namespace pfc

#endif // PFC_TESTS_UNIT_TENSORTESTUTIL_H
