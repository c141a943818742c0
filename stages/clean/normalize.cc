#include "stages/clean/normalize.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/utypes.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "common/utf8.h"

namespace newsflow::clean {
namespace {

// CP1252 bytes 0x80..0x9F and the code points they display as.
constexpr std::array<uint16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// The byte a code point stood for when UTF-8 was read as CP1252 (or Latin-1); -1 if none.
int ByteOfCp1252(uint32_t cp) {
  if (cp >= 0xA0 && cp <= 0xFF) return static_cast<int>(cp);
  if (cp >= 0x80 && cp <= 0x9F) return static_cast<int>(cp);  // undefined CP1252 slots, Latin-1
  for (size_t k = 0; k < kCp1252High.size(); ++k) {
    if (kCp1252High[k] == cp) return static_cast<int>(0x80 + k);
  }
  return -1;
}

struct NamedEntity {
  const char* name;
  uint32_t cp;
};
// The entities that actually turn up in scraped news text.
constexpr NamedEntity kEntities[] = {
    {"amp", '&'},      {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xA0},     {"ndash", 0x2013},  {"mdash", 0x2014},
    {"lsquo", 0x2018}, {"rsquo", 0x2019},  {"sbquo", 0x201A},  {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"bdquo", 0x201E},  {"hellip", 0x2026}, {"laquo", 0xAB},
    {"raquo", 0xBB},   {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"copy", 0xA9},
    {"reg", 0xAE},     {"trade", 0x2122},  {"deg", 0xB0},      {"middot", 0xB7},
    {"bull", 0x2022},  {"euro", 0x20AC},   {"pound", 0xA3},    {"yen", 0xA5},
    {"cent", 0xA2},    {"sect", 0xA7},     {"para", 0xB6},     {"times", 0xD7},
    {"divide", 0xF7},  {"minus", 0x2212},  {"frac12", 0xBD},   {"frac14", 0xBC},
    {"frac34", 0xBE},  {"shy", 0xAD},      {"thinsp", 0x2009}, {"ensp", 0x2002},
    {"emsp", 0x2003},  {"zwj", 0x200D},    {"zwnj", 0x200C},   {"iexcl", 0xA1},
    {"iquest", 0xBF},  {"eacute", 0xE9},   {"egrave", 0xE8},   {"ecirc", 0xEA},
    {"euml", 0xEB},    {"aacute", 0xE1},   {"agrave", 0xE0},   {"acirc", 0xE2},
    {"auml", 0xE4},    {"aring", 0xE5},    {"atilde", 0xE3},   {"ccedil", 0xE7},
    {"iacute", 0xED},  {"igrave", 0xEC},   {"icirc", 0xEE},    {"iuml", 0xEF},
    {"oacute", 0xF3},  {"ograve", 0xF2},   {"ocirc", 0xF4},    {"ouml", 0xF6},
    {"otilde", 0xF5},  {"oslash", 0xF8},   {"uacute", 0xFA},   {"ugrave", 0xF9},
    {"ucirc", 0xFB},   {"uuml", 0xFC},     {"ntilde", 0xF1},   {"szlig", 0xDF},
    {"yacute", 0xFD},  {"Eacute", 0xC9},   {"Egrave", 0xC8},   {"Auml", 0xC4},
    {"Ouml", 0xD6},    {"Uuml", 0xDC},     {"Ccedil", 0xC7},   {"Ntilde", 0xD1},
    {"Aacute", 0xC1},  {"Oacute", 0xD3},   {"Uacute", 0xDA},   {"Iacute", 0xCD},
};

bool IsSpaceLike(uint32_t cp) {
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0x2028 || cp == 0x2029 || cp == 0x85;
}

// Invisible characters with no meaning in news text: zero-width space, BOM, soft hyphen,
// word joiner, bidi marks that scrapers leave behind.
bool IsDropped(uint32_t cp) {
  return cp == 0x200B || cp == 0xFEFF || cp == 0xAD || cp == 0x2060 || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0xFFFE || cp == 0xFFFF;
}

}  // namespace

std::string DecodeEntities(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    const size_t semi = s.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12 || semi == i + 1) {
      out.push_back(s[i++]);
      continue;
    }
    const std::string_view body = s.substr(i + 1, semi - i - 1);
    bool done = false;
    if (body[0] == '#') {
      uint32_t cp = 0;
      bool ok = body.size() > 1;
      const bool hex = body.size() > 2 && (body[1] == 'x' || body[1] == 'X');
      for (size_t k = hex ? 2 : 1; ok && k < body.size(); ++k) {
        const char c = body[k];
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
        if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
        if (d < 0 || cp > 0x10FFFF) {
          ok = false;
        } else {
          cp = cp * (hex ? 16 : 10) + d;
        }
      }
      if (ok && cp > 0 && cp <= 0x10FFFF) {
        // Numeric references to 0x80..0x9F mean the CP1252 character (HTML5 rule).
        if (cp >= 0x80 && cp <= 0x9F) cp = kCp1252High[cp - 0x80];
        AppendUtf8(&out, cp);
        done = true;
      }
    } else {
      for (const auto& e : kEntities) {
        if (body == e.name) {
          AppendUtf8(&out, e.cp);
          done = true;
          break;
        }
      }
    }
    if (done) {
      i = semi + 1;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

namespace {

// The next position at or after `from` where mojibake can start, s.size() if none: a UTF-8
// character read as CP1252/Latin-1 begins with a lead byte 0xC2..0xF4 shown as U+00C2..U+00F4,
// encoded as the bytes C3 82..C3 B4. Everything before it is copied unchanged.
size_t NextMojibakeLead(std::string_view s, size_t from) {
  const char* const end = s.data() + s.size();
  for (const char* p = s.data() + from; p < end;) {
    p = static_cast<const char*>(std::memchr(p, '\xC3', static_cast<size_t>(end - p)));
    if (!p) break;
    const auto c = p + 1 < end ? static_cast<unsigned char>(p[1]) : 0;
    if (c >= 0x82 && c <= 0xB4) return static_cast<size_t>(p - s.data());
    ++p;
  }
  return s.size();
}

}  // namespace

std::string RepairMojibake(std::string_view s) {
  size_t i = NextMojibakeLead(s, 0);
  if (i == s.size()) return std::string(s);
  std::string out;
  out.reserve(s.size());
  out.append(s.data(), i);
  while (i < s.size()) {
    const size_t next = NextMojibakeLead(s, i);
    out.append(s.data() + i, next - i);
    i = next;
    if (i == s.size()) break;
    size_t len = 0;
    const uint32_t cp = DecodeUtf8(s, i, &len);
    const int lead = ByteOfCp1252(cp);
    int need = lead >= 0xF0 && lead <= 0xF4   ? 3
               : lead >= 0xE0 && lead <= 0xEF ? 2
               : lead >= 0xC2 && lead <= 0xDF ? 1
                                              : 0;
    if (need > 0) {
      // Gather the following characters as bytes; all must be continuation bytes.
      uint32_t rebuilt = static_cast<uint32_t>(lead) & (need == 3   ? 0x07u
                                                        : need == 2 ? 0x0Fu
                                                                    : 0x1Fu);
      size_t j = i + len;
      bool ok = true;
      for (int k = 0; k < need; ++k) {
        if (j >= s.size()) {
          ok = false;
          break;
        }
        size_t l2 = 0;
        const uint32_t c2 = DecodeUtf8(s, j, &l2);
        const int b2 = ByteOfCp1252(c2);
        if (b2 < 0x80 || b2 > 0xBF) {
          ok = false;
          break;
        }
        rebuilt = (rebuilt << 6) | (static_cast<uint32_t>(b2) & 0x3F);
        j += l2;
      }
      // Reject overlong forms and surrogates: they cannot come from real UTF-8.
      const uint32_t min = need == 1 ? 0x80 : need == 2 ? 0x800 : 0x10000;
      if (ok && rebuilt >= min && rebuilt <= 0x10FFFF &&
          !(rebuilt >= 0xD800 && rebuilt <= 0xDFFF)) {
        AppendUtf8(&out, rebuilt);
        i = j;
        continue;
      }
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

namespace {

// NFC of `s` in place. Most text is ASCII or already in NFC: ICU's quick check answers that
// without a copy.
void NfcInPlace(std::string* s) {
  bool ascii = true;
  for (const char c : *s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return;
  const icu::StringPiece piece(s->data(), static_cast<int32_t>(s->size()));
  if (nfc->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return;
  status = U_ZERO_ERROR;
  std::string out;
  out.reserve(s->size());
  icu::StringByteSink<std::string> sink(&out);
  nfc->normalizeUTF8(0, piece, sink, nullptr, status);
  if (U_SUCCESS(status)) *s = std::move(out);
}

}  // namespace

std::string ToNfc(std::string_view s) {
  std::string out(s);
  NfcInPlace(&out);
  return out;
}

std::string NormalizeText(std::string_view in, bool keep_newlines) {
  // Entity decoding and mojibake repair copy the text only when there is something to do.
  std::string decoded, repaired;
  std::string_view s = in;
  if (s.find('&') != std::string_view::npos) {
    decoded = DecodeEntities(s);
    s = decoded;
  }
  if (NextMojibakeLead(s, 0) < s.size()) {
    repaired = RepairMojibake(s);
    s = repaired;
  }
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  size_t i = 0;
  auto at_line_start = [&out] { return out.empty() || out.back() == '\n'; };
  while (i < s.size()) {
    // Printable ASCII, the bulk of most text, goes straight through.
    const auto b = static_cast<unsigned char>(s[i]);
    if (b > 0x20 && b < 0x7F) {
      if (pending_space) {
        out.push_back(' ');
        pending_space = false;
      }
      size_t e = i + 1;
      while (e < s.size() && static_cast<unsigned char>(s[e]) > 0x20 &&
             static_cast<unsigned char>(s[e]) < 0x7F) {
        ++e;
      }
      out.append(s.data() + i, e - i);
      i = e;
      continue;
    }
    size_t len = 0;
    const uint32_t cp = DecodeUtf8(s, i, &len);
    i += len;
    if (cp == '\n' || (cp == '\r')) {
      if (cp == '\r' && i < s.size() && s[i] == '\n') ++i;
      pending_space = false;
      if (keep_newlines) {
        out.push_back('\n');
      } else if (!at_line_start()) {
        pending_space = true;
      }
      continue;
    }
    if (cp == ' ' || cp == '\t' || cp == '\v' || cp == '\f' || IsSpaceLike(cp)) {
      if (!at_line_start()) pending_space = true;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || IsDropped(cp)) continue;
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.append(s.substr(i - len, len));
  }
  if (!keep_newlines) {
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  NfcInPlace(&out);
  return out;
}

std::string MatchView(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80 && s[i] != '`') {
      size_t e = i + 1;
      while (e < s.size() && static_cast<unsigned char>(s[e]) < 0x80 && s[e] != '`') ++e;
      out.append(s.data() + i, e - i);
      i = e;
      continue;
    }
    size_t len = 0;
    const uint32_t cp = DecodeUtf8(s, i, &len);
    i += len;
    switch (cp) {
      case 0x2018:
      case 0x2019:
      case 0x201A:
      case 0x201B:
      case 0x2032:
      case 0x2035:
      case 0x02BC:
      case 0xFF07:
      case 0x0060:
      case 0x00B4:
        out.push_back('\'');
        break;
      case 0x201C:
      case 0x201D:
      case 0x201E:
      case 0x201F:
      case 0x2033:
      case 0x00AB:
      case 0x00BB:
      case 0xFF02:
        out.push_back('"');
        break;
      case 0x2010:
      case 0x2011:
      case 0x2012:
      case 0x2013:
      case 0x2014:
      case 0x2015:
      case 0x2212:
      case 0xFE58:
      case 0xFE63:
      case 0xFF0D:
        out.push_back('-');
        break;
      case 0x2026:
        out.append("...");
        break;
      default:
        out.append(s.substr(i - len, len));
    }
  }
  return out;
}

}  // namespace newsflow::clean
