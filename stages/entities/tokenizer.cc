#include "stages/entities/tokenizer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "common/utf8.h"

namespace newsflow::entities {
namespace {

bool IsNonAsciiSpace(char32_t c) {
  return c == 0xA0 || c == 0x2009 || c == 0x200A || c == 0x202F || c == 0x3000 ||
         (c >= 0x2000 && c <= 0x200B) || c == 0xFEFF;
}

inline bool IsSpace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r');  // \t \n \v \f \r
  return IsNonAsciiSpace(c);
}

// Symbols that are always a token of their own.
bool IsNonAsciiPunct(char32_t c) {
  switch (c) {
    case '"': case '(': case ')': case '[': case ']': case '{': case '}': case ',': case ';':
    case '!': case '?': case ':': case '*': case '|': case '<': case '>':
    case 0x201C: case 0x201D: case 0x201E: case 0x2018: case 0x2019: case 0x00AB: case 0x00BB:
    case 0x2014: case 0x2013: case 0x2026: case 0x2022: case 0x00B7:
      return true;
    default:
      return false;
  }
}

inline bool IsPunct(char32_t c) {
  if (c >= 0x80) return IsNonAsciiPunct(c);
  static constexpr std::array<bool, 128> kPunct = [] {
    std::array<bool, 128> t{};
    for (char p : std::string_view("\"()[]{},;!?:*|<>")) t[static_cast<unsigned char>(p)] = true;
    return t;
  }();
  return kPunct[c];
}

bool IsUpperAscii(char c) { return c >= 'A' && c <= 'Z'; }

// Byte classes for the two scans that run over every byte: 1 = an ASCII letter or digit (never
// ends a word core), 2 = ASCII white space (ends a chunk), 0 = anything else.
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = 1;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = 1;
  for (int c = '0'; c <= '9'; ++c) t[c] = 1;
  t[' '] = 2;
  for (int c = '\t'; c <= '\r'; ++c) t[c] = 2;
  return t;
}();

// Words whose trailing period belongs to them.
bool IsAbbreviation(std::string_view w) {
  static constexpr std::array<std::string_view, 44> kAbbrev = {
      "Mr", "Mrs", "Ms", "Dr", "Prof", "Gen", "Sen", "Rep", "Gov", "Lt", "Col", "Capt", "Sgt",
      "St", "Jr", "Sr", "Inc", "Corp", "Co", "Ltd", "vs", "etc", "Jan", "Feb", "Mar", "Apr",
      "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "No", "Mt", "Ft", "Adm", "Maj",
      "Gov", "Pres", "Rev", "Hon", "approx"};
  return std::find(kAbbrev.begin(), kAbbrev.end(), w) != kAbbrev.end();
}

// Lower-case words after a hyphen that split "U.S.-led" into "U.S." "-" "led".
bool IsHyphenSuffix(std::string_view w) {
  static constexpr std::array<std::string_view, 14> kSuffix = {
      "led", "based", "backed", "born", "made", "owned", "style", "run", "funded", "bound",
      "born", "controlled", "brokered", "allied"};
  return std::find(kSuffix.begin(), kSuffix.end(), w) != kSuffix.end();
}

struct Builder {
  std::string_view text;
  std::vector<Token>* out;
  // Code point offset of each byte boundary is computed incrementally by the caller.
  // Inline: it runs once per token (b <= e <= text.size()).
  inline __attribute__((always_inline)) void Add(uint32_t b, uint32_t e, uint32_t cpb,
                                                 uint32_t cpe, bool line_start) {
    out->push_back(Token{std::string_view(text.data() + b, e - b), b, e, cpb, cpe, line_start,
                         false});
  }
};

// Splits one whitespace-free chunk [b, e) (code point offset cpb) into tokens. `ascii`: the
// chunk has no byte above 0x7F, so a token's code points are its bytes (no counting).
void SplitChunk(Builder& bld, uint32_t b, uint32_t e, uint32_t cpb, bool line_start,
                bool ascii) {
  std::string_view s = bld.text;
  // Peel symbols off the front.
  while (b < e) {
    size_t len;
    char32_t c = DecodeUtf8(s, b, &len);
    if ((c == '\'' || c == 0x2019) && b + len < e && s[b + len] == 's' &&
        (b + len + 1 == e || !std::isalnum(static_cast<unsigned char>(s[b + len + 1])))) {
      bld.Add(b, b + len + 1, cpb, cpb + 2, line_start);  // possessive 's / ’s
      line_start = false;
      b += len + 1;
      cpb += 2;
      continue;
    }
    bool quote = c == '\'';
    bool dash_run = c == '-' && b + 1 < e && s[b + 1] == '-';
    if (!(IsPunct(c) || quote || dash_run)) break;
    size_t l = dash_run ? 2 : len;
    bld.Add(b, b + l, cpb, cpb + (dash_run ? 2 : 1), line_start);
    line_start = false;
    b += l;
    cpb += dash_run ? 2 : 1;
  }
  if (b >= e) return;
  // Find the end of the word core: stop at an inner symbol token (e.g. "word," "a—b").
  uint32_t i = b;
  bool hyphen = false;  // a '-' in the core: the hyphen splits below have something to look at
  while (i < e) {
    if (kByteClass[static_cast<unsigned char>(s[i])] == 1) {
      ++i;  // letters and digits never end the core
      continue;
    }
    size_t len;
    char32_t c = DecodeUtf8(s, i, &len);
    hyphen |= c == '-';
    if (IsPunct(c) && !(c == 0x2019 && i > b && i + len < e && s[i + len] != 's')) break;
    if (c == 0x2019 && i + len < e && s[i + len] == 's' &&
        (i + len + 1 == e || !std::isalnum(static_cast<unsigned char>(s[i + len + 1]))))
      break;  // possessive ’s
    if (c == '\'' && i > b && i + 1 < e && s[i + 1] == 's' &&
        (i + 2 == e || !std::isalnum(static_cast<unsigned char>(s[i + 2]))))
      break;  // possessive 's
    if (c == '\'' && i + 1 == e) break;  // trailing quote
    if (c == '-' && i + 1 < e && s[i + 1] == '-') break;
    i += len;
  }
  std::string_view core = s.substr(b, i - b);
  // A trailing period belongs to abbreviations ("Jan.", "U.S.", single initials).
  if (core.size() > 1 && core.back() == '.') {
    std::string_view stem = core.substr(0, core.size() - 1);
    bool keep = IsAbbreviation(stem) || stem.find('.') != std::string_view::npos ||
                (stem.size() == 1 && IsUpperAscii(stem[0]));
    if (!keep) {
      // Also peel any run of periods ("end...").
      while (core.size() > 1 && core.back() == '.') core.remove_suffix(1);
    }
  }
  // Hyphen splits: "DPRK-China" (capitalised both sides) and "U.S.-led".
  size_t start = 0;
  uint32_t cp = cpb;
  for (size_t k = 1; hyphen && k + 1 < core.size(); ++k) {
    if (core[k] != '-') continue;
    std::string_view left = core.substr(start, k - start);
    std::string_view right = core.substr(k + 1);
    size_t rend = right.find('-');
    std::string_view right_word = right.substr(0, rend);
    bool both_caps = !left.empty() && IsUpperAscii(left[0]) && !right_word.empty() &&
                     IsUpperAscii(right_word[0]);
    bool suffix = !left.empty() && IsUpperAscii(left[0]) && IsHyphenSuffix(right_word);
    if (!both_caps && !suffix) continue;
    size_t lcp = ascii ? left.size() : CountCodePoints(left);
    bld.Add(b + start, b + k, cp, cp + lcp, line_start);
    line_start = false;
    bld.Add(b + k, b + k + 1, cp + lcp, cp + lcp + 1, false);
    cp += lcp + 1;
    start = k + 1;
  }
  std::string_view last = core.substr(start);
  if (!last.empty()) {
    size_t lcp = ascii ? last.size() : CountCodePoints(last);
    bld.Add(b + start, b + core.size(), cp, cp + lcp, line_start);
    line_start = false;
    cp += lcp;
  }
  uint32_t rest = b + static_cast<uint32_t>(core.size());
  if (rest < e) SplitChunk(bld, rest, e, cp, line_start, ascii);
}

bool EndsSentence(std::string_view t) {
  return t == "." || t == "!" || t == "?" || t == "..." || t == "\xE2\x80\xA6";
}

}  // namespace

void Tokenize(std::string_view text, std::vector<Token>* out) {
  out->clear();
  Builder bld{text, out};
  uint32_t i = 0;
  uint32_t cp = 0;
  bool line_start = true;
  const uint32_t n = static_cast<uint32_t>(text.size());
  while (i < n) {
    size_t len;
    char32_t c = DecodeUtf8(text, i, &len);
    if (IsSpace(c)) {
      if (c == '\n') line_start = true;
      i += len;
      ++cp;
      continue;
    }
    uint32_t b = i;
    uint32_t cpb = cp;
    bool ascii = true;
    while (i < n) {
      const unsigned char u = static_cast<unsigned char>(text[i]);
      if (u < 0x80) {  // IsSpace() of an ASCII byte, without decoding
        if (kByteClass[u] == 2) break;
        ++i;
        ++cp;
        continue;
      }
      ascii = false;
      c = DecodeUtf8MultiByte(text, i, &len);
      if (IsNonAsciiSpace(c)) break;
      i += len;
      ++cp;
    }
    SplitChunk(bld, b, i, cpb, line_start, ascii);
    line_start = false;
  }
  // Sentence starts: the first token, tokens after a line break, and tokens after a
  // sentence-final symbol (possibly followed by closing quotes).
  bool next_starts = true;
  for (auto& t : *out) {
    if (t.line_start) next_starts = true;
    t.sentence_start = next_starts;
    next_starts = false;
    if (EndsSentence(t.text)) next_starts = true;
  }
}

void Sentences(const std::vector<Token>& tokens, std::vector<Span>* out) {
  out->clear();
  uint32_t begin = 0;
  for (uint32_t i = 1; i <= tokens.size(); ++i) {
    if (i == tokens.size() || tokens[i].sentence_start) {
      if (i > begin) out->push_back({begin, i});
      begin = i;
    }
  }
}

}  // namespace newsflow::entities
