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

}  // namespace newsflow
