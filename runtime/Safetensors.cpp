//===- Safetensors.cpp - Reading and writing safetensors files ------------===//
//
// The format: an 8-byte little-endian header length N, N bytes of JSON
// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
// "__metadata__": {"key": "value"}}`, then the data section, which the
// tensors' offsets (relative to its start) must tile exactly. The checks
// follow the safetensors library's own: a bounded header, known dtypes,
// offsets that agree with shapes, no gaps, overlaps or trailing bytes.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/TensorFile.h"

#include "Bytes.h"
#include "Json.h"

#include "pfc/Runtime/Escape.h"

#include <algorithm>
#include <limits>
#include <set>

namespace pfc {

namespace {

/// The safetensors library refuses headers above this size too.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char *kMetadataKey = "__metadata__";
constexpr const char *kFields = "dtype, shape and data_offsets";

bool isKnownDType(const std::string &dtype) {
  static const char *const names[] = {
      "BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
      "BF16", "I32", "U32", "F32",     "F64",     "I64", "U64"};
  return std::any_of(std::begin(names), std::end(names),
                     [&](const char *name) { return dtype == name; });
}

/// One tensor's header entry, checked against the data section's size.
struct Entry {
  std::string name;
  std::vector<int64_t> shape;
  int64_t begin = 0, end = 0;
};

class Decoder {
public:
  Decoder(std::string_view bytes, const std::string &source, std::string &error)
      : bytes(bytes), source(source), error(error) {}

  bool decode(TensorMap &tensors, TensorMetadata &metadata) {
    tensors.clear();
    metadata.clear();
    if (bytes.size() < 8)
      return fail("the file is " + std::to_string(bytes.size()) +
                  " bytes long (expected at least 8: the header length)");
    const uint64_t headerBytes = bytes::loadLE(bytes.data(), 8);
    if (headerBytes > kMaxHeaderBytes)
      return fail("the header length " + std::to_string(headerBytes) +
                  " is too large (expected at most " +
                  std::to_string(kMaxHeaderBytes) + ")");
    if (headerBytes > bytes.size() - 8)
      return fail("the header length " + std::to_string(headerBytes) +
                  " runs past the end of the file (expected at most " +
                  std::to_string(bytes.size() - 8) + ")");
    const std::string_view header = bytes.substr(8, headerBytes);
    data = bytes.substr(8 + headerBytes);

    json::Value root;
    std::string jsonError;
    if (!json::parse(header, root, jsonError))
      return fail("the header is not valid JSON: " + jsonError);
    if (root.kind != json::Value::Kind::Object)
      return fail(std::string("the header is ") + json::describe(root.kind) +
                  " (expected a JSON object)");

    std::vector<Entry> entries;
    std::set<std::string> names;
    bool sawMetadata = false;
    for (const json::Member &member : root.object) {
      if (member.key == kMetadataKey) {
        if (sawMetadata)
          return fail("the header has two '__metadata__' entries (expected "
                      "at most one)");
        sawMetadata = true;
        if (!readMetadata(member.value, metadata))
          return false;
        continue;
      }
      if (!names.insert(member.key).second)
        return fail("the header lists tensor '" + member.key +
                    "' twice (expected each name once)");
      entries.emplace_back();
      if (!readEntry(member.key, member.value, entries.back()))
        return false;
    }
    if (!checkTiling(entries))
      return false;
    for (const Entry &entry : entries) {
      Tensor &tensor = tensors[entry.name];
      tensor.shape = entry.shape;
      bytes::loadFloats(data.data() + entry.begin,
                        static_cast<size_t>(entry.end - entry.begin) / 4,
                        tensor.data);
    }
    return true;
  }

private:
  bool fail(const std::string &what) {
    // Names and keys come from the file: one line, nothing raw.
    error = source + ": error: " + escapeText(what);
    return false;
  }

  bool readMetadata(const json::Value &value, TensorMetadata &metadata) {
    if (value.kind != json::Value::Kind::Object)
      return fail(std::string("'__metadata__' is ") +
                  json::describe(value.kind) +
                  " (expected an object of strings)");
    for (const json::Member &member : value.object) {
      if (member.value.kind != json::Value::Kind::String)
        return fail("metadata '" + member.key + "' is " +
                    json::describe(member.value.kind) + " (expected a string)");
      if (!metadata.emplace(member.key, member.value.text).second)
        return fail("metadata '" + member.key +
                    "' appears twice (expected each key once)");
    }
    return true;
  }

  bool readEntry(const std::string &name, const json::Value &value,
                 Entry &entry) {
    entry.name = name;
    const std::string what = "tensor '" + name + "'";
    if (value.kind != json::Value::Kind::Object)
      return fail(what + " is described by " + json::describe(value.kind) +
                  " (expected an object with " + kFields + ")");
    const json::Value *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (const json::Member &member : value.object) {
      const json::Value **slot = member.key == "dtype"          ? &dtype
                                 : member.key == "shape"        ? &shape
                                 : member.key == "data_offsets" ? &offsets
                                                                : nullptr;
      if (!slot)
        return fail(what + " has an unknown field '" + member.key +
                    "' (expected " + kFields + ")");
      if (*slot)
        return fail(what + " has two '" + member.key + "' fields (expected " +
                    kFields + ", once each)");
      *slot = &member.value;
    }
    if (!dtype || !shape || !offsets)
      return fail(what + " has no '" +
                  (!dtype   ? "dtype"
                   : !shape ? "shape"
                            : "data_offsets") +
                  "' (expected " + kFields + ")");

    if (dtype->kind != json::Value::Kind::String)
      return fail(what + " has " + json::describe(dtype->kind) +
                  " for its dtype (expected the string \"F32\")");
    if (dtype->text != "F32") {
      if (isKnownDType(dtype->text))
        return fail(what + " has dtype " + dtype->text +
                    " (expected F32: pfc reads float32 tensors only)");
      return fail(what + " has an unknown dtype '" + dtype->text +
                  "' (expected F32)");
    }

    if (shape->kind != json::Value::Kind::Array)
      return fail(what + " has a malformed shape (expected an array of "
                         "non-negative integers)");
    for (const json::Value &dim : shape->array) {
      int64_t size;
      if (!json::toNonNegativeInt(dim, size))
        return fail(what + " has a malformed shape (expected an array of "
                           "non-negative integers)");
      entry.shape.push_back(size);
    }
    const int64_t count = elementCount(entry.shape);
    if (count < 0 || count > std::numeric_limits<int64_t>::max() / 4)
      return fail(what + " has shape " + shapeString(entry.shape) +
                  ", too many elements (expected fewer than 2^61)");

    if (offsets->kind != json::Value::Kind::Array ||
        offsets->array.size() != 2 ||
        !json::toNonNegativeInt(offsets->array[0], entry.begin) ||
        !json::toNonNegativeInt(offsets->array[1], entry.end))
      return fail(what + " has malformed data_offsets (expected [begin, "
                         "end], two non-negative integers)");
    const std::string range = "[" + std::to_string(entry.begin) + ", " +
                              std::to_string(entry.end) + "]";
    if (entry.begin > entry.end)
      return fail(what + " has data_offsets " + range +
                  " that end before they begin (expected begin <= end)");
    if (static_cast<uint64_t>(entry.end) > data.size())
      return fail(what + " has data_offsets " + range +
                  " past the end of the data (expected at most " +
                  std::to_string(data.size()) + " bytes)");
    if (entry.end - entry.begin != 4 * count)
      return fail(what + " has " + std::to_string(entry.end - entry.begin) +
                  " bytes of data for shape " + shapeString(entry.shape) +
                  " (expected " + std::to_string(4 * count) +
                  ": 4 bytes per F32 element)");
    return true;
  }

  /// The tensors must cover the data section one after another.
  bool checkTiling(std::vector<Entry> entries) {
    std::sort(entries.begin(), entries.end(),
              [](const Entry &a, const Entry &b) {
                return std::make_pair(a.begin, a.end) <
                       std::make_pair(b.begin, b.end);
              });
    int64_t expected = 0;
    const Entry *previous = nullptr;
    for (const Entry &entry : entries) {
      if (entry.begin < expected)
        return fail("tensors '" + previous->name + "' and '" + entry.name +
                    "' overlap (expected each byte of data in one tensor)");
      if (entry.begin > expected)
        return fail("the " + std::to_string(entry.begin - expected) +
                    " bytes before tensor '" + entry.name +
                    "' belong to no tensor (expected tensors packed one "
                    "after another)");
      expected = entry.end;
      previous = &entry;
    }
    if (static_cast<uint64_t>(expected) != data.size())
      return fail("the data section has " +
                  std::to_string(data.size() - expected) +
                  " bytes after the last tensor (expected none)");
    return true;
  }

  std::string_view bytes;
  std::string_view data;
  const std::string &source;
  std::string &error;
};

} // namespace

bool decodeSafetensors(std::string_view bytes, const std::string &source,
                       TensorMap &tensors, TensorMetadata &metadata,
                       std::string &error) {
  return Decoder(bytes, source, error).decode(tensors, metadata);
}

bool encodeSafetensors(const TensorMap &tensors, const TensorMetadata &metadata,
                       std::string &bytes, std::string &error) {
  std::string header = "{";
  if (!metadata.empty()) {
    json::appendQuoted(header, kMetadataKey);
    header += ":{";
    bool first = true;
    for (const auto &[key, value] : metadata) {
      if (!json::isValidUtf8(key) || !json::isValidUtf8(value)) {
        error = "metadata '" + key + "' is not UTF-8 text (expected UTF-8)";
        return false;
      }
      header += first ? "" : ",";
      first = false;
      json::appendQuoted(header, key);
      header += ':';
      json::appendQuoted(header, value);
    }
    header += '}';
  }
  int64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    if (name.empty() || name == kMetadataKey || !json::isValidUtf8(name)) {
      error = "cannot name a tensor '" + name +
              "' (expected a non-empty UTF-8 name other than __metadata__)";
      return false;
    }
    const int64_t count = elementCount(tensor.shape);
    if (count < 0 || static_cast<uint64_t>(count) != tensor.data.size()) {
      error = "tensor '" + name + "' holds " +
              std::to_string(tensor.data.size()) + " values (expected " +
              (count < 0 ? std::string("a valid shape, not ")
                         : std::to_string(count) + " for shape ") +
              shapeString(tensor.shape) + ")";
      return false;
    }
    header += header.size() > 1 ? "," : "";
    json::appendQuoted(header, name);
    header += ":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t i = 0; i < tensor.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(tensor.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + 4 * count) + "]}";
    offset += 4 * count;
  }
  header += '}';
  // Like the safetensors library, pad with spaces so that data starts
  // 8-byte aligned.
  header.append((8 - header.size() % 8) % 8, ' ');

  bytes.clear();
  bytes.reserve(8 + header.size() + static_cast<size_t>(offset));
  bytes::appendLE(bytes, header.size(), 8);
  bytes += header;
  for (const auto &entry : tensors)
    bytes::appendFloats(bytes, entry.second.data);
  return true;
}

/// The size a safetensors image's header declares: the header and the end
/// of its last tensor; 0 while the header is incomplete. A header too long
/// or malformed declares what has been read: reading stops, and the
/// decoder says what is wrong.
static uint64_t declaredSize(std::string_view prefix) {
  if (prefix.size() < 8)
    return 0;
  const uint64_t headerBytes = bytes::loadLE(prefix.data(), 8);
  if (headerBytes > kMaxHeaderBytes)
    return prefix.size();
  if (prefix.size() - 8 < headerBytes)
    return 0;
  json::Value root;
  std::string error;
  if (!json::parse(prefix.substr(8, headerBytes), root, error) ||
      root.kind != json::Value::Kind::Object)
    return prefix.size();
  uint64_t end = 0;
  for (const json::Member &member : root.object) {
    const json::Value &entry = member.value;
    if (entry.kind != json::Value::Kind::Object)
      continue;
    for (const json::Member &field : entry.object) {
      int64_t stop = 0;
      if (field.key == "data_offsets" &&
          field.value.kind == json::Value::Kind::Array &&
          field.value.array.size() == 2 &&
          json::toNonNegativeInt(field.value.array[1], stop))
        end = std::max<uint64_t>(end, static_cast<uint64_t>(stop));
    }
  }
  return 8 + headerBytes + end;
}

bool readSafetensors(const std::string &path, TensorMap &tensors,
                     TensorMetadata &metadata, std::string &error) {
  std::string bytes;
  ReadLimits limits;
  limits.declaredSize = declaredSize;
  return readFileBytes(path, bytes, error, limits) &&
         decodeSafetensors(bytes, path, tensors, metadata, error);
}

bool readSafetensors(const std::string &path, TensorMap &tensors,
                     std::string &error) {
  TensorMetadata metadata;
  return readSafetensors(path, tensors, metadata, error);
}

bool writeSafetensors(const std::string &path, const TensorMap &tensors,
                      const TensorMetadata &metadata, std::string &error) {
  std::string bytes;
  if (!encodeSafetensors(tensors, metadata, bytes, error)) {
    error = path + ": error: " + error;
    return false;
  }
  return writeFileAtomically(path, bytes, error);
}

} // namespace pfc
