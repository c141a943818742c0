// Word-level helpers shared by the tagger, the gazetteer and entity grouping: the normalised
// form used for matching ("U.S." -> "us", "People’s" -> "people's") and its hash.
// Pure functions, thread-safe, no allocation unless they return a std::string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace newsflow::entities {

// Lower-cases ASCII, maps typographic apostrophes and dashes to ASCII, drops periods from
// words that also contain letters ("U.S." -> "us", "Jan." -> "jan"). Writes at most `cap`
// bytes to `buf` and returns the length.
size_t NormalizeWord(std::string_view w, char* buf, size_t cap);
std::string NormalizeWord(std::string_view w);
uint64_t NormHash(std::string_view w);

// Combines a running phrase hash with the next word's hash.
inline uint64_t MixHash(uint64_t a, uint64_t b) {
  a ^= b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2);
  a *= 0xff51afd7ed558ccdULL;
  return a ^ (a >> 33);
}

// The first letter is an upper-case letter (ASCII or Latin-1+). Inline for the usual first
// byte, an ASCII letter: the passes over a document ask it of nearly every token.
bool StartsUpperSlow(std::string_view w);
inline bool StartsUpper(std::string_view w) {
  if (!w.empty()) {
    const unsigned char c = static_cast<unsigned char>(w[0]);
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') return true;
  }
  return StartsUpperSlow(w);
}
bool IsAllCaps(std::string_view w);    // has letters and none is lower-case (ASCII view)
bool HasLower(std::string_view w);

}  // namespace newsflow::entities
