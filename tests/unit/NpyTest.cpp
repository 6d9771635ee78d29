//===- NpyTest.cpp - .npy round trips and malformed files -----------------===//
#include "pfc/Runtime/TensorFile.h"

#include "RandomDraws.h"
#include "TensorTestUtil.h"

#include <gtest/gtest.h>

#include <string>

namespace pfc {
namespace {

/// An .npy image of format `major`.0 with `header` as is, then `data`.
std::string image(int major, const std::string &header,
                  const std::string &data = "") {
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += '\0';
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i)
    bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::string dict(const std::string &shape, const std::string &descr = "'<f4'",
                 const std::string &order = "False") {
  return "{'descr': " + descr + ", 'fortran_order': " + order +
         ", 'shape': " + shape + ", }\n";
}

/// The error decoding `bytes` gives, or "" when it decodes.
std::string decodeError(const std::string &bytes) {
  Tensor tensor;
  std::string error;
  if (decodeNpy(bytes, "bad.npy", tensor, error))
    return "";
  EXPECT_EQ(error.rfind("bad.npy: error: ", 0), 0u) << error;
  return error;
}

TEST(Npy, RoundTripsRandomTensors) {
  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int round = 0; round < 300; ++round) {
    Tensor tensor = randomTensor(draw, 5);
    std::string bytes, error;
    ASSERT_TRUE(encodeNpy(tensor, bytes, error)) << error;
    Tensor read;
    ASSERT_TRUE(decodeNpy(bytes, "mem", read, error)) << error;
    EXPECT_TRUE(sameBits(read, tensor)) << shapeString(tensor.shape);
  }
}

TEST(Npy, WritesFormatOneAsNumPyDoes) {
  Tensor tensor{{2, 3}, {0, 1, 2, 3, 4, 5}};
  std::string bytes, error;
  ASSERT_TRUE(encodeNpy(tensor, bytes, error)) << error;
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(bytes.substr(8, 2), std::string("\x76\x00", 2)); // 118
  const std::string header = bytes.substr(10, 118);
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': "
                         "(2, 3), }",
                         0),
            0u)
      << header;
  EXPECT_EQ(header.back(), '\n');

  // A 1-D shape is written as a Python 1-tuple; a scalar as ().
  ASSERT_TRUE(encodeNpy({{5}, {1, 2, 3, 4, 5}}, bytes, error));
  EXPECT_NE(bytes.find("'shape': (5,), }"), std::string::npos);
  ASSERT_TRUE(encodeNpy({{}, {7}}, bytes, error));
  EXPECT_NE(bytes.find("'shape': (), }"), std::string::npos);
  EXPECT_EQ(bytes.size() % 64, 4u);
}

TEST(Npy, WritesFormatTwoOnlyForAHugeHeader) {
  Tensor tensor{std::vector<int64_t>(25000, 1), {42.0f}};
  std::string bytes, error;
  ASSERT_TRUE(encodeNpy(tensor, bytes, error)) << error;
  EXPECT_EQ(bytes[6], '\x02');
  Tensor read;
  ASSERT_TRUE(decodeNpy(bytes, "mem", read, error)) << error;
  EXPECT_EQ(read, tensor);
}

TEST(Npy, ReadsEveryFormatVersion) {
  const std::string data("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8); // 1, -2
  for (int major : {1, 2, 3}) {
    Tensor tensor;
    std::string error;
    // NumPy leaves spare spaces in the shape for in-place growth.
    ASSERT_TRUE(decodeNpy(image(major, dict("(2,)                   "), data),
                          "mem", tensor, error))
        << error;
    EXPECT_EQ(tensor, (Tensor{{2}, {1.0f, -2.0f}}));
  }
  Tensor tensor;
  std::string error;
  ASSERT_TRUE(decodeNpy(image(1,
                              "{\"shape\": (1, 2,), \"fortran_order\": False, "
                              "\"descr\": \"<f4\"}",
                              data),
                        "mem", tensor, error))
      << error;
  EXPECT_EQ(tensor, (Tensor{{1, 2}, {1.0f, -2.0f}}));
  ASSERT_TRUE(decodeNpy(image(1, dict("(2L, 1L)"), data), "mem", tensor, error))
      << error;
  EXPECT_EQ(tensor.shape, (std::vector<int64_t>{2, 1}));
}

TEST(Npy, ReportsEachKindOfMalformedFile) {
  const std::string four(4, '\0');
  struct Case {
    std::string bytes, message;
  } cases[] = {
      {"", "not an .npy file (expected the magic string \\x93NUMPY)"},
      {"PK\x03\x04", "not an .npy file"},
      {"\x93NUMPY\x01", "the file is 7 bytes long (expected at least 10"},
      {image(4, dict("(1,)"), four),
       "unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)"},
      {image(1, dict("(1,)"), four).replace(7, 1, "\x01"),
       "unsupported .npy format version 1.1"},
      {image(2, "").substr(0, 11), "the file is 11 bytes long (expected at "
                                   "least 12 for format 2.0)"},
      {image(1, dict("(1,)")).substr(0, 20),
       "runs past the end of the file (expected at most 10)"},
      {image(1, dict("(1,)", "'<f8'"), four + four),
       "the array has dtype '<f8' (expected '<f4', little-endian float32)"},
      {image(1, dict("(1,)", "'>f4'"), four), "the array has dtype '>f4'"},
      {image(1, dict("(1,)", "[('a', '<f4')]"), four),
       "the array has a structured dtype"},
      {image(1, dict("(1,)", "<f4"), four), "the header's 'descr' is "
                                            "malformed"},
      {image(1, dict("(2, 2)", "'<f4'", "True"), four + four + four + four),
       "the array is in Fortran order (expected C order, fortran_order "
       "False)"},
      {image(1, dict("(1,)", "'<f4'", "1"), four),
       "the header's 'fortran_order' is malformed (expected True or False)"},
      {image(1, dict("(3,)"), four),
       "the file is truncated: 4 bytes of data (expected 12 for float32 "
       "shape [3])"},
      {image(1, dict("(1,)"), four + four),
       "the file has 4 bytes after the data"},
      {image(1, dict("(3)"), four + four + four),
       "the header's 'shape' (3) is not a tuple (expected (3,))"},
      {image(1, dict("(-1,)"), four), "the header's 'shape' is malformed"},
      {image(1, dict("[1]"), four), "the header's 'shape' is malformed"},
      {image(1, dict("(1 2)"), four), "the header's 'shape' is malformed"},
      {image(1, dict("(99999999999999999999,)"), four),
       "the header's 'shape' is malformed"},
      {image(1, dict("(4294967296, 4294967296)"), four), "too many elements"},
      {image(1, "{'descr': '<f4', 'shape': (1,), }", four),
       "the header has no 'fortran_order'"},
      {image(1, "{'descr': '<f4', 'descr': '<f4', }", four),
       "the header has 'descr' twice"},
      {image(1, dict("(1,)").insert(1, "'x': 1, "), four),
       "the header has an unknown key 'x'"},
      {image(1, "'descr'", four), "the header does not start with '{'"},
      {image(1, dict("(1,)") + "x", four), "the header has text after its "
                                           "dict"},
      {image(1, "{'descr' '<f4'}", four), "the header lacks ':' after "
                                          "'descr'"},
      {image(1, "{descr: '<f4'}", four), "the header has a malformed key"},
      {image(1, "{'descr': '<f4' 'shape': (1,)}", four),
       "the header dict is malformed"},
  };
  for (const Case &c : cases) {
    std::string error = decodeError(c.bytes);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "got:  " << error << "\nwant: " << c.message;
  }
}

TEST(Npy, EveryTruncationIsAnErrorAndCorruptionNeverCrashes) {
  std::string original, error;
  ASSERT_TRUE(encodeNpy({{2, 3}, {1, 2, 3, 4, 5, 6}}, original, error));
  for (size_t length = 0; length < original.size(); ++length)
    EXPECT_NE(decodeError(original.substr(0, length)), "") << length;

  RandomDraws draw;
  SCOPED_TRACE(draw.trace());
  for (int round = 0; round < 5000; ++round) {
    std::string bytes = original;
    for (int64_t flips = draw(1, 4); flips > 0; --flips)
      bytes[static_cast<size_t>(draw(0, 80))] = static_cast<char>(draw(0, 255));
    decodeError(bytes); // either decodes or reports; must not crash
  }
}

TEST(Npy, WritesAndReadsFiles) {
  ScratchDir dir;
  const std::string path = dir.file("x.npy");
  std::string error;
  Tensor tensor{{2, 2}, {1, 2, 3, 4}};
  ASSERT_TRUE(writeNpy(path, tensor, error)) << error;
  Tensor read;
  ASSERT_TRUE(readNpy(path, read, error)) << error;
  EXPECT_EQ(read, tensor);
  EXPECT_FALSE(writeNpy(path, {{3}, {1}}, error));
  EXPECT_EQ(error, path + ": error: the tensor holds 1 values (expected 3 for "
                          "shape [3])");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"x.npy"});
  EXPECT_FALSE(readNpy(dir.file("y.npy"), read, error));
  EXPECT_EQ(error, dir.file("y.npy") + ": error: cannot read the file: No "
                                       "such file or directory");
}

} // namespace
} // namespace pfc
