//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// The format: "\x93NUMPY", a major and a minor version byte, the header
// length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), then a
// Python dict literal such as `{'descr': '<f4', 'fortran_order': False,
// 'shape': (3, 4), }` padded with spaces and a newline, then the raw data.
// The dict is parsed here by a small strict reader, never evaluated.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/TensorFile.h"

#include "Bytes.h"

#include "pfc/Runtime/Escape.h"

#include <algorithm>
#include <limits>

namespace pfc {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

/// Reads the header dict; every failure sets `what` and `expected`.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text(text) {}

  std::string what, expected;
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;

  bool parse() {
    bool sawDescr = false, sawOrder = false, sawShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("the header does not start with '{'", "a Python dict");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail("the header has a malformed key",
                    "'descr', 'fortran_order' or 'shape' in quotes");
      skipSpace();
      if (!consume(':'))
        return fail("the header lacks ':' after '" + key + "'", "key: value");
      skipSpace();
      bool *seen = key == "descr"           ? &sawDescr
                   : key == "fortran_order" ? &sawOrder
                   : key == "shape"         ? &sawShape
                                            : nullptr;
      if (!seen)
        return fail("the header has an unknown key '" + key + "'",
                    "'descr', 'fortran_order' and 'shape'");
      if (*seen)
        return fail("the header has '" + key + "' twice", "each key once");
      *seen = true;
      if (key == "descr" && !parseDescr())
        return false;
      if (key == "fortran_order" && !parseBool(fortranOrder))
        return false;
      if (key == "shape" && !parseShape())
        return false;
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (!consume('}'))
        return fail("the header dict is malformed", "',' or '}'");
      break;
    }
    skipSpace();
    if (pos != text.size())
      return fail("the header has text after its dict", "only padding");
    if (!sawDescr || !sawOrder || !sawShape)
      return fail(std::string("the header has no '") +
                      (!sawDescr   ? "descr"
                       : !sawOrder ? "fortran_order"
                                   : "shape") +
                      "'",
                  "'descr', 'fortran_order' and 'shape'");
    return true;
  }

private:
  bool fail(const std::string &w, const std::string &e) {
    what = w;
    expected = e;
    return false;
  }

  bool atEnd() const { return pos >= text.size(); }

  bool consume(char c) {
    if (atEnd() || text[pos] != c)
      return false;
    ++pos;
    return true;
  }

  void skipSpace() {
    while (!atEnd() && (text[pos] == ' ' || text[pos] == '\t' ||
                        text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  /// A quoted string without escapes, as NumPy writes them.
  bool parseString(std::string &out) {
    if (atEnd() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    const char quote = text[pos++];
    const size_t start = pos;
    while (!atEnd() && text[pos] != quote) {
      if (text[pos] == '\\' || text[pos] == '\n')
        return false;
      ++pos;
    }
    if (atEnd())
      return false;
    out = std::string(text.substr(start, pos - start));
    ++pos;
    return true;
  }

  bool parseDescr() {
    if (!atEnd() && text[pos] == '[')
      return fail("the array has a structured dtype", "'<f4', float32");
    if (!parseString(descr))
      return fail("the header's 'descr' is malformed",
                  "a quoted dtype string such as '<f4'");
    if (descr != "<f4")
      return fail("the array has dtype '" + descr + "'",
                  "'<f4', little-endian float32");
    return true;
  }

  bool parseBool(bool &value) {
    for (auto [word, meaning] :
         {std::pair<std::string_view, bool>{"True", true}, {"False", false}}) {
      if (text.substr(pos, word.size()) == word) {
        pos += word.size();
        value = meaning;
        return true;
      }
    }
    return fail("the header's 'fortran_order' is malformed", "True or False");
  }

  bool parseInt(int64_t &value) {
    if (atEnd() || text[pos] < '0' || text[pos] > '9')
      return false;
    value = 0;
    while (!atEnd() && text[pos] >= '0' && text[pos] <= '9') {
      int digit = text[pos++] - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
        return false;
      value = value * 10 + digit;
    }
    consume('L'); // Python 2 long literals in old files.
    return true;
  }

  /// `()`, `(n,)` or `(n, m, ...)` with an optional trailing comma.
  bool parseShape() {
    const char *form = "a tuple of non-negative integers such as (3, 4)";
    if (!consume('('))
      return fail("the header's 'shape' is malformed", form);
    skipSpace();
    if (consume(')'))
      return true;
    while (true) {
      int64_t dim;
      skipSpace();
      if (!parseInt(dim))
        return fail("the header's 'shape' is malformed", form);
      shape.push_back(dim);
      skipSpace();
      bool comma = consume(',');
      skipSpace();
      if (consume(')')) {
        if (shape.size() == 1 && !comma)
          return fail("the header's 'shape' (" + std::to_string(dim) +
                          ") is not a tuple",
                      "(" + std::to_string(dim) + ",)");
        return true;
      }
      if (!comma)
        return fail("the header's 'shape' is malformed", form);
    }
  }

  std::string_view text;
  size_t pos = 0;
};

/// Headers longer than this are refused: NumPy writes a few hundred bytes.
constexpr uint64_t kMaxHeaderBytes = uint64_t(1) << 24;

/// The size the preamble and header of an .npy image declare, or 0 while
/// `prefix` is too short to tell. A prefix that is no .npy file, or whose
/// header is bad, declares its own length: reading stops there and
/// decodeNpy says what is wrong.
uint64_t declaredSize(std::string_view prefix) {
  const size_t common = std::min(prefix.size(), kMagic.size());
  if (prefix.substr(0, common) != kMagic.substr(0, common))
    return prefix.size();
  if (prefix.size() < 10)
    return 0;
  const int major = static_cast<unsigned char>(prefix[6]);
  if (major < 1 || major > 3)
    return prefix.size();
  const size_t lengthBytes = major == 1 ? 2 : 4;
  const size_t headerStart = 8 + lengthBytes;
  if (prefix.size() < headerStart)
    return 0;
  const uint64_t headerBytes =
      bytes::loadLE(prefix.data() + 8, static_cast<int>(lengthBytes));
  if (headerBytes > kMaxHeaderBytes)
    return prefix.size();
  if (prefix.size() - headerStart < headerBytes)
    return 0;
  HeaderParser header(prefix.substr(headerStart, headerBytes));
  if (!header.parse())
    return prefix.size();
  const int64_t count = elementCount(header.shape);
  if (count < 0 || count > std::numeric_limits<int64_t>::max() / 4)
    return prefix.size();
  return headerStart + headerBytes + 4 * static_cast<uint64_t>(count);
}

} // namespace

bool decodeNpy(std::string_view bytes, const std::string &source,
               Tensor &tensor, std::string &error) {
  auto fail = [&](const std::string &what) {
    // Header keys come from the file: one line, nothing raw.
    error = source + ": error: " + escapeText(what);
    return false;
  };
  if (bytes.substr(0, kMagic.size()) != kMagic)
    return fail("not an .npy file (expected the magic string \\x93NUMPY)");
  if (bytes.size() < 10)
    return fail("the file is " + std::to_string(bytes.size()) +
                " bytes long (expected at least 10: an .npy preamble)");
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return fail("unsupported .npy format version " + std::to_string(major) +
                "." + std::to_string(minor) + " (expected 1.0, 2.0 or 3.0)");
  const size_t lengthBytes = major == 1 ? 2 : 4;
  const size_t headerStart = 8 + lengthBytes;
  if (bytes.size() < headerStart)
    return fail("the file is " + std::to_string(bytes.size()) +
                " bytes long (expected at least " +
                std::to_string(headerStart) + " for format " +
                std::to_string(major) + ".0)");
  const uint64_t headerBytes =
      bytes::loadLE(bytes.data() + 8, static_cast<int>(lengthBytes));
  if (headerBytes > kMaxHeaderBytes)
    return fail("the header length " + std::to_string(headerBytes) +
                " is too large (expected at most " +
                std::to_string(kMaxHeaderBytes) + ")");
  if (headerBytes > bytes.size() - headerStart)
    return fail("the header length " + std::to_string(headerBytes) +
                " runs past the end of the file (expected at most " +
                std::to_string(bytes.size() - headerStart) + ")");

  HeaderParser header(bytes.substr(headerStart, headerBytes));
  if (!header.parse())
    return fail(header.what + " (expected " + header.expected + ")");
  if (header.fortranOrder)
    return fail("the array is in Fortran order (expected C order, "
                "fortran_order False)");

  const std::string shape = shapeString(header.shape);
  const int64_t count = elementCount(header.shape);
  if (count < 0 || count > std::numeric_limits<int64_t>::max() / 4)
    return fail("shape " + shape +
                " has too many elements (expected fewer than 2^61)");
  const std::string_view data = bytes.substr(headerStart + headerBytes);
  const uint64_t want = 4 * static_cast<uint64_t>(count);
  if (data.size() < want)
    return fail("the file is truncated: " + std::to_string(data.size()) +
                " bytes of data (expected " + std::to_string(want) +
                " for float32 shape " + shape + ")");
  if (data.size() > want)
    return fail("the file has " + std::to_string(data.size() - want) +
                " bytes after the data (expected " + std::to_string(want) +
                " bytes of data for float32 shape " + shape + ")");
  tensor.shape = header.shape;
  bytes::loadFloats(data.data(), static_cast<size_t>(count), tensor.data);
  return true;
}

bool encodeNpy(const Tensor &tensor, std::string &bytes, std::string &error) {
  const int64_t count = elementCount(tensor.shape);
  if (count < 0 || static_cast<uint64_t>(count) != tensor.data.size()) {
    error = "the tensor holds " + std::to_string(tensor.data.size()) +
            " values (expected " +
            (count < 0 ? std::string("a valid shape, not ")
                       : std::to_string(count) + " for shape ") +
            shapeString(tensor.shape) + ")";
    return false;
  }
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(tensor.shape[i]);
  dict += tensor.shape.size() == 1 ? ",), }" : "), }";
  // NumPy aligns the data to 64 bytes; 2.0 only if 1.0's length overflows.
  const size_t lengthBytes = dict.size() + 1 + 10 + 63 <= 0xffff ? 2 : 4;
  const size_t preamble = 8 + lengthBytes;
  const size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';

  bytes.assign(kMagic);
  bytes += static_cast<char>(lengthBytes == 2 ? 1 : 2);
  bytes += '\0';
  bytes::appendLE(bytes, dict.size(), static_cast<int>(lengthBytes));
  bytes += dict;
  bytes::appendFloats(bytes, tensor.data);
  return true;
}

bool readNpy(const std::string &path, Tensor &tensor, std::string &error) {
  std::string bytes;
  ReadLimits limits;
  limits.declaredSize = declaredSize;
  return readFileBytes(path, bytes, error, limits) &&
         decodeNpy(bytes, path, tensor, error);
}

bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error) {
  std::string bytes;
  if (!encodeNpy(tensor, bytes, error)) {
    error = path + ": error: " + error;
    return false;
  }
  return writeFileAtomically(path, bytes, error);
}

} // namespace pfc
