//===- DatasetTest.cpp - IDX files, Fashion-MNIST and the synthetic set ---===//
#include "pfc/Train/Dataset.h"
#include "pfc/Runtime/TensorFile.h"

#include "RandomDraws.h"
#include "TensorTestUtil.h"

#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

namespace pfc {
namespace {

void appendBE32(std::string &out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((value >> shift) & 0xff);
}

/// An IDX image: magic 0x0000<type><rank>, the sizes, then `data` as is.
std::string idx(int type, const std::vector<uint32_t> &dims,
                const std::string &data) {
  std::string bytes(2, '\0');
  bytes += static_cast<char>(type);
  bytes += static_cast<char>(dims.size());
  for (uint32_t dim : dims)
    appendBE32(bytes, dim);
  return bytes + data;
}

/// `bytes` as one gzip member.
std::string gzip(const std::string &bytes) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + 15, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&stream, bytes.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef *>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::string error;
  ASSERT_TRUE(writeFileAtomically(path, bytes, error)) << error;
}

std::string randomBytes(RandomDraws &draw, size_t size, int below = 256) {
  std::string bytes(size, '\0');
  for (char &byte : bytes)
    byte = static_cast<char>(draw(0, below - 1));
  return bytes;
}

TEST(Dataset, ReadsPlainAndGzipIdxFilesExactly) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  ScratchDir dir;
  for (int round = 0; round < 40; ++round) {
    const uint32_t n = draw(0, 9) == 0 ? 0 : draw(1, 60);
    const uint32_t rows = draw(1, 12), cols = draw(1, 12);
    const std::string pixels = randomBytes(draw, size_t(n) * rows * cols);
    const std::string labels = randomBytes(draw, n, draw(1, 256));
    // Plain or gzip, one gzip member or two, under names that may mislead:
    // the content decides.
    auto encode = [&](const std::string &bytes, const std::string &name) {
      std::string path = dir.file(name + std::to_string(round));
      switch (draw(0, 2)) {
      case 0:
        writeFile(path + ".gz", bytes);
        return path + ".gz";
      case 1:
        writeFile(path, gzip(bytes));
        return path;
      default:
        size_t cut = draw(0, bytes.size());
        writeFile(path + ".gz",
                  gzip(bytes.substr(0, cut)) + gzip(bytes.substr(cut)));
        return path + ".gz";
      }
    };
    const std::string imagesPath = encode(idx(8, {n, rows, cols}, pixels), "i");
    const std::string labelsPath = encode(idx(8, {n}, labels), "l");

    Dataset data;
    std::string error;
    ASSERT_TRUE(loadIdx(imagesPath, labelsPath, data, error)) << error;
    EXPECT_EQ(data.count, n);
    EXPECT_EQ(data.features, int64_t(rows) * cols);
    ASSERT_EQ(data.inputs.size(), pixels.size());
    for (size_t i = 0; i < pixels.size(); ++i)
      ASSERT_EQ(data.inputs[i], static_cast<unsigned char>(pixels[i]) / 255.0f)
          << "pixel " << i;
    ASSERT_EQ(data.labels.size(), n);
    int32_t largest = 0;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(data.labels[i], static_cast<unsigned char>(labels[i]));
      largest = std::max(largest, data.labels[i]);
    }
    EXPECT_EQ(data.classes, largest + 1);
  }
}

TEST(Dataset, ScalesPixelsToTheUnitInterval) {
  ScratchDir dir;
  writeFile(dir.file("i"), idx(8, {1, 1, 3}, std::string("\x00\x80\xff", 3)));
  writeFile(dir.file("l"), idx(8, {1}, std::string(1, '\0')));
  Dataset data;
  std::string error;
  ASSERT_TRUE(loadIdx(dir.file("i"), dir.file("l"), data, error)) << error;
  EXPECT_EQ(data.inputs, (std::vector<float>{0.0f, 128 / 255.0f, 1.0f}));
  EXPECT_EQ(data.classes, 1);
}

TEST(Dataset, ReportsEachKindOfMalformedFile) {
  const std::string images = idx(8, {3, 2, 2}, std::string(12, '\x07'));
  const std::string labels = idx(8, {3}, std::string("\x00\x01\x02", 3));
  const std::string gzImages = gzip(images);
  std::string badCrc = gzImages, badMethod = gzImages;
  badCrc[badCrc.size() - 8] ^= 0x55;
  badMethod[2] = 7;
  std::string bomb = gzip(idx(8, {1, 1, 1}, std::string(16 << 20, '\0')));

  struct Case {
    std::string images, labels;
    bool labelsAtFault; // else the images file is
    bool alsoGzipped;   // the same error for the file gzip-compressed
    std::string message;
  } cases[] = {
      {"", labels, false, true,
       " 0 bytes (expected at least 4: the IDX magic number)"},
      {images.substr(0, 10), labels, false, true,
       "the header is truncated after 10 bytes (expected 16 bytes: magic and "
       "[images, rows, columns])"},
      {images.substr(0, 27), labels, false, true,
       "the data is truncated after 11 bytes (expected 12 bytes of data (3 x "
       "2 x 2 [images, rows, columns]))"},
      {images, labels.substr(0, 10), true, true,
       "the data is truncated after 2 bytes (expected 3 bytes of data (3 "
       "[labels]))"},
      {"\x01\x02" + images.substr(2), labels, false, true,
       "the magic number is 0x01020803 (expected 0x00000803, unsigned bytes "
       "[images, rows, columns])"},
      {idx(0x0d, {3, 2, 2}, std::string(48, '\0')), labels, false, true,
       "the magic number 0x00000d03 declares element type 0x0d (expected "
       "0x00000803, unsigned bytes [images, rows, columns])"},
      {labels, labels, false, true,
       "the magic number 0x00000801 declares 1 dimension (expected 0x00000803"},
      {images, images, true, true,
       "the magic number 0x00000803 declares 3 dimensions (expected "
       "0x00000801, unsigned bytes [labels])"},
      {images + "xyz", labels, false, false,
       "the file has 3 bytes after its data (expected 12 bytes of data (3 x 2 "
       "x 2 [images, rows, columns]) and nothing after them)"},
      {gzip(images + "xyz"), labels, false, false,
       "the gzip stream inflates to more than the 28 bytes its header "
       "declares (expected nothing after the data)"},
      {gzImages + "junk", labels, false, false,
       "the file has 4 bytes after its gzip stream (expected nothing, or "
       "another gzip member)"},
      {gzImages.substr(0, gzImages.size() - 3), labels, false, false,
       "the gzip stream ends early"},
      {gzImages.substr(0, 12), labels, false, false,
       "the gzip stream ends early"},
      {badCrc, labels, false, false,
       "the gzip stream is corrupt: incorrect data check (expected a valid "
       "gzip stream)"},
      {badMethod, labels, false, false,
       "the gzip stream is corrupt: unknown compression method"},
      {bomb, labels, false, false,
       "the gzip stream inflates to more than the 17 bytes its header "
       "declares"},
      {images, idx(8, {2}, "ab"), true, true,
       "the file has 2 labels (expected 3, one for each image in "},
      {idx(8, {0xffffffff, 0xffffffff, 0xffffffff}, ""), labels, false, true,
       "the header declares 4294967295 x 4294967295 x 4294967295 bytes of "
       "data (expected at most 2147483648)"},
      {idx(8, {32769, 256, 256}, ""), labels, false, true,
       "the header declares 32769 x 256 x 256 bytes of data (expected at most "
       "2147483648)"},
      {images, idx(8, {0x80000001}, ""), true, true,
       "the header declares 2147483649 bytes of data"},
      // Exactly the limit is allowed, and found truncated.
      {idx(8, {32768, 256, 256}, "ab"), labels, false, true,
       "the data is truncated after 2 bytes (expected 2147483648 bytes"},
  };
  ScratchDir dir;
  const std::string imagesPath = dir.file("images"),
                    labelsPath = dir.file("labels");
  for (const Case &c : cases) {
    for (bool gzipped : {false, true}) {
      if (gzipped && !c.alsoGzipped)
        continue;
      SCOPED_TRACE(c.message + (gzipped ? " (gzip)" : ""));
      const bool gzipImages = gzipped && !c.labelsAtFault;
      const bool gzipLabels = gzipped && c.labelsAtFault;
      writeFile(imagesPath, gzipImages ? gzip(c.images) : c.images);
      writeFile(labelsPath, gzipLabels ? gzip(c.labels) : c.labels);
      Dataset data;
      data.count = 99;
      std::string error;
      EXPECT_FALSE(loadIdx(imagesPath, labelsPath, data, error));
      const std::string &fault = c.labelsAtFault ? labelsPath : imagesPath;
      EXPECT_EQ(error.rfind(fault + ": error: ", 0), 0u) << error;
      EXPECT_NE(error.find(c.message), std::string::npos) << error;
      EXPECT_EQ(error.find('\n'), std::string::npos) << error;
      EXPECT_EQ(data.count, 99) << "a failed load changed its output";
    }
  }

  // A missing file, either one.
  writeFile(imagesPath, images);
  writeFile(labelsPath, labels);
  Dataset data;
  std::string error;
  EXPECT_FALSE(loadIdx(dir.file("none"), labelsPath, data, error));
  EXPECT_EQ(error, dir.file("none") +
                       ": error: cannot read the file: No such file or "
                       "directory");
  EXPECT_FALSE(loadIdx(imagesPath, dir.file("none"), data, error));
  EXPECT_EQ(error.rfind(dir.file("none") + ": error: ", 0), 0u) << error;
  ASSERT_TRUE(loadIdx(imagesPath, labelsPath, data, error)) << error;
  EXPECT_EQ(data.classes, 3);
}

/// Restores an environment variable when it goes out of scope.
class ScopedEnv {
public:
  explicit ScopedEnv(const char *name) : name(name) {
    const char *value = std::getenv(name);
    saved = value != nullptr;
    if (saved)
      old = value;
  }
  ~ScopedEnv() {
    if (saved)
      ::setenv(name, old.c_str(), 1);
    else
      ::unsetenv(name);
  }

private:
  const char *name;
  bool saved;
  std::string old;
};

TEST(Dataset, FashionMnistDirFollowsTheEnvironment) {
  ScopedEnv restore("PFC_FASHION_MNIST_DIR");
  ::unsetenv("PFC_FASHION_MNIST_DIR");
  EXPECT_EQ(fashionMnistDir(), "/usr/share/datasets/fashion-mnist");
  ::setenv("PFC_FASHION_MNIST_DIR", "", 1);
  EXPECT_EQ(fashionMnistDir(), "/usr/share/datasets/fashion-mnist");
  ::setenv("PFC_FASHION_MNIST_DIR", "/data/fm", 1);
  EXPECT_EQ(fashionMnistDir(), "/data/fm");

  ScratchDir dir;
  Dataset train, test;
  std::string error;
  EXPECT_FALSE(loadFashionMnist(dir.path, train, test, error));
  EXPECT_EQ(
      error.rfind(dir.file("train-images-idx3-ubyte.gz") + ": error: ", 0), 0u)
      << error;
}

TEST(Dataset, LoadsFashionMnist) {
  const std::string dir = fashionMnistDir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST is not in " << dir
                 << " (install Debian's dataset-fashion-mnist, or set "
                    "PFC_FASHION_MNIST_DIR)";
  Dataset train, test;
  std::string error;
  ASSERT_TRUE(loadFashionMnist(dir, train, test, error)) << error;
  for (const Dataset *set : {&train, &test}) {
    const int64_t count = set == &train ? 60000 : 10000;
    SCOPED_TRACE(count);
    EXPECT_EQ(set->count, count);
    EXPECT_EQ(set->features, 28 * 28);
    EXPECT_EQ(set->classes, 10);
    ASSERT_EQ(set->inputs.size(), size_t(count) * 784);
    float lo = 1, hi = 0;
    for (float value : set->inputs) {
      lo = std::min(lo, value);
      hi = std::max(hi, value);
    }
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
    std::vector<int64_t> histogram(10);
    for (int32_t label : set->labels) {
      ASSERT_GE(label, 0);
      ASSERT_LT(label, 10);
      ++histogram[label];
    }
    EXPECT_EQ(histogram, std::vector<int64_t>(10, count / 10));
  }
}

/// FNV-1a over the set's values, byte by byte in little-endian order.
uint64_t fingerprint(const Dataset &data) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto mix = [&](uint32_t word) {
    for (int i = 0; i < 4; ++i)
      hash = (hash ^ ((word >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
  };
  for (float value : data.inputs) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    mix(bits);
  }
  for (int32_t label : data.labels)
    mix(static_cast<uint32_t>(label));
  return hash;
}

TEST(Dataset, SyntheticSetIsTheSameForOneSeedEverywhere) {
  Dataset a = syntheticDataset(300, 12, 5, 7);
  Dataset b = syntheticDataset(300, 12, 5, 7);
  EXPECT_EQ(fingerprint(a), fingerprint(b));
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(fingerprint(a), fingerprint(syntheticDataset(300, 12, 5, 8)));
  // Pinned (and reproduced by a Python transcription of the generator): any
  // platform, compiler or change that moves a bit shows here.
  EXPECT_EQ(fingerprint(a), 0x3f180f94abc4f953ull)
      << std::hex << fingerprint(a);

  for (auto [count, features, classes] :
       {std::tuple<int64_t, int64_t, int64_t>{0, 3, 2},
        {5, 0, 2},
        {5, 3, 0},
        {-1, 3, 2}}) {
    Dataset empty = syntheticDataset(count, features, classes, 1);
    EXPECT_EQ(empty.count + empty.features + empty.classes, count == 0 ? 5 : 0);
    EXPECT_TRUE(empty.inputs.empty() && empty.labels.empty());
  }
}

TEST(Dataset, SyntheticSetIsLearnable) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (auto [count, features, classes] :
       {std::tuple<int64_t, int64_t, int64_t>{2000, 8, 10},
        {1000, 32, 4},
        {400, 784, 10},
        {500, 16, 2}}) {
    const uint64_t seed = static_cast<uint64_t>(draw(0, 1 << 30));
    SCOPED_TRACE("seed " + std::to_string(seed) + ", " +
                 std::to_string(features) + " features");
    Dataset data = syntheticDataset(count, features, classes, seed);
    ASSERT_EQ(data.count, count);
    ASSERT_EQ(data.features, features);
    ASSERT_EQ(data.classes, classes);
    ASSERT_EQ(data.inputs.size(), size_t(count * features));
    ASSERT_EQ(data.labels.size(), size_t(count));
    std::vector<int64_t> seen(classes);
    for (int32_t label : data.labels) {
      ASSERT_GE(label, 0);
      ASSERT_LT(label, classes);
      ++seen[label];
    }
    for (int64_t c = 0; c < classes; ++c)
      EXPECT_GT(seen[c], count / classes / 2) << "class " << c;

    // Nearest centroid, fitted on the first half, tested on the second.
    const int64_t half = count / 2;
    std::vector<double> centroid(classes * features), within(features);
    std::vector<int64_t> members(classes);
    for (int64_t i = 0; i < half; ++i) {
      ++members[data.labels[i]];
      for (int64_t j = 0; j < features; ++j)
        centroid[data.labels[i] * features + j] +=
            data.inputs[i * features + j];
    }
    for (int64_t c = 0; c < classes; ++c)
      for (int64_t j = 0; j < features; ++j)
        centroid[c * features + j] /= std::max<int64_t>(members[c], 1);
    int64_t right = 0;
    double spread = 0;
    for (int64_t i = half; i < count; ++i) {
      int64_t best = 0;
      double bestDistance = 1e300;
      for (int64_t c = 0; c < classes; ++c) {
        double distance = 0;
        for (int64_t j = 0; j < features; ++j) {
          double d = data.inputs[i * features + j] - centroid[c * features + j];
          distance += d * d;
        }
        if (c == data.labels[i])
          spread += distance / features;
        if (distance < bestDistance) {
          bestDistance = distance;
          best = c;
        }
      }
      right += best == data.labels[i];
    }
    EXPECT_GT(right, 0.9 * (count - half));
    // The noise has variance 0.25 per coordinate, as documented.
    EXPECT_NEAR(spread / (count - half), 0.25, 0.05);
  }
}

} // namespace
} // namespace pfc
