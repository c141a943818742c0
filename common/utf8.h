// UTF-8 validation and repair. Pure functions, thread-safe, no allocation unless noted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace newsflow {

bool IsValidUtf8(std::string_view s);

// Returns a copy of `s` in which every invalid sequence (stray continuation bytes, overlong
// forms, surrogates, truncated sequences, code points above U+10FFFF) is replaced by U+FFFD.
// Valid input comes back unchanged. `replaced` (optional) receives how many were replaced.
std::string RepairUtf8(std::string_view s, size_t* replaced = nullptr);

// Number of Unicode code points in valid UTF-8 `s` (counts lead bytes).
size_t CountCodePoints(std::string_view s);

// Appends `cp` as UTF-8; a surrogate or a value above U+10FFFF is written as U+FFFD.
void AppendUtf8(std::string* out, char32_t cp);

// The code point of a multi-byte sequence at `s[i]` (i < s.size()); see DecodeUtf8.
char32_t DecodeUtf8MultiByte(std::string_view s, size_t i, size_t* len);

// Decodes the code point starting at `s[i]` (i < s.size()) and sets `*len` to its length in
// bytes. A byte that does not start a well-formed sequence (a stray continuation byte, a lead
// byte without its continuation bytes, a sequence cut by the end of `s`, an overlong form, a
// surrogate, a value above U+10FFFF) decodes as U+FFFD of length 1, so any bytes can be walked
// and nothing is read past the end. ASCII is decoded inline.
inline char32_t DecodeUtf8(std::string_view s, size_t i, size_t* len) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  return DecodeUtf8MultiByte(s, i, len);
}

}  // namespace newsflow
