#include "stages/language/text.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <algorithm>

#include "common/utf8.h"

namespace newsflow::language {
namespace {

Script ScriptOf(char32_t c) {
  if (c < 0x250) return Script::kLatin;  // the callers only ask about letters
  UErrorCode err = U_ZERO_ERROR;
  const UScriptCode sc = uscript_getScript(static_cast<UChar32>(c), &err);
  if (U_FAILURE(err)) return Script::kOther;
  switch (sc) {
    case USCRIPT_LATIN:
      return Script::kLatin;
    case USCRIPT_CYRILLIC:
      return Script::kCyrillic;
    case USCRIPT_GREEK:
      return Script::kGreek;
    case USCRIPT_ARABIC:
      return Script::kArabic;
    case USCRIPT_HEBREW:
      return Script::kHebrew;
    case USCRIPT_HAN:
      return Script::kHan;
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_KATAKANA_OR_HIRAGANA:
      return Script::kKana;
    case USCRIPT_HANGUL:
      return Script::kHangul;
    case USCRIPT_THAI:
      return Script::kThai;
    case USCRIPT_DEVANAGARI:
      return Script::kDevanagari;
    case USCRIPT_BENGALI:
      return Script::kBengali;
    case USCRIPT_GURMUKHI:
      return Script::kGurmukhi;
    case USCRIPT_GUJARATI:
      return Script::kGujarati;
    case USCRIPT_TAMIL:
      return Script::kTamil;
    case USCRIPT_TELUGU:
      return Script::kTelugu;
    case USCRIPT_KANNADA:
      return Script::kKannada;
    case USCRIPT_MALAYALAM:
      return Script::kMalayalam;
    case USCRIPT_ORIYA:
      return Script::kOriya;
    case USCRIPT_SINHALA:
      return Script::kSinhala;
    case USCRIPT_ARMENIAN:
      return Script::kArmenian;
    case USCRIPT_GEORGIAN:
      return Script::kGeorgian;
    case USCRIPT_ETHIOPIC:
      return Script::kEthiopic;
    case USCRIPT_KHMER:
      return Script::kKhmer;
    case USCRIPT_LAO:
      return Script::kLao;
    case USCRIPT_MYANMAR:
      return Script::kMyanmar;
    case USCRIPT_TIBETAN:
      return Script::kTibetan;
    case USCRIPT_THAANA:
      return Script::kThaana;
    default:
      return Script::kOther;
  }
}

}  // namespace

const char* ScriptName(Script s) {
  static constexpr const char* kNames[kScriptCount] = {
      "other",    "latin",    "cyrillic", "greek",      "arabic",  "hebrew",   "han",
      "kana",     "hangul",   "thai",     "devanagari", "bengali", "gurmukhi", "gujarati",
      "tamil",    "telugu",   "kannada",  "malayalam",  "oriya",   "sinhala",  "armenian",
      "georgian", "ethiopic", "khmer",    "lao",        "myanmar", "tibetan",  "thaana"};
  return kNames[static_cast<size_t>(s)];
}

void Tokenized::clear() {
  letters.clear();
  offsets.clear();
  words.clear();
  script_letters.fill(0);
  letter_count = 0;
}

Script Tokenized::DominantScript() const {
  size_t best = 0;
  for (size_t i = 1; i < kScriptCount; ++i) {
    if (script_letters[i] > script_letters[best]) best = i;
  }
  return script_letters[best] == 0 ? Script::kOther : static_cast<Script>(best);
}

void Tokenize(std::string_view text, size_t max_letters, Tokenized* out) {
  bool in_word = false;
  const auto close_word = [out, &in_word]() {
    if (in_word) {
      out->words.back().end = static_cast<uint32_t>(out->offsets.size() - 1);
      in_word = false;
    }
  };
  if (out->offsets.empty()) out->offsets.push_back(0);
  // `offsets` always ends with the end offset of `letters`; each letter appends its end.
  size_t pos = 0;
  while (pos < text.size() && out->letter_count < max_letters) {
    char32_t c = NextCodePoint(text, &pos);
    bool letter;
    if (c < 0x80) {
      letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
      if (letter) c |= 0x20;
    } else {
      const UChar32 u = static_cast<UChar32>(c);
      letter = u_isUAlphabetic(u);
      // Combining marks (a virama, a nukta) belong to the word they sit in.
      if (!letter && in_word) {
        const int8_t type = u_charType(u);
        letter = type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK;
      }
      if (letter) c = static_cast<char32_t>(u_tolower(u));
    }
    if (!letter) {
      close_word();
      continue;
    }
    if (!in_word) {
      const uint32_t begin = static_cast<uint32_t>(out->offsets.size() - 1);
      out->words.push_back({begin, begin});
      in_word = true;
    }
    AppendUtf8(&out->letters, c);
    out->offsets.push_back(static_cast<uint32_t>(out->letters.size()));
    ++out->script_letters[static_cast<size_t>(ScriptOf(c))];
    ++out->letter_count;
  }
  close_word();
  // A separator between texts appended to the same buffer: words never run across them.
}

namespace {

bool IsBreak(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

void SampleText(std::string_view text, size_t sample_bytes, std::string* out) {
  out->clear();
  const size_t n = text.size();
  if (n <= sample_bytes) {
    out->assign(text);
    return;
  }
  const size_t width = std::min(kSampleWindowBytes, n);
  const size_t windows = std::max<size_t>(2, sample_bytes / kSampleWindowBytes);
  for (size_t i = 0; i < windows; ++i) {
    size_t begin = (n - width) * i / (windows - 1);
    size_t end = begin + width;
    if (begin > 0) {  // start after a break inside the window, else at a code point
      size_t b = begin;
      while (b < end && !IsBreak(text[b - 1])) ++b;
      if (b == end) {
        b = begin;
        while (b < end && IsContinuation(text[b])) ++b;
      }
      begin = b;
    }
    if (end < n) {  // end at a break inside the window, else at a code point
      size_t e = end;
      while (e > begin && !IsBreak(text[e])) --e;
      if (e == begin) {
        e = end;
        while (e > begin && IsContinuation(text[e])) --e;
      }
      end = e;
    }
    if (end <= begin) continue;
    if (!out->empty()) out->append("\n\n");
    out->append(text.substr(begin, end - begin));
  }
}

}  // namespace newsflow::language
