//===- Json.cpp - A small strict JSON reader for file headers -------------===//
#include "Json.h"

#include <limits>

namespace pfc::json {

namespace {

/// Deep enough for any header; shallow enough that recursion cannot exhaust
/// the stack on hostile input.
constexpr int kMaxDepth = 64;

/// The length of the well-formed UTF-8 sequence that `text` starts with, or 0.
size_t utf8SequenceLength(std::string_view text) {
  if (text.empty())
    return 0;
  const unsigned char lead = static_cast<unsigned char>(text[0]);
  if (lead < 0x80)
    return 1;
  size_t length;
  uint32_t cp, min;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, cp = lead & 0x1f, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, cp = lead & 0x0f, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length)
    return 0;
  for (size_t i = 1; i < length; ++i) {
    unsigned char next = static_cast<unsigned char>(text[i]);
    if ((next & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (next & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return length;
}

class Parser {
public:
  Parser(std::string_view text, std::string &error)
      : text(text), error(error) {}

  bool parseDocument(Value &value) {
    skipSpace();
    if (!parseValue(value, 0))
      return false;
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the JSON value", "the end");
    return true;
  }

private:
  bool fail(const std::string &what, const std::string &expected) {
    error = what + " at byte " + std::to_string(pos) + " (expected " +
            expected + ")";
    return false;
  }

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }

  void skipSpace() {
    while (!atEnd() && (text[pos] == ' ' || text[pos] == '\t' ||
                        text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool expectChar(char c, const char *expected) {
    if (atEnd())
      return fail("unexpected end of the text", expected);
    if (text[pos] != c)
      return fail(std::string("unexpected character '") + printable(text[pos]) +
                      "'",
                  expected);
    ++pos;
    return true;
  }

  static std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f)
      return std::string(1, c);
    static const char digits[] = "0123456789abcdef";
    return std::string("\\x") + digits[u >> 4] + digits[u & 15];
  }

  bool parseValue(Value &value, int depth) {
    if (depth > kMaxDepth)
      return fail("JSON nested too deeply",
                  "at most " + std::to_string(kMaxDepth) + " levels");
    if (atEnd())
      return fail("unexpected end of the text", "a JSON value");
    char c = text[pos];
    if (c == '{')
      return parseObject(value, depth);
    if (c == '[')
      return parseArray(value, depth);
    if (c == '"') {
      value.kind = Value::Kind::String;
      return parseString(value.text);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(value);
    if (consumeWord("true")) {
      value.kind = Value::Kind::Bool;
      value.boolean = true;
      return true;
    }
    if (consumeWord("false")) {
      value.kind = Value::Kind::Bool;
      value.boolean = false;
      return true;
    }
    if (consumeWord("null")) {
      value.kind = Value::Kind::Null;
      return true;
    }
    return fail(std::string("unexpected character '") + printable(c) + "'",
                "a JSON value");
  }

  bool consumeWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }

  bool parseObject(Value &value, int depth) {
    value.kind = Value::Kind::Object;
    ++pos; // '{'
    skipSpace();
    if (peek() == '}') {
      ++pos;
      return true;
    }
    while (true) {
      skipSpace();
      if (peek() != '"')
        return expectChar('"', "a string key");
      Member member;
      if (!parseString(member.key))
        return false;
      skipSpace();
      if (!expectChar(':', "':' after an object key"))
        return false;
      skipSpace();
      if (!parseValue(member.value, depth + 1))
        return false;
      value.object.push_back(std::move(member));
      skipSpace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      return expectChar('}', "',' or '}' in an object");
    }
  }

  bool parseArray(Value &value, int depth) {
    value.kind = Value::Kind::Array;
    ++pos; // '['
    skipSpace();
    if (peek() == ']') {
      ++pos;
      return true;
    }
    while (true) {
      skipSpace();
      value.array.emplace_back();
      if (!parseValue(value.array.back(), depth + 1))
        return false;
      skipSpace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      return expectChar(']', "',' or ']' in an array");
    }
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  bool parseNumber(Value &value) {
    const size_t start = pos;
    if (peek() == '-')
      ++pos;
    if (peek() == '0') {
      ++pos;
    } else if (isDigit(peek())) {
      while (isDigit(peek()))
        ++pos;
    } else {
      return fail("a malformed number", "a digit");
    }
    if (peek() == '.') {
      ++pos;
      if (!isDigit(peek()))
        return fail("a malformed number", "a digit after '.'");
      while (isDigit(peek()))
        ++pos;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos;
      if (peek() == '+' || peek() == '-')
        ++pos;
      if (!isDigit(peek()))
        return fail("a malformed number", "a digit in the exponent");
      while (isDigit(peek()))
        ++pos;
    }
    value.kind = Value::Kind::Number;
    value.text = std::string(text.substr(start, pos - start));
    return true;
  }

  static int hexValue(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  bool parseHex4(uint32_t &unit) {
    unit = 0;
    for (int i = 0; i < 4; ++i) {
      int digit = atEnd() ? -1 : hexValue(text[pos]);
      if (digit < 0)
        return fail("a malformed \\u escape", "four hexadecimal digits");
      unit = unit * 16 + static_cast<uint32_t>(digit);
      ++pos;
    }
    return true;
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool parseEscape(std::string &out) {
    ++pos; // '\\'
    if (atEnd())
      return fail("unexpected end of the text", "an escape character");
    char c = text[pos++];
    switch (c) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      break;
    default:
      --pos;
      return fail("an invalid escape '\\" + printable(c) + "'",
                  "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
    }
    uint32_t unit;
    if (!parseHex4(unit))
      return false;
    if (unit >= 0xdc00 && unit <= 0xdfff)
      return fail("a lone low surrogate", "a high surrogate first");
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (text.substr(pos, 2) != "\\u")
        return fail("a lone high surrogate", "a \\u low surrogate after it");
      pos += 2;
      uint32_t low;
      if (!parseHex4(low))
        return false;
      if (low < 0xdc00 || low > 0xdfff)
        return fail("a high surrogate without its low surrogate",
                    "a \\u escape in [dc00, dfff]");
      unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
    }
    appendUtf8(out, unit);
    return true;
  }

  /// Copies one well-formed multi-byte UTF-8 sequence starting at pos.
  bool parseUtf8(std::string &out) {
    size_t length = utf8SequenceLength(text.substr(pos));
    if (!length)
      return fail("an invalid UTF-8 sequence", "UTF-8 text");
    out.append(text.substr(pos, length));
    pos += length;
    return true;
  }

  bool parseString(std::string &out) {
    ++pos; // '"'
    out.clear();
    while (true) {
      if (atEnd())
        return fail("an unterminated string", "a closing '\"'");
      const char c = text[pos];
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c == '\\') {
        if (!parseEscape(out))
          return false;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        return fail("a control character in a string",
                    "it escaped, e.g. \\n or \\u0000");
      } else if (static_cast<unsigned char>(c) < 0x80) {
        out += c;
        ++pos;
      } else if (!parseUtf8(out)) {
        return false;
      }
    }
  }

  std::string_view text;
  std::string &error;
  size_t pos = 0;
};

} // namespace

bool parse(std::string_view text, Value &value, std::string &error) {
  value = Value();
  return Parser(text, error).parseDocument(value);
}

bool isValidUtf8(std::string_view text) {
  while (!text.empty()) {
    size_t length = utf8SequenceLength(text);
    if (!length)
      return false;
    text.remove_prefix(length);
  }
  return true;
}

bool toNonNegativeInt(const Value &value, int64_t &result) {
  if (value.kind != Value::Kind::Number || value.text.empty())
    return false;
  int64_t n = 0;
  for (char c : value.text) {
    if (c < '0' || c > '9')
      return false;
    int digit = c - '0';
    if (n > (std::numeric_limits<int64_t>::max() - digit) / 10)
      return false;
    n = n * 10 + digit;
  }
  result = n;
  return true;
}

const char *describe(Value::Kind kind) {
  switch (kind) {
  case Value::Kind::Null:
    return "null";
  case Value::Kind::Bool:
    return "a boolean";
  case Value::Kind::Number:
    return "a number";
  case Value::Kind::String:
    return "a string";
  case Value::Kind::Array:
    return "an array";
  case Value::Kind::Object:
    return "an object";
  }
  return "a value";
}

void appendQuoted(std::string &out, std::string_view text) {
  static const char digits[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20) {
      out += "\\u00";
      out += digits[u >> 4];
      out += digits[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

} // namespace pfc::json
