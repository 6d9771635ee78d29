//===- YamlReader.cpp - Strict typed reads over LLVM's YAML nodes ---------===//
#include "YamlReader.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/MemoryBufferRef.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace llvm;

namespace pfc {

bool openSpecFile(StringRef path, raw_ostream &diagOS, SourceMgr &sourceMgr) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (std::error_code ec = buffer.getError()) {
    diagOS << path << ": error: cannot read the spec: " << ec.message() << "\n";
    return false;
  }
  addSpecBuffer(std::move(*buffer), diagOS, sourceMgr);
  return true;
}

void addSpecBuffer(std::unique_ptr<MemoryBuffer> buffer, raw_ostream &diagOS,
                   SourceMgr &sourceMgr) {
  sourceMgr.AddNewSourceBuffer(std::move(buffer), SMLoc());
  sourceMgr.setDiagHandler(
      [](const SMDiagnostic &diag, void *os) {
        diag.print(nullptr, *static_cast<raw_ostream *>(os),
                   /*ShowColors=*/false);
      },
      &diagOS);
}

static std::string joinKeys(ArrayRef<StringRef> keys) {
  return join(keys.begin(), keys.end(), ", ");
}

static bool isPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

bool YamlReader::error(SMLoc loc, const Twine &what, const Twine &expected) {
  sourceMgr.PrintMessage(loc, SourceMgr::DK_Error,
                         what + " (expected " + expected + ")");
  return false;
}

bool YamlReader::error(Node *node, const Twine &what, const Twine &expected) {
  return error(locOf(node), what, expected);
}

/// Limits that keep LLVM's recursive YAML parser far from the stack's end.
static constexpr int kMaxFlowDepth = 64;
static constexpr size_t kMaxIndent = 256;

bool YamlReader::checkSyntax(MemoryBufferRef buffer) {
  StringRef text = buffer.getBuffer();
  auto at = [&](size_t offset) {
    return SMLoc::getFromPointer(text.data() + offset);
  };
  // Line by line: tabs in indentation (LLVM accepts some) and the depth of
  // block nesting, where "- " and "? " open a level without indenting.
  for (size_t start = 0; start < text.size();) {
    size_t end = std::min(text.find('\n', start), text.size());
    StringRef line = text.slice(start, end);
    size_t indent = line.find_first_not_of(" \t-?:");
    bool content = indent != StringRef::npos && line[indent] != '#';
    size_t tab = line.find('\t');
    if (content && tab != StringRef::npos && tab < indent)
      return error(at(start + tab),
                   "invalid YAML: tab character in indentation",
                   "spaces for indentation");
    if (content && indent > kMaxIndent)
      return error(at(start + indent),
                   "the spec nests deeper than " + Twine(kMaxIndent) +
                       " columns",
                   "a shallow spec");
    start = end + 1;
  }
  // Flow nesting, outside quotes and comments. Overcounting only makes the
  // limit stricter.
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#' && (i == 0 || isSpace(text[i - 1]))) {
      i = std::min(text.find('\n', i), text.size());
    } else if (c == '"' || c == '\'') {
      for (++i; i < text.size() && text[i] != c; ++i)
        if (c == '"' && text[i] == '\\')
          ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxFlowDepth)
        return error(at(i),
                     "the spec nests more than " + Twine(kMaxFlowDepth) +
                         " brackets deep",
                     "a shallow spec");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  yaml::Stream stream(buffer, sourceMgr);
  return stream.validate();
}

SMLoc YamlReader::locOf(Node *node) const {
  const char *start = node->getSourceRange().Start.getPointer();
  const char *bufferStart =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBufferStart();
  auto back = [&](const char *p, auto skip) {
    while (p > bufferStart && skip(p[-1]))
      --p;
    return p;
  };
  if (isa<yaml::AliasNode>(node)) {
    // Back over the whitespace after the alias, then over its name.
    const char *p = back(start, [](char c) { return isSpace(c); });
    p = back(p, [](char c) { return !isSpace(c) && c != '*'; });
    if (p > bufferStart && p[-1] == '*')
      return SMLoc::getFromPointer(p - 1);
  }
  if (isa<yaml::SequenceNode, yaml::MappingNode>(node)) {
    const char *p = back(start, [](char c) { return isSpace(c); });
    if (p > bufferStart && (p[-1] == '[' || p[-1] == '{'))
      return SMLoc::getFromPointer(p - 1);
  }
  return node->getSourceRange().Start;
}

bool YamlReader::readMapping(Node *node, StringRef context, SMLoc ownerLoc,
                             ArrayRef<StringRef> allowed,
                             ArrayRef<StringRef> required, KeyHandler handler) {
  auto *mapping = dyn_cast_or_null<yaml::MappingNode>(node);
  if (!mapping)
    return error(node ? locOf(node) : ownerLoc,
                 "'" + context + "' is not a mapping",
                 "a mapping with keys " + joinKeys(allowed));
  StringSet<> seen;
  for (yaml::KeyValueNode &entry : *mapping) {
    Node *keyNode = entry.getKey();
    if (!keyNode)
      return false; // the YAML parser has reported a syntax error
    auto *keyScalar = dyn_cast<yaml::ScalarNode>(keyNode);
    if (!keyScalar)
      return error(keyNode, "a key in '" + context + "' is not a plain name",
                   "one of: " + joinKeys(allowed));
    SmallString<32> storage;
    std::string key = keyScalar->getValue(storage).str();
    if (!is_contained(allowed, key))
      return error(keyNode, "unknown key '" + key + "' in '" + context + "'",
                   "one of: " + joinKeys(allowed));
    if (!seen.insert(key).second)
      return error(keyNode, "duplicate key '" + key + "' in '" + context + "'",
                   "each key at most once");
    Node *value = entry.getValue();
    if (!value)
      return false;
    if (isa<yaml::NullNode>(value))
      return error(keyNode, "'" + key + "' has no value",
                   "a value after '" + key + ":'");
    if (isa<yaml::AliasNode>(value))
      return error(value, "YAML aliases are not supported",
                   "a plain value for '" + key + "'");
    // A tag would change what a value means (`!!str 64` is the string
    // "64"): rejected like an alias rather than silently ignored.
    for (Node *tagged : {keyNode, value})
      if (!tagged->getRawTag().empty())
        return error(tagged,
                     "YAML tags such as '" + tagged->getRawTag() +
                         "' are not supported",
                     "a plain value for '" + key + "'");
    currentKeyLoc = keyNode->getSourceRange().Start;
    if (!handler(key, value))
      return false;
  }
  if (mapping->failed())
    return false;
  for (StringRef key : required)
    if (!seen.contains(key))
      return error(ownerLoc, "missing key '" + key + "' in '" + context + "'",
                   "'" + key + "' to be given");
  return true;
}

bool YamlReader::readList(Node *node, StringRef key, StringRef expected,
                          ItemHandler handler) {
  auto *sequence = dyn_cast<yaml::SequenceNode>(node);
  if (!sequence)
    return error(node, "'" + key + "' is not a list", expected);
  for (Node &item : *sequence) {
    if (isa<yaml::NullNode>(item))
      return error(&item, "'" + key + "' has an empty item", expected);
    if (isa<yaml::AliasNode>(item))
      return error(&item, "YAML aliases are not supported", expected);
    if (!item.getRawTag().empty())
      return error(&item,
                   "YAML tags such as '" + item.getRawTag() +
                       "' are not supported",
                   expected);
    if (!handler(&item))
      return false;
  }
  return !sequence->failed();
}

std::optional<std::string> YamlReader::scalarText(Node *node, StringRef key,
                                                  StringRef expected,
                                                  bool *quoted) {
  if (auto *scalar = dyn_cast<yaml::ScalarNode>(node)) {
    SmallString<32> storage;
    StringRef raw = scalar->getRawValue();
    if (quoted)
      *quoted = raw.starts_with("'") || raw.starts_with("\"");
    return scalar->getValue(storage).str();
  }
  if (auto *block = dyn_cast<yaml::BlockScalarNode>(node)) {
    if (quoted)
      *quoted = true;
    return block->getValue().str();
  }
  error(node, "'" + key + "' is not a single value", expected);
  return std::nullopt;
}

std::optional<std::pair<bool, uint64_t>>
YamlReader::readIntegerText(Node *node, StringRef key, StringRef expected,
                            std::string &text, bool &overflow) {
  bool quoted = false;
  std::optional<std::string> scalar = scalarText(node, key, expected, &quoted);
  if (!scalar)
    return std::nullopt;
  text = *scalar;
  // YAML's integers: an optional sign, then decimal digits. "1e3", "0x10",
  // "3.0" and "12abc" are not integers.
  StringRef digits = StringRef(text);
  bool negative = digits.consume_front("-");
  if (!negative)
    digits.consume_front("+");
  if (quoted || digits.empty() || !all_of(digits, isDigit)) {
    error(node, "'" + key + "' is '" + text + "', not an integer", expected);
    return std::nullopt;
  }
  uint64_t magnitude = 0;
  overflow = digits.getAsInteger(10, magnitude);
  return std::make_pair(negative, magnitude);
}

std::optional<int64_t> YamlReader::readInt(Node *node, StringRef key,
                                           int64_t min, int64_t max,
                                           StringRef expectedText) {
  std::string expected = !expectedText.empty()
                             ? expectedText.str()
                             : "an integer in [" + std::to_string(min) + ", " +
                                   std::to_string(max) + "]";
  std::string text;
  bool overflow = false;
  auto integer = readIntegerText(node, key, expected, text, overflow);
  if (!integer)
    return std::nullopt;
  // Digits beyond int64 are out of range.
  auto [negative, magnitude] = *integer;
  overflow = overflow || magnitude > static_cast<uint64_t>(INT64_MAX);
  int64_t value = negative ? -static_cast<int64_t>(magnitude)
                           : static_cast<int64_t>(magnitude);
  if (overflow || value < min || value > max) {
    error(node, "'" + key + "' is " + text + ", out of range", expected);
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> YamlReader::readUnsigned(Node *node, StringRef key) {
  const std::string expected =
      "an integer in [0, " +
      std::to_string(std::numeric_limits<uint64_t>::max()) + "]";
  std::string text;
  bool overflow = false;
  auto integer = readIntegerText(node, key, expected, text, overflow);
  if (!integer)
    return std::nullopt;
  auto [negative, magnitude] = *integer;
  if (overflow || (negative && magnitude != 0)) {
    error(node, "'" + key + "' is " + text + ", out of range", expected);
    return std::nullopt;
  }
  return magnitude;
}

std::optional<int64_t> YamlReader::readPowerOfTwo(Node *node, StringRef key,
                                                  int64_t min, int64_t max) {
  std::string expected = "a power of two in [" + std::to_string(min) + ", " +
                         std::to_string(max) + "]";
  std::optional<int64_t> value = readInt(node, key, min, max, expected);
  if (value && !isPowerOfTwo(*value)) {
    error(node,
          "'" + key + "' is " + std::to_string(*value) + ", not a power of two",
          expected);
    return std::nullopt;
  }
  return value;
}

std::optional<double> YamlReader::readNumber(Node *node, StringRef key,
                                             double min, double max,
                                             StringRef range) {
  std::string expected = ("a number in " + range).str();
  bool quoted = false;
  std::optional<std::string> text = scalarText(node, key, expected, &quoted);
  if (!text)
    return std::nullopt;
  double value = 0;
  if (quoted || StringRef(*text).getAsDouble(value) || !std::isfinite(value)) {
    error(node, "'" + key + "' is '" + *text + "', not a number", expected);
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(node, "'" + key + "' is " + *text + ", out of range", expected);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlReader::readBool(Node *node, StringRef key) {
  bool quoted = false;
  std::optional<std::string> text =
      scalarText(node, key, "true or false", &quoted);
  if (!text)
    return std::nullopt;
  StringRef t(*text);
  if (!quoted && (t == "true" || t == "True" || t == "TRUE"))
    return true;
  if (!quoted && (t == "false" || t == "False" || t == "FALSE"))
    return false;
  error(node, "'" + key + "' is '" + t + "', not a boolean", "true or false");
  return std::nullopt;
}

std::optional<std::string> YamlReader::readString(Node *node, StringRef key,
                                                  StringRef expected) {
  std::optional<std::string> text = scalarText(node, key, expected);
  if (text && text->empty()) {
    error(node, "'" + key + "' is empty", expected);
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> YamlReader::readName(Node *node, StringRef key) {
  static constexpr StringRef expected =
      "1 to 64 letters, digits, '_', '-' or '.', starting with a letter or '_'";
  std::optional<std::string> text = scalarText(node, key, expected);
  if (!text)
    return std::nullopt;
  StringRef t(*text);
  bool valid = !t.empty() && t.size() <= 64 &&
               (isAlpha(t.front()) || t.front() == '_') &&
               all_of(t, [](char c) {
                 return isAlnum(c) || c == '_' || c == '-' || c == '.';
               });
  if (!valid) {
    error(node, "'" + key + "' is '" + t + "', not a valid name", expected);
    return std::nullopt;
  }
  return text;
}

} // namespace pfc
