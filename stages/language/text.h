// Text preparation for language identification: words of lower-case letters and script counts.
//
// Tokenize() keeps only letters (Unicode Alphabetic, which includes the vowel signs of Indic
// scripts), lower-cases them (simple case mapping) and splits words at everything else, so that
// digits, punctuation, URLs' slashes and emoji never reach the models. It also counts letters
// per script, which decides Japanese, Korean, Thai, Greek and other single-language scripts
// outright. Pure functions; `Tokenized` is a reusable scratch buffer (clear() keeps capacity),
// one per worker. Bounded: stops after `max_letters` letters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"

namespace newsflow::language {

enum class Script : uint8_t {
  kOther = 0,
  kLatin,
  kCyrillic,
  kGreek,
  kArabic,
  kHebrew,
  kHan,
  kKana,
  kHangul,
  kThai,
  kDevanagari,
  kBengali,
  kGurmukhi,
  kGujarati,
  kTamil,
  kTelugu,
  kKannada,
  kMalayalam,
  kOriya,
  kSinhala,
  kArmenian,
  kGeorgian,
  kEthiopic,
  kKhmer,
  kLao,
  kMyanmar,
  kTibetan,
  kThaana,
  kCount
};
inline constexpr size_t kScriptCount = static_cast<size_t>(Script::kCount);
const char* ScriptName(Script s);

struct Tokenized {
  std::string letters;            // lower-case words, UTF-8, back to back
  std::vector<uint32_t> offsets;  // byte offset in `letters` of each code point, plus the end
  struct Word {
    uint32_t begin;  // index into offsets (code point)
    uint32_t end;    // exclusive
  };
  std::vector<Word> words;
  std::array<uint32_t, kScriptCount> script_letters{};  // letters per script
  size_t letter_count = 0;

  void clear();
  // The code points [begin, end) of `letters` as UTF-8.
  std::string_view Span(uint32_t begin, uint32_t end) const {
    return std::string_view(letters).substr(offsets[begin], offsets[end] - offsets[begin]);
  }
  Script DominantScript() const;
};

// Appends the words of `text` to `out` (call clear() first for a fresh text), stopping once
// out->letter_count reaches `max_letters`. Invalid UTF-8 bytes are treated as separators.
void Tokenize(std::string_view text, size_t max_letters, Tokenized* out);

// Decodes one code point of valid or invalid UTF-8 at `*pos` and advances (DecodeUtf8: invalid
// bytes give U+FFFD and advance by one).
inline char32_t NextCodePoint(std::string_view s, size_t* pos) {
  size_t len = 0;
  const char32_t c = DecodeUtf8(s, *pos, &len);
  *pos += len;
  return c;
}

// Bytes of one window of SampleText().
inline constexpr size_t kSampleWindowBytes = 512;

// A sample of about `sample_bytes` bytes of `text` for the long-text path, written to `out`:
// sample_bytes / kSampleWindowBytes windows (at least 2) spread evenly from the text's start to
// its end, the first at byte 0 and the last ending at the text's end, joined by blank lines.
// Each window's edges move inwards to the nearest space or line end (to a code point boundary
// when there is none within a window, as in Chinese or Japanese), so no word is cut in two.
// A text of at most `sample_bytes` bytes is copied whole. Deterministic: the same text gives
// the same sample.
void SampleText(std::string_view text, size_t sample_bytes, std::string* out);

}  // namespace newsflow::language
