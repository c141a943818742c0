#include "stages/language/text.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

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

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
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

char32_t NextCodePoint(std::string_view s, size_t* pos) {
  const auto b = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const size_t i = *pos;
  const unsigned char c0 = b(i);
  if (c0 < 0x80) {
    *pos = i + 1;
    return c0;
  }
  int len = 0;
  char32_t cp = 0;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    len = 2;
    cp = c0 & 0x1F;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    len = 3;
    cp = c0 & 0x0F;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    len = 4;
    cp = c0 & 0x07;
  } else {
    *pos = i + 1;
    return 0xFFFD;
  }
  if (i + len > s.size()) {
    *pos = i + 1;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    const unsigned char ck = b(i + k);
    if ((ck & 0xC0) != 0x80) {
      *pos = i + 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (ck & 0x3F);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
    *pos = i + 1;
    return 0xFFFD;
  }
  *pos = i + len;
  return cp;
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
    AppendUtf8(c, &out->letters);
    out->offsets.push_back(static_cast<uint32_t>(out->letters.size()));
    ++out->script_letters[static_cast<size_t>(ScriptOf(c))];
    ++out->letter_count;
  }
  close_word();
  // A separator between texts appended to the same buffer: words never run across them.
}

}  // namespace newsflow::language
