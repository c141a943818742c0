#include <string>
#include <unordered_set>

#include "stages/clean/extract.h"
#include "stages/clean/normalize.h"
#include "stages/clean/text_rules.h"

namespace newsflow::clean {
namespace {

std::string Folded(std::string_view s) {
  std::string out;
  for (const char c : AsciiLower(s)) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80) {
      out.push_back(c);
    }
  }
  return out;
}

bool EndsSentence(std::string_view s) {
  if (s.empty()) return false;
  const char c = s.back();
  if (c == '.' || c == '!' || c == '?' || c == '"' || c == '\'' || c == ')') return true;
  // Closing typographic quotes ” ’ and ellipsis.
  return s.size() >= 3 &&
         (s.substr(s.size() - 3) == "\xE2\x80\x9D" || s.substr(s.size() - 3) == "\xE2\x80\x99" ||
          s.substr(s.size() - 3) == "\xE2\x80\xA6");
}

}  // namespace

bool SameTitle(std::string_view a, std::string_view b) {
  const std::string fa = Folded(a), fb = Folded(b);
  if (fa.empty() || fb.empty()) return false;
  if (fa == fb) return true;
  const std::string& shorter = fa.size() < fb.size() ? fa : fb;
  const std::string& longer = fa.size() < fb.size() ? fb : fa;
  return shorter.size() >= 12 && longer.find(shorter) != std::string::npos;
}

void CleanPlainText(std::string_view text, std::string_view input_title, Extracted* out) {
  const std::string norm = NormalizeText(text, true);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= norm.size()) {
    size_t end = norm.find('\n', start);
    if (end == std::string::npos) end = norm.size();
    if (end > start) lines.emplace_back(norm.substr(start, end - start));
    start = end + 1;
  }
  const size_t n = lines.size();
  std::vector<bool> keep(n, true);
  // Cookie banners: usually a block at the end, sometimes in the article's own language only
  // in part, so a tail mostly made of notices goes as a whole.
  std::vector<bool> cookie_line(n);
  std::vector<size_t> cookies_from(n + 1, 0);  // cookie lines in [i, n)
  for (size_t i = n; i-- > 0;) {
    cookie_line[i] = IsCookieNotice(lines[i]);
    cookies_from[i] = cookies_from[i + 1] + (cookie_line[i] ? 1 : 0);
  }
  for (size_t i = 0; i < n; ++i) {
    if (!cookie_line[i]) continue;
    if (i >= n / 3 && cookies_from[i] * 2 >= n - i) {
      for (size_t k = i; k < n; ++k) keep[k] = false;
      // The close glyph or label right before the banner belongs to it.
      for (size_t k = i; k-- > 0 && IsUiLine(lines[k]);) keep[k] = false;
      break;
    }
    keep[i] = false;
  }
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    if (IsUiLine(lines[i]) || IsPromptParagraph(lines[i])) keep[i] = false;
    // Repeated lines are captions or furniture shown twice.
    if (keep[i] && !seen.insert(lines[i]).second) keep[i] = false;
  }
  std::vector<std::string> kept;
  for (size_t i = 0; i < n; ++i) {
    if (keep[i]) kept.push_back(std::move(lines[i]));
  }
  // Captions with credits, except on the last paragraph where the credit is the wire's
  // sign-off ("... — Agencies") and only the credit goes.
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i + 1 == kept.size()) {
      StripTrailingCredit(&kept[i]);
    } else if (HasTrailingCredit(kept[i]) && AtMostWords(kept[i], 60)) {
      kept[i].clear();
    }
  }
  std::vector<std::string> paras;
  for (auto& k : kept) {
    if (!k.empty()) paras.push_back(std::move(k));
  }
  size_t first = 0;
  // Section labels before the headline ("World", "Asia Pacific").
  while (first + 1 < paras.size() && first < 2 && AtMostWords(paras[first], 3) &&
         paras[first].size() <= 30 && !EndsSentence(paras[first]) &&
         IsTitleLike(paras[first + 1])) {
    ++first;
  }
  if (first < paras.size() && !input_title.empty() && SameTitle(paras[first], input_title)) {
    out->title = std::string(input_title);
    ++first;
  } else if (first + 2 < paras.size() && IsTitleLike(paras[first]) && !EndsSentence(paras[first])) {
    out->title = paras[first];
    ++first;
    // A standfirst: one unpunctuated sentence right under the headline.
    const int words = CountWords(paras[first]);
    if (first + 2 < paras.size() && words >= 6 && words <= 60 && !EndsSentence(paras[first])) {
      out->description = paras[first];
      ++first;
    }
  }
  paras.erase(paras.begin(), paras.begin() + static_cast<std::ptrdiff_t>(first));
  if (!paras.empty()) {
    out->dateline = SplitDateline(&paras.front());
    if (paras.front().empty()) paras.erase(paras.begin());
  }
  out->paragraphs = std::move(paras);
}

}  // namespace newsflow::clean
