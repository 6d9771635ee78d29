//===- Escape.cpp - Input bytes made safe to print in messages ------------===//
#include "pfc/Runtime/Escape.h"

#include <cstdio>

namespace pfc {

/// The length of the well-formed UTF-8 sequence starting `in` (RFC 3629: no
/// overlong forms, no surrogates, at most U+10FFFF); 0 when it is malformed,
/// -1 when `in` ends inside a sequence that could still be well formed.
static int sequenceLength(std::string_view in) {
  const unsigned char lead = static_cast<unsigned char>(in[0]);
  int length;
  unsigned char low = 0x80, high = 0xbf;
  if (lead < 0x80)
    return 1;
  if (lead >= 0xc2 && lead <= 0xdf)
    length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    low = lead == 0xe0 ? 0xa0 : 0x80;
    high = lead == 0xed ? 0x9f : 0xbf;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    low = lead == 0xf0 ? 0x90 : 0x80;
    high = lead == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  for (int i = 1; i < length; ++i) {
    if (static_cast<size_t>(i) >= in.size())
      return -1;
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c < (i == 1 ? low : 0x80) || c > (i == 1 ? high : 0xbf))
      return 0;
  }
  return length;
}

size_t appendEscaped(std::string_view in, std::string &out, bool final,
                     bool keepLines) {
  size_t at = 0;
  while (at < in.size()) {
    const unsigned char c = static_cast<unsigned char>(in[at]);
    int length = sequenceLength(in.substr(at));
    if (length < 0 && !final)
      return at;
    const bool control =
        c < 0x20 ? !keepLines || (c != '\n' && c != '\t') : c == 0x7f;
    if (length <= 0 || control) {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      out += escaped;
      ++at;
      continue;
    }
    out.append(in.data() + at, static_cast<size_t>(length));
    at += static_cast<size_t>(length);
  }
  return at;
}

bool isValidUtf8(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    int length = sequenceLength(text.substr(at));
    if (length <= 0)
      return false;
    at += static_cast<size_t>(length);
  }
  return true;
}

std::string escapeText(std::string_view text) {
  std::string out;
  appendEscaped(text, out, /*final=*/true, /*keepLines=*/false);
  return out;
}

} // namespace pfc
