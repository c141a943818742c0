#include "stages/clean/text_rules.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

namespace newsflow::clean {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// True when `s` starts with `lower` once its ASCII letters are lower-cased.
bool StartsWithLower(std::string_view s, std::string_view lower) {
  if (s.size() < lower.size()) return false;
  for (size_t k = 0; k < lower.size(); ++k) {
    if (LowerAscii(s[k]) != lower[k]) return false;
  }
  return true;
}

// A fixed set of keywords (lower case, at least two bytes) found anywhere in a line, ignoring
// ASCII case: the same answer as searching AsciiLower(line) for each keyword in turn, in one
// pass without a lower-cased copy. A bitmap of the byte pairs that read as a keyword's first
// two bytes once lower-cased (every case variant is set, so the text is not lower-cased to
// test it) rejects almost every position at once; the rule functions run on every line and
// paragraph, and the one-search-per-keyword form cost more than the rest of plain-text
// cleaning together.
class KeywordSet {
 public:
  template <size_t N>
  explicit KeywordSet(const std::string_view (&words)[N]) {
    for (const auto w : words) {
      for (int a = 0; a < 256; ++a) {
        if (LowerAscii(static_cast<char>(a)) != w[0]) continue;
        for (int b = 0; b < 256; ++b) {
          if (LowerAscii(static_cast<char>(b)) != w[1]) continue;
          const size_t key = Key(static_cast<char>(a), static_cast<char>(b));
          pairs_[key / 64] |= uint64_t{1} << (key % 64);
        }
      }
      by_first_[static_cast<unsigned char>(w[0])].push_back(w);
    }
  }

  bool FoundIn(std::string_view s) const {
    if (s.size() < 2) return false;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const size_t key = Key(s[i], s[i + 1]);
      if (!(pairs_[key / 64] >> (key % 64) & 1)) continue;
      for (const auto w : by_first_[static_cast<unsigned char>(LowerAscii(s[i]))]) {
        if (StartsWithLower(s.substr(i), w)) return true;
      }
    }
    return false;
  }

 private:
  static size_t Key(char a, char b) {
    return static_cast<size_t>(static_cast<unsigned char>(a)) << 8 | static_cast<unsigned char>(b);
  }
  std::array<uint64_t, 65536 / 64> pairs_{};
  std::array<std::vector<std::string_view>, 256> by_first_;
};

bool IsUpperAscii(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLowerAscii(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Dash-like separators of datelines and credits, longest first.
constexpr std::string_view kDashes[] = {"\xE2\x80\x94", "\xE2\x80\x93", "--", "-", ":",
                                        "\xE2\x80\x95"};

size_t MatchDash(std::string_view s) {
  for (auto d : kDashes) {
    if (StartsWith(s, d)) return d.size();
  }
  return 0;
}

constexpr std::string_view kMonths[] = {
    "January", "February", "March",    "April", "June", "July", "August", "September",
    "October", "November", "December", "Jan",   "Feb",  "Mar",  "Apr",    "May",
    "Jun",     "Jul",      "Aug",      "Sept",  "Sep",  "Oct",  "Nov",    "Dec"};

// Agencies and credit words seen at the end of captions and wire copy.
constexpr std::string_view kCredits[] = {
    "AFP",    "AP",        "Reuters",      "Agencies", "Getty Images", "Getty",  "EPA", "Xinhua",
    "Yonhap", "Bloomberg", "Shutterstock", "Alamy",    "PA",           "ANI",    "PTI", "IANS",
    "TASS",   "Kyodo",     "AAP",          "dpa",      "File",         "Handout"};

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (IsUpperAscii(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

namespace {

// The words of s (runs of non-space characters), counted no further than `stop`.
int CountWordsUpTo(std::string_view s, int stop) {
  int n = 0;
  bool in = false;
  for (const char c : s) {
    const bool sp = c == ' ' || c == '\n' || c == '\t';
    if (!sp && !in && ++n >= stop) return n;
    in = !sp;
  }
  return n;
}

}  // namespace

int CountWords(std::string_view s) { return CountWordsUpTo(s, INT_MAX); }

bool AtMostWords(std::string_view s, int n) { return CountWordsUpTo(s, n + 1) <= n; }

std::string SplitDateline(std::string* paragraph) {
  const std::string_view s = *paragraph;
  // PLACE: upper-case words ("SEOUL", "NEW YORK", "WASHINGTON, D.C.") or, when an agency in
  // brackets follows, a capitalised place ("Seoul (AFP) -").
  size_t i = 0;
  int upper_letters = 0, lower_letters = 0;
  while (i < s.size() && i < 48) {
    const char c = s[i];
    if (IsUpperAscii(c)) {
      ++upper_letters;
    } else if (IsLowerAscii(c)) {
      ++lower_letters;
    } else if (c == ' ' || c == '.' || c == '\'' || c == '-' ||
               static_cast<unsigned char>(c) >= 0x80) {
      if (c == '-' && i + 1 < s.size() && s[i + 1] == ' ') break;  // a dash separator
      if (s.substr(i, 2) == "\xE2\x80") break;                     // en/em dash
    } else {
      break;
    }
    ++i;
  }
  // Back off trailing spaces.
  size_t place_end = i;
  while (place_end > 0 && s[place_end - 1] == ' ') --place_end;
  const bool all_caps = lower_letters == 0;
  if (place_end == 0 || upper_letters == 0 || (all_caps && upper_letters < 2)) return {};
  if (!IsUpperAscii(s[0]) && static_cast<unsigned char>(s[0]) < 0x80) return {};
  size_t j = place_end;
  // ", D.C." / ", Calif." style region after an all-caps place.
  auto skip_spaces = [&](size_t k) {
    while (k < s.size() && s[k] == ' ') ++k;
    return k;
  };
  bool has_date = false, has_agency = false;
  if (j < s.size() && s[j] == ',') {
    size_t k = skip_spaces(j + 1);
    // A date: month name (optionally abbreviated with '.') and a day number.
    for (auto m : kMonths) {
      if (StartsWith(s.substr(k), m)) {
        size_t e = k + m.size();
        if (e < s.size() && s[e] == '.') ++e;
        e = skip_spaces(e);
        size_t d = e;
        while (d < s.size() && IsDigit(s[d]) && d - e < 2) ++d;
        if (d > e) {
          j = d;
          has_date = true;
        }
        break;
      }
    }
    if (!has_date) {
      // A region: one capitalised word, possibly abbreviated ("Calif.", "D.C.").
      size_t e = k;
      while (e < s.size() && (IsUpperAscii(s[e]) || IsLowerAscii(s[e]) || s[e] == '.')) ++e;
      if (e > k && IsUpperAscii(s[k]) && e - k <= 12) j = e;
    }
  }
  size_t k = skip_spaces(j);
  if (k < s.size() && s[k] == '(') {
    const size_t close = s.find(')', k);
    if (close != s.npos && close - k <= 24) {
      has_agency = true;
      j = close + 1;
    }
  }
  if (!all_caps && !has_agency) return {};
  k = skip_spaces(j);
  const size_t dash = MatchDash(s.substr(k));
  if (dash == 0) return {};
  // A colon only counts right after an upper-case place ("SEOUL:"), not after a date.
  if (s[k] == ':' && (has_date || k != place_end)) return {};
  const size_t after = k + dash;
  if (after >= s.size() || s[after] != ' ') return {};
  const size_t rest = skip_spaces(after);
  if (rest >= s.size() || AtMostWords(s.substr(rest), 3)) return {};
  // An all-caps opening word that is a sentence ("BREAKING: ...") is not a place; require the
  // text before the date/agency to be at most four words.
  if (!AtMostWords(s.substr(0, place_end), 4)) return {};
  std::string dateline(Trim(s.substr(0, k + dash)));
  paragraph->erase(0, rest);
  return dateline;
}

bool IsUiLine(std::string_view raw) {
  const std::string_view line = Trim(raw);
  if (line.empty()) return true;
  // A lone glyph or a couple of symbols: close buttons, bullets, separators.
  if (line.size() <= 3) {
    bool has_alnum = false;
    for (const char c : line) {
      if (IsUpperAscii(c) || IsLowerAscii(c) || IsDigit(c)) has_alnum = true;
    }
    if (!has_alnum || line.size() == 1) return true;
  }
  if (line.size() > 60) return false;
  char lowered[60];
  for (size_t k = 0; k < line.size(); ++k) lowered[k] = LowerAscii(line[k]);
  std::string_view l(lowered, line.size());
  while (!l.empty() && (l.back() == ':' || l.back() == '.' || l.back() == ' ')) l.remove_suffix(1);
  static constexpr std::string_view kLabels[] = {"related story",
                                                 "related stories",
                                                 "related",
                                                 "related articles",
                                                 "related content",
                                                 "read more",
                                                 "read more:",
                                                 "more from",
                                                 "recommended",
                                                 "recommended stories",
                                                 "advertisement",
                                                 "advertising",
                                                 "sponsored",
                                                 "sponsored content",
                                                 "share",
                                                 "share this article",
                                                 "share this",
                                                 "share on facebook",
                                                 "share on twitter",
                                                 "tweet",
                                                 "email",
                                                 "print",
                                                 "comments",
                                                 "view comments",
                                                 "show comments",
                                                 "leave a comment",
                                                 "close",
                                                 "menu",
                                                 "skip to content",
                                                 "skip to main content",
                                                 "subscribe",
                                                 "sign up",
                                                 "log in",
                                                 "sign in",
                                                 "listen to this article",
                                                 "watch",
                                                 "trending",
                                                 "most read",
                                                 "most popular",
                                                 "you may also like"};
  for (auto label : kLabels) {
    if (l == label) return true;
  }
  if (StartsWith(l, "related:") || StartsWith(l, "read more:") || StartsWith(l, "read also:") ||
      StartsWith(l, "also read:") || StartsWith(l, "see also:") || StartsWith(l, "watch:")) {
    return true;
  }
  return false;
}

bool IsCookieNotice(std::string_view line) {
  static constexpr std::string_view kCookieWords[] = {
      "cookie",
      "\xC3\xA7"
      "erez",  // çerez (Turkish)
      "\xC3\x87"
      "erez",                                              // Çerez
      "ciasteczk",                                         // Polish
      "\xD0\xBA\xD1\x83\xD0\xBA\xD0\xB8",                  // куки
      "\xE3\x82\xAF\xE3\x83\x83\xE3\x82\xAD\xE3\x83\xBC",  // クッキー
      "\xEC\xBF\xA0\xED\x82\xA4",                          // 쿠키
      "t\xC3\xA9moins",                                    // témoins (Québec French)
      "galleta",                                           // Spanish (rare)
      "k\xC3\xBCps",                                       // küpsis (Estonian)
      "ev\xC3\xA4ste",                                     // evästeet (Finnish)
      "kolaczk",                                           // ciasteczka variants
      "\xD9\x85\xD9\x84\xD9\x81\xD8\xA7\xD8\xAA "
      "\xD8\xAA\xD8\xB9\xD8\xB1\xD9\x8A\xD9\x81",  // Arabic
  };
  static const KeywordSet* cookie_words = new KeywordSet(kCookieWords);
  if (!cookie_words->FoundIn(line)) return false;
  static constexpr std::string_view kConsentWords[] = {"accept",
                                                       "consent",
                                                       "privacy",
                                                       "policy",
                                                       "settings",
                                                       "preferences",
                                                       "personal",
                                                       "advertis",
                                                       "website",
                                                       "site",
                                                       "browser",
                                                       "partners",
                                                       "agree",
                                                       "reklam",
                                                       "kabul",
                                                       "taray\xC4\xB1"
                                                       "c\xC4\xB1",
                                                       "ki\xC5\x9F"
                                                       "isel",
                                                       "gizlilik",
                                                       "politika",
                                                       "akzept",
                                                       "datenschutz",
                                                       "zustimm",
                                                       "accepter",
                                                       "confidentialit",
                                                       "aceptar",
                                                       "privacidad",
                                                       "accettare",
                                                       "consenso",
                                                       "navegador",
                                                       "navigateur",
                                                       "deneyim",
                                                       "use"};
  static const KeywordSet* consent_words = new KeywordSet(kConsentWords);
  if (consent_words->FoundIn(line)) return true;
  return AtMostWords(line, 12);
}

bool IsPromptParagraph(std::string_view raw) {
  const std::string_view line = Trim(raw);
  if (line.size() > 280) return false;
  static constexpr std::string_view kPrompts[] = {"sign up for",
                                                  "sign up to",
                                                  "subscribe to our",
                                                  "subscribe now",
                                                  "our newsletter",
                                                  "the newsletter",
                                                  "newsletter",
                                                  "follow us on",
                                                  "follow us:",
                                                  "all rights reserved",
                                                  "\xC2\xA9",
                                                  "copyright ",
                                                  "click here",
                                                  "download our app",
                                                  "download the app",
                                                  "get the app",
                                                  "already a subscriber",
                                                  "to continue reading",
                                                  "subscribe for",
                                                  "this content is for subscribers",
                                                  "create a free account",
                                                  "register for free",
                                                  "unlock this article",
                                                  "support our journalism",
                                                  "we rely on readers",
                                                  "become a member",
                                                  "join our whatsapp",
                                                  "join our telegram",
                                                  "enable javascript",
                                                  "your browser does not support"};
  static const KeywordSet* prompts = new KeywordSet(kPrompts);
  return prompts->FoundIn(line);
}

bool IsTailMarker(std::string_view raw) {
  const std::string_view line = Trim(raw);
  if (line.size() > 60 || !AtMostWords(line, 7)) return false;
  std::string l = AsciiLower(line);
  static constexpr std::string_view kMarkers[] = {"more from ",        "more on ",
                                                  "more in ",          "related stories",
                                                  "related articles",  "related content",
                                                  "related coverage",  "related news",
                                                  "related posts",     "read more",
                                                  "read next",         "recommended",
                                                  "you may also like", "you might also like",
                                                  "most popular",      "most read",
                                                  "popular now",       "trending",
                                                  "what to read next", "more stories",
                                                  "more news",         "editor's picks",
                                                  "editors' picks",    "latest news",
                                                  "further reading",   "around the web",
                                                  "from our partners", "sponsored stories",
                                                  "top stories"};
  for (auto m : kMarkers) {
    if (l.substr(0, m.size()) == m) return true;
  }
  return l == "related" || l == "more" || l == "latest";
}

// The line without a trailing credit (" — Agencies", " - AFP", "/Reuters"), trimmed; an
// empty view when it has none.
std::string_view WithoutTrailingCredit(std::string_view line) {
  const std::string_view s = Trim(line);
  for (auto credit : kCredits) {
    if (!EndsWith(s, credit)) continue;
    std::string_view head = s.substr(0, s.size() - credit.size());
    if (!head.empty() && head.back() != ' ' && head.back() != '/') continue;
    while (!head.empty() && head.back() == ' ') head.remove_suffix(1);
    bool dashed = false;
    for (auto d : kDashes) {
      if (d == ":" || d == "-") continue;
      if (EndsWith(head, d)) {
        head.remove_suffix(d.size());
        dashed = true;
        break;
      }
    }
    if (!dashed && EndsWith(head, " -")) {
      head.remove_suffix(1);
      dashed = true;
    }
    if (!dashed && EndsWith(head, "/")) {
      head.remove_suffix(1);
      dashed = true;
    }
    if (!dashed) continue;
    while (!head.empty() && head.back() == ' ') head.remove_suffix(1);
    return head;
  }
  return {};
}

bool HasTrailingCredit(std::string_view raw) {
  const std::string_view line = Trim(raw);
  // "(Photo: Reuters)", "(AFP Photo)", "Photo by X/Getty Images".
  if (EndsWith(line, ")")) {
    const size_t open = line.rfind('(');
    if (open != line.npos) {
      const std::string_view inner = line.substr(open + 1);
      static constexpr std::string_view kInnerWords[] = {"getty images", "afp photo"};
      static const KeywordSet* inner_words = new KeywordSet(kInnerWords);
      if (StartsWithLower(inner, "photo") || StartsWithLower(inner, "image") ||
          StartsWithLower(inner, "picture") || StartsWithLower(inner, "credit") ||
          inner_words->FoundIn(inner)) {
        return true;
      }
    }
  }
  static constexpr std::string_view kCreditWords[] = {
      "getty images", "/ reuters", "/reuters", "photo: ", "photograph: ", "photo credit"};
  static const KeywordSet* credit_words = new KeywordSet(kCreditWords);
  if (credit_words->FoundIn(line)) return true;
  return !WithoutTrailingCredit(line).empty();
}

bool StripTrailingCredit(std::string* line) {
  const std::string_view head = WithoutTrailingCredit(*line);
  if (head.empty()) return false;
  *line = std::string(head);
  return true;
}

bool IsTitleLike(std::string_view raw) {
  const std::string_view line = Trim(raw);
  if (line.size() < 8 || line.size() > 250) return false;
  const int words = CountWords(line);
  if (words < 2 || words > 25) return false;
  const char last = line.back();
  if (last == '.' || last == ',' || last == ';' || last == ':') return false;
  return true;
}

}  // namespace newsflow::clean
