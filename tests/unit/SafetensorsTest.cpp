//===- SafetensorsTest.cpp - safetensors round trips and malformed files --===//
#include "pfc/Runtime/TensorFile.h"

#include "RandomDraws.h"
#include "TensorTestUtil.h"

#include <gtest/gtest.h>

#include <string>

namespace pfc {
namespace {

/// A safetensors image: the 8-byte length, `header` as is, then `data`.
std::string image(const std::string &header, const std::string &data = "") {
  std::string bytes;
  for (int i = 0; i < 8; ++i)
    bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + data;
}

/// The error decoding `bytes` gives, or "" when it decodes.
std::string decodeError(const std::string &bytes) {
  TensorMap tensors;
  TensorMetadata metadata;
  std::string error;
  if (decodeSafetensors(bytes, "bad.safetensors", tensors, metadata, error))
    return "";
  EXPECT_EQ(error.rfind("bad.safetensors: error: ", 0), 0u) << error;
  return error;
}

std::string randomName(RandomDraws &draw) {
  static const char *const pieces[] = {"w",  "blocks", ".",   "gate", "\"",
                                       "\\", "\n",     "é",   "∑",    "𝔘",
                                       "/",  " ",      "\x01"};
  std::string name;
  int count = static_cast<int>(draw(1, 4));
  for (int i = 0; i < count; ++i)
    name += pieces[draw(0, std::size(pieces) - 1)];
  return name;
}

TEST(Safetensors, RoundTripsRandomTensorsAndMetadata) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int round = 0; round < 200; ++round) {
    TensorMap tensors;
    TensorMetadata metadata;
    for (int64_t i = draw(0, 6); i > 0; --i)
      tensors[randomName(draw)] = randomTensor(draw);
    for (int64_t i = draw(0, 3); i > 0; --i)
      metadata[randomName(draw)] = randomName(draw);

    std::string bytes, error;
    ASSERT_TRUE(encodeSafetensors(tensors, metadata, bytes, error)) << error;
    TensorMap readTensors;
    TensorMetadata readMetadata;
    ASSERT_TRUE(
        decodeSafetensors(bytes, "mem", readTensors, readMetadata, error))
        << error;
    EXPECT_EQ(readMetadata, metadata);
    ASSERT_EQ(readTensors.size(), tensors.size());
    for (const auto &[name, tensor] : tensors)
      EXPECT_TRUE(sameBits(readTensors[name], tensor)) << name;
  }
}

TEST(Safetensors, LaysOutTheFileAsTheLibraryDoes) {
  TensorMap tensors = {{"b", {{2}, {1.0f, 2.0f}}}, {"a", {{}, {-1.5f}}}};
  std::string bytes, error;
  ASSERT_TRUE(encodeSafetensors(tensors, {{"format", "pt"}}, bytes, error));
  const uint64_t headerBytes = static_cast<unsigned char>(bytes[0]) |
                               static_cast<unsigned char>(bytes[1]) << 8;
  EXPECT_EQ(headerBytes % 8, 0u) << "data starts 8-byte aligned";
  const std::string json = "{\"__metadata__\":{\"format\":\"pt\"},"
                           "\"a\":{\"dtype\":\"F32\",\"shape\":[],"
                           "\"data_offsets\":[0,4]},"
                           "\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                           "\"data_offsets\":[4,12]}}";
  ASSERT_GE(headerBytes, json.size());
  EXPECT_LT(headerBytes - json.size(), 8u) << "padded with spaces only";
  EXPECT_EQ(bytes.substr(8, headerBytes),
            json + std::string(headerBytes - json.size(), ' '));
  // -1.5f, 1.0f, 2.0f little-endian.
  EXPECT_EQ(
      bytes.substr(8 + headerBytes),
      std::string("\x00\x00\xc0\xbf\x00\x00\x80\x3f\x00\x00\x00\x40", 12));
}

TEST(Safetensors, ReadsAHandWrittenFile) {
  // Offsets in any order, spaces in the JSON, escapes (a surrogate pair too).
  std::string bytes = image(
      " {\"__metadata__\": {}, \"z\\u00e9\\ud835\\udd18\": {\"shape\": [1], "
      "\"dtype\": \"F32\", \"data_offsets\": [4, 8]},\n"
      "\"e\": {\"data_offsets\": [0, 4], \"dtype\": \"F32\", \"shape\": []}} ",
      std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
  TensorMap tensors;
  TensorMetadata metadata;
  std::string error;
  ASSERT_TRUE(decodeSafetensors(bytes, "mem", tensors, metadata, error))
      << error;
  EXPECT_TRUE(metadata.empty());
  EXPECT_EQ(tensors["e"], (Tensor{{}, {1.0f}}));
  EXPECT_EQ(tensors["zé𝔘"], (Tensor{{1}, {-2.0f}}));
}

// A header of millions of tiny values (`[]`, three bytes each) is refused
// within a bounded amount of memory, not after building gigabytes of tree.
TEST(Safetensors, HugeHeadersOfTinyValuesAreRefused) {
  std::string header = "{\"a\":[";
  for (int i = 0; i < 2000000; ++i)
    header += i ? ",[]" : "[]";
  header += "]}";
  TensorMap tensors;
  TensorMetadata metadata;
  std::string error;
  EXPECT_FALSE(decodeSafetensors(image(header), "many.safetensors", tensors,
                                 metadata, error));
  EXPECT_NE(error.find("many.safetensors: error: the header is not valid "
                       "JSON: more than 1048576 values"),
            std::string::npos)
      << error;
}

TEST(Safetensors, ReportsEachKindOfMalformedFile) {
  const std::string f32 = "\"dtype\":\"F32\"";
  const std::string four(4, '\0'), eight(8, '\0');
  struct Case {
    std::string bytes, message;
  } cases[] = {
      {"", "the file is 0 bytes long (expected at least 8: the header "
           "length)"},
      {std::string("\x02\x00\x00", 3), "the file is 3 bytes long"},
      {image("{}").substr(0, 8) + "{", "the header length 2 runs past the end "
                                       "of the file (expected at most 1)"},
      {std::string("\xff\xff\xff\xff\xff\xff\xff\xff{}", 10),
       "the header length 18446744073709551615 is too large"},
      {image("{\"a\":"), "the header is not valid JSON: syntax error while "
                         "parsing value - unexpected end of input"},
      {image("not json"), "the header is not valid JSON: syntax error while "
                          "parsing value - invalid literal"},
      {image("{\"a\":{},}"), "the header is not valid JSON"},
      {image("{\"a\":\"\xff\"}"), "ill-formed UTF-8 byte; last read: "
                                  "'\"\\xff'"},
      {image("{\"a\":\"\x01\"}"), "control character U+0001 (SOH) must be "
                                  "escaped"},
      {image("{\"\\ud800\":1}"), "surrogate U+D800..U+DBFF must be followed"},
      {image(std::string(100000, '[')), "nesting deeper than 64 levels"},
      {image("[]"), "the header is an array (expected a JSON object)"},
      {image("{} x"), "expected end of input"},
      {image("{\"a\":3}"), "tensor 'a' is described by a number (expected an "
                           "object with dtype, shape and data_offsets)"},
      {image("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,"
             "4]}}",
             four),
       "tensor 'a' has dtype BF16 (expected F32: pfc reads float32 tensors "
       "only)"},
      {image("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,"
             "4]}}",
             four),
       "tensor 'a' has an unknown dtype 'F33' (expected F32)"},
      {image("{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}",
             four),
       "tensor 'a' has a number for its dtype"},
      {image("{\"a\":{" + f32 + ",\"shape\":[1],\"data_offsets\":[0,8]}}",
             four),
       "tensor 'a' has data_offsets [0, 8] past the end of the data (expected "
       "at most 4 bytes)"},
      {image("{\"a\":{" + f32 +
                 ",\"shape\":[1],\"data_offsets\":[0,"
                 "99999999999999999999]}}",
             four),
       "tensor 'a' has malformed data_offsets"},
      {image("{\"a\":{" + f32 + ",\"shape\":[2],\"data_offsets\":[0,4]}}",
             four),
       "tensor 'a' has 4 bytes of data for shape [2] (expected 8: 4 bytes per "
       "F32 element)"},
      {image("{\"a\":{" + f32 + ",\"shape\":[1],\"data_offsets\":[4,0]}}",
             four),
       "data_offsets [4, 0] that end before they begin"},
      {image("{\"a\":{" + f32 + ",\"shape\":[-1],\"data_offsets\":[0,4]}}",
             four),
       "tensor 'a' has a malformed shape"},
      {image("{\"a\":{" + f32 + ",\"shape\":[1.0],\"data_offsets\":[0,4]}}",
             four),
       "tensor 'a' has a malformed shape"},
      {image("{\"a\":{" + f32 + ",\"shape\":{},\"data_offsets\":[0,4]}}", four),
       "tensor 'a' has a malformed shape"},
      {image("{\"a\":{" + f32 +
                 ",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}",
             four),
       "too many elements"},
      {image("{\"a\":{" + f32 + ",\"shape\":[1],\"data_offsets\":[0]}}", four),
       "tensor 'a' has malformed data_offsets (expected [begin, end], two "
       "non-negative integers)"},
      {image("{\"a\":{" + f32 + ",\"shape\":[1]}}", four),
       "tensor 'a' has no 'data_offsets' (expected dtype, shape and "
       "data_offsets)"},
      {image("{\"a\":{" + f32 +
                 ",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
             four),
       "tensor 'a' has an unknown field 'x'"},
      {image("{\"a\":{" + f32 + "," + f32 +
                 ",\"shape\":[1],\"data_offsets\":[0,4]}}",
             four),
       "tensor 'a' has two 'dtype' fields"},
      {image("{\"a\":{" + f32 +
                 ",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"a\":{" +
                 f32 + ",\"shape\":[1],\"data_offsets\":[4,8]}}",
             eight),
       "the header lists tensor 'a' twice (expected each name once)"},
      {image("{\"a\":{" + f32 + ",\"shape\":[1],\"data_offsets\":[4,8]}}",
             eight),
       "the 4 bytes before tensor 'a' belong to no tensor"},
      {image("{\"a\":{" + f32 +
                 ",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"b\":{" +
                 f32 + ",\"shape\":[1],\"data_offsets\":[0,4]}}",
             four),
       "tensors 'a' and 'b' overlap"},
      {image("{\"a\":{" + f32 + ",\"shape\":[1],\"data_offsets\":[0,4]}}",
             eight),
       "the data section has 4 bytes after the last tensor (expected none)"},
      {image("{}", four), "the data section has 4 bytes after the last tensor"},
      {image("{\"__metadata__\":{\"k\":1}}"),
       "metadata 'k' is a number (expected a string)"},
      {image("{\"__metadata__\":[]}"),
       "'__metadata__' is an array (expected an object of strings)"},
      {image("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}"),
       "metadata 'k' appears twice"},
      {image("{\"__metadata__\":{},\"__metadata__\":{}}"),
       "the header has two '__metadata__' entries"},
  };
  for (const Case &c : cases) {
    std::string error = decodeError(c.bytes);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "got:  " << error << "\nwant: " << c.message;
  }
}

/// A small valid image to cut and corrupt.
std::string sampleImage() {
  TensorMap tensors = {{"blocks", {{2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}}},
                       {"gamma", {{}, {0.5f}}},
                       {"U", {{3, 1}, {-1, -2, -3}}}};
  std::string bytes, error;
  EXPECT_TRUE(encodeSafetensors(tensors, {{"pfc.layer", "x"}}, bytes, error));
  return bytes;
}

TEST(Safetensors, EveryTruncationIsAnError) {
  const std::string bytes = sampleImage();
  for (size_t length = 0; length < bytes.size(); ++length)
    EXPECT_NE(decodeError(bytes.substr(0, length)), "") << length;
  EXPECT_EQ(decodeError(bytes), "");
}

TEST(Safetensors, CorruptedBytesNeverCrash) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  const std::string original = sampleImage();
  for (int round = 0; round < 5000; ++round) {
    std::string bytes = original;
    for (int64_t flips = draw(1, 4); flips > 0; --flips) {
      // Mostly in the length and header, where the structure is.
      size_t at = static_cast<size_t>(
          draw(0, draw(0, 1) ? 40 : static_cast<int64_t>(bytes.size()) - 1));
      bytes[at] = static_cast<char>(draw(0, 255));
    }
    decodeError(bytes); // either decodes or reports; must not crash
  }
}

TEST(Safetensors, RejectsTensorsItCannotWrite) {
  std::string bytes, error;
  EXPECT_FALSE(
      encodeSafetensors({{"a", {{2, 2}, {1, 2, 3}}}}, {}, bytes, error));
  EXPECT_EQ(error, "tensor 'a' holds 3 values (expected 4 for shape [2, 2])");
  EXPECT_FALSE(
      encodeSafetensors({{"__metadata__", {{}, {1}}}}, {}, bytes, error));
  EXPECT_FALSE(encodeSafetensors({{"", {{}, {1}}}}, {}, bytes, error));
  EXPECT_FALSE(encodeSafetensors({{"\xff", {{}, {1}}}}, {}, bytes, error));
  EXPECT_FALSE(encodeSafetensors({}, {{"k", "\xc0\x80"}}, bytes, error));
}

TEST(Safetensors, WritesFilesAtomically) {
  ScratchDir dir;
  const std::string path = dir.file("params.safetensors");
  TensorMap tensors = {{"w", {{2}, {1.0f, 2.0f}}}};
  std::string error;
  ASSERT_TRUE(writeSafetensors(path, tensors, {{"k", "v"}}, error)) << error;
  // Overwriting replaces the file; no temporary file stays behind.
  tensors["w"].data = {3.0f, 4.0f};
  ASSERT_TRUE(writeSafetensors(path, tensors, {}, error)) << error;
  EXPECT_EQ(dir.files(), std::vector<std::string>{"params.safetensors"});

  TensorMap read;
  TensorMetadata metadata;
  ASSERT_TRUE(readSafetensors(path, read, metadata, error)) << error;
  EXPECT_EQ(read, tensors);
  EXPECT_TRUE(metadata.empty());

  // A tensor that cannot be encoded leaves the old file as it was.
  EXPECT_FALSE(writeSafetensors(path, {{"w", {{3}, {1.0f}}}}, {}, error));
  EXPECT_EQ(error.rfind(path + ": error: tensor 'w' holds 1 values", 0), 0u)
      << error;
  ASSERT_TRUE(readSafetensors(path, read, error)) << error;
  EXPECT_EQ(read, tensors);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"params.safetensors"});
}

TEST(Safetensors, ReportsFilesItCannotReadOrWrite) {
  ScratchDir dir;
  TensorMap tensors;
  std::string error;
  EXPECT_FALSE(
      readSafetensors(dir.file("missing.safetensors"), tensors, error));
  EXPECT_EQ(error, dir.file("missing.safetensors") +
                       ": error: cannot read the file: No such file or "
                       "directory");
  EXPECT_FALSE(readSafetensors(dir.path, tensors, error));
  EXPECT_NE(error.find("cannot read the file: Is a directory"),
            std::string::npos)
      << error;
  const std::string nowhere = dir.file("no/such/dir.safetensors");
  EXPECT_FALSE(writeSafetensors(nowhere, {}, {}, error));
  EXPECT_EQ(error, nowhere + ": error: cannot write the file: No such file or "
                             "directory");
  EXPECT_TRUE(dir.files().empty());
}

} // namespace
} // namespace pfc
