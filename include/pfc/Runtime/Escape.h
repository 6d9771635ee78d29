//===- Escape.h - Input bytes made safe to print in messages ----*- C++ -*-===//
//
// Error messages quote their input (a key, a name, a line of a spec). Bytes
// that a terminal would act on or cannot show (NUL and other control
// characters, invalid UTF-8) are printed as `\xNN`; valid UTF-8, newlines
// and tabs pass unchanged. Free of LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_ESCAPE_H
#define PFC_RUNTIME_ESCAPE_H

#include <string>
#include <string_view>

namespace pfc {

/// Appends `in` to `out` escaped as above, and returns how many bytes of
/// `in` it consumed: all of them when `final`, else all but an incomplete
/// UTF-8 sequence at the end (a stream passes it again with what follows).
/// Newlines and tabs are escaped too unless `keepLines`.
size_t appendEscaped(std::string_view in, std::string &out, bool final = true,
                     bool keepLines = true);

/// Whether `text` is well-formed UTF-8 (RFC 3629).
bool isValidUtf8(std::string_view text);

/// `text` escaped as above, newlines and tabs included: for quoting input
/// inside a one-line message.
std::string escapeText(std::string_view text);

} // namespace pfc

#endif // PFC_RUNTIME_ESCAPE_H
