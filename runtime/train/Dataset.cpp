//===- Dataset.cpp - IDX files, Fashion-MNIST and a synthetic set ---------===//
//
// IDX: a 4-byte big-endian magic number (two zero bytes, an element type,
// the number of dimensions), one 4-byte big-endian size per dimension, then
// the elements in row-major order and nothing after them. A gzip-compressed
// file is read in two passes: the first inflates only the header, whose sizes
// then bound the second, so a stream that inflates to more than its header
// declares is stopped there rather than allowed to fill memory.
//
//===----------------------------------------------------------------------===//
#include "pfc/Train/Dataset.h"

#include "pfc/Runtime/TensorFile.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace pfc {

namespace {

/// The most data bytes an IDX file may declare.
constexpr uint64_t kMaxDataBytes = uint64_t(1) << 31;
/// The IDX element type of unsigned bytes, the only one read here.
constexpr int kUnsignedByte = 0x08;

bool fail(std::string &error, const std::string &path, const std::string &what,
          const std::string &expected) {
  error = path + ": error: " + what + " (expected " + expected + ")";
  return false;
}

std::string hex(uint32_t value, int digits) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%0*x", digits, value);
  return text;
}

bool isGzip(std::string_view bytes) {
  return bytes.size() >= 2 && bytes[0] == '\x1f' && bytes[1] == '\x8b';
}

/// Inflates the gzip members in `in` into `out`, at most `limit` bytes of
/// them; `more` tells whether the stream holds more than that. On failure
/// sets `what` and `expected`.
bool gunzip(std::string_view in, size_t limit, std::string &out, bool &more,
            std::string &what, std::string &expected) {
  out.clear();
  more = false;
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    what = "zlib cannot start inflating";
    expected = "enough memory";
    return false;
  }
  // The caller has checked that `in` fits zlib's 32-bit count.
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  char chunk[1 << 16];
  bool ok = true;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef *>(chunk);
    stream.avail_out = sizeof(chunk);
    int rc = inflate(&stream, Z_NO_FLUSH);
    size_t produced = sizeof(chunk) - stream.avail_out;
    if (produced > limit - out.size()) {
      out.append(chunk, limit - out.size());
      more = true;
      break;
    }
    out.append(chunk, produced);
    if (rc == Z_STREAM_END) {
      std::string_view rest(reinterpret_cast<const char *>(stream.next_in),
                            stream.avail_in);
      if (rest.empty())
        break;
      if (isGzip(rest) && inflateReset(&stream) == Z_OK)
        continue;
      what = "the file has " + std::to_string(rest.size()) +
             " bytes after its gzip stream";
      expected = "nothing, or another gzip member";
      ok = false;
      break;
    }
    if (rc == Z_OK)
      continue;
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) {
      what = "the gzip stream ends early";
      expected = "the whole stream and its 8-byte trailer";
    } else {
      what = std::string("the gzip stream is corrupt: ") +
             (stream.msg ? stream.msg : "zlib error " + std::to_string(rc));
      expected = "a valid gzip stream";
    }
    ok = false;
    break;
  }
  inflateEnd(&stream);
  return ok;
}

uint32_t loadBE32(const char *at) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value = (value << 8) | static_cast<unsigned char>(at[i]);
  return value;
}

/// Reads the IDX file of unsigned bytes with `rank` dimensions at `path`
/// into `dims` and `content`, whose data starts at byte 4 + 4 * rank.
bool readIdx(const std::string &path, int rank, const char *shapeName,
             std::vector<uint32_t> &dims, std::string &content,
             std::string &error) {
  std::string raw;
  const size_t headerSize = 4 + 4 * static_cast<size_t>(rank);
  ReadLimits limits;
  limits.maxBytes = kMaxDataBytes + headerSize;
  if (!readFileBytes(path, raw, error, limits))
    return false;
  // No IDX file is larger than its largest data, compressed or not; this also
  // keeps a gzip stream within zlib's 32-bit input count.
  if (raw.size() > kMaxDataBytes + headerSize)
    return fail(error, path,
                "the file is " + std::to_string(raw.size()) + " bytes long",
                "at most " + std::to_string(kMaxDataBytes + headerSize));
  const bool gzip = isGzip(raw);
  std::string what, expected;
  bool more;
  if (gzip) {
    if (!gunzip(raw, headerSize, content, more, what, expected))
      return fail(error, path, what, expected);
  } else {
    content = raw.substr(0, headerSize);
  }

  if (content.size() < 4)
    return fail(error, path,
                (gzip ? "the gzip stream inflates to " : "the file is ") +
                    std::to_string(content.size()) + " bytes",
                "at least 4: the IDX magic number");
  const uint32_t magic = loadBE32(content.data());
  const uint32_t type = (magic >> 8) & 0xff, dimensions = magic & 0xff;
  const std::string expectedMagic =
      hex((kUnsignedByte << 8) | rank, 8) + ", unsigned bytes " + shapeName;
  if ((magic >> 16) != 0)
    return fail(error, path, "the magic number is " + hex(magic, 8),
                expectedMagic);
  if (type != kUnsignedByte)
    return fail(error, path,
                "the magic number " + hex(magic, 8) +
                    " declares element type " + hex(type, 2),
                expectedMagic);
  if (dimensions != static_cast<uint32_t>(rank))
    return fail(error, path,
                "the magic number " + hex(magic, 8) + " declares " +
                    std::to_string(dimensions) +
                    (dimensions == 1 ? " dimension" : " dimensions"),
                expectedMagic);
  if (content.size() < headerSize)
    return fail(error, path,
                "the header is truncated after " +
                    std::to_string(content.size()) + " bytes",
                std::to_string(headerSize) + " bytes: magic and " + shapeName);

  dims.clear();
  uint64_t dataBytes = 1;
  std::string shape;
  for (int i = 0; i < rank; ++i) {
    dims.push_back(loadBE32(content.data() + 4 + 4 * i));
    shape += (i ? " x " : "") + std::to_string(dims.back());
    // Stays below 2^63: the product so far is at most 2^31, a size < 2^32.
    dataBytes = std::min(dataBytes * dims.back(), kMaxDataBytes + 1);
  }
  if (dataBytes > kMaxDataBytes)
    return fail(error, path, "the header declares " + shape + " bytes of data",
                "at most " + std::to_string(kMaxDataBytes));

  const size_t total = headerSize + static_cast<size_t>(dataBytes);
  if (gzip) {
    if (!gunzip(raw, total, content, more, what, expected))
      return fail(error, path, what, expected);
    if (more)
      return fail(error, path,
                  "the gzip stream inflates to more than the " +
                      std::to_string(total) + " bytes its header declares",
                  "nothing after the data");
  } else {
    content = std::move(raw);
  }
  const std::string declared = std::to_string(dataBytes) + " bytes of data (" +
                               shape + " " + shapeName + ")";
  if (content.size() < total)
    return fail(error, path,
                "the data is truncated after " +
                    std::to_string(content.size() - headerSize) + " bytes",
                declared);
  if (content.size() > total)
    return fail(error, path,
                "the file has " + std::to_string(content.size() - total) +
                    " bytes after its data",
                declared + " and nothing after them");
  return true;
}

/// splitmix64 (Steele, Lea and Flood): 64 good bits per step from a counter.
struct SplitMix64 {
  uint64_t state;

  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// A draw from N(0, 1) in units of 2^-24: the sum of 12 uniform 24-bit
  /// integers, less its mean. Integers keep it exact on every platform,
  /// where log and cos (Box-Muller) may differ in the last bit.
  int64_t normalFixed24() {
    int64_t sum = 0;
    for (int i = 0; i < 12; ++i)
      sum += static_cast<int64_t>(next() >> 40);
    return sum - 6 * (int64_t(1) << 24);
  }
};

} // namespace

bool loadIdx(const std::string &imagesPath, const std::string &labelsPath,
             Dataset &data, std::string &error) {
  std::vector<uint32_t> imageDims, labelDims;
  std::string images, labels;
  if (!readIdx(imagesPath, 3, "[images, rows, columns]", imageDims, images,
               error) ||
      !readIdx(labelsPath, 1, "[labels]", labelDims, labels, error))
    return false;
  if (labelDims[0] != imageDims[0])
    return fail(error, labelsPath,
                "the file has " + std::to_string(labelDims[0]) + " labels",
                std::to_string(imageDims[0]) + ", one for each image in " +
                    imagesPath);

  Dataset result;
  result.count = imageDims[0];
  result.features = int64_t(imageDims[1]) * imageDims[2];
  result.inputs.resize(static_cast<size_t>(result.count * result.features));
  const char *pixels = images.data() + 16;
  for (size_t i = 0; i < result.inputs.size(); ++i)
    result.inputs[i] = static_cast<unsigned char>(pixels[i]) / 255.0f;
  result.labels.resize(static_cast<size_t>(result.count));
  int32_t largest = 0;
  for (size_t i = 0; i < result.labels.size(); ++i) {
    result.labels[i] = static_cast<unsigned char>(labels[8 + i]);
    largest = std::max(largest, result.labels[i]);
  }
  result.classes = largest + 1;
  data = std::move(result);
  return true;
}

std::string fashionMnistDir() {
  const char *dir = std::getenv("PFC_FASHION_MNIST_DIR");
  return dir && *dir ? dir : "/usr/share/datasets/fashion-mnist";
}

bool loadFashionMnist(const std::string &dir, Dataset &train, Dataset &test,
                      std::string &error) {
  Dataset trainSet, testSet;
  if (!loadIdx(dir + "/train-images-idx3-ubyte.gz",
               dir + "/train-labels-idx1-ubyte.gz", trainSet, error) ||
      !loadIdx(dir + "/t10k-images-idx3-ubyte.gz",
               dir + "/t10k-labels-idx1-ubyte.gz", testSet, error))
    return false;
  if (trainSet.features != testSet.features)
    return fail(
        error, dir + "/t10k-images-idx3-ubyte.gz",
        "the images have " + std::to_string(testSet.features) + " pixels",
        std::to_string(trainSet.features) + ", as many as the training images");
  trainSet.classes = testSet.classes =
      std::max(trainSet.classes, testSet.classes);
  train = std::move(trainSet);
  test = std::move(testSet);
  return true;
}

Dataset syntheticDataset(int64_t count, int64_t features, int64_t classes,
                         uint64_t seed) {
  Dataset data;
  if (count < 0 || features < 1 || classes < 1)
    return data;
  data.count = count;
  data.features = features;
  data.classes = classes;
  SplitMix64 random{seed};
  std::vector<int64_t> centres(static_cast<size_t>(classes * features));
  for (int64_t &coordinate : centres)
    coordinate = random.normalFixed24();
  data.inputs.resize(static_cast<size_t>(count * features));
  data.labels.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t label = static_cast<int64_t>(random.next() % classes);
    data.labels[i] = static_cast<int32_t>(label);
    const int64_t *centre = &centres[label * features];
    float *input = &data.inputs[i * features];
    // centre + noise / 2, in units of 2^-25: below 2^29 in magnitude, so the
    // one rounding is the conversion to float, the same everywhere.
    for (int64_t j = 0; j < features; ++j)
      input[j] = static_cast<float>(
          static_cast<double>(2 * centre[j] + random.normalFixed24()) *
          0x1p-25);
  }
  return data;
}

} // namespace pfc
