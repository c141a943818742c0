// Line and paragraph rules shared by the HTML and plain-text paths of the clean stage.
//
// Pure functions over normalised UTF-8 (see normalize.h); thread-safe, no shared state.
// The rules are general signals (credits, cookie vocabulary, UI labels, datelines), never
// keyed on a publisher.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace newsflow::clean {

// Splits a leading dateline off `paragraph` ("SEOUL, Jan. 26 (AP) — North Korea said ..."):
// returns the dateline without trailing spaces ("SEOUL, Jan. 26 (AP) —") and removes it and
// the following spaces from `paragraph`; returns "" and leaves it unchanged when there is none.
std::string SplitDateline(std::string* paragraph);

// A whole line that is page furniture: a section or UI label ("Related Story", "Advertisement",
// "Share this article"), a lone glyph ("X", "×", "|"), a "Read more"/"Sign up" prompt.
bool IsUiLine(std::string_view line);

// A cookie or consent notice, in any of the common languages of news sites.
bool IsCookieNotice(std::string_view line);

// A short paragraph that prompts rather than reports: newsletters, subscriptions, paywall
// notices, "follow us", copyright lines.
bool IsPromptParagraph(std::string_view line);

// A short line that opens the furniture after an article ("More from Jane Doe", "Related
// stories", "Most popular", "Read next"): nothing after it is the article's.
bool IsTailMarker(std::string_view line);

// A photo caption with a trailing credit ("... in Pyongyang. — AFP", "(Photo: Reuters)").
bool HasTrailingCredit(std::string_view line);
// Removes a trailing credit (" — Agencies") from the end of the last paragraph; true if removed.
bool StripTrailingCredit(std::string* line);

// Number of words (runs of non-space characters).
int CountWords(std::string_view s);
// CountWords(s) <= n, counting no further than n + 1 words: the rules' word limits are small
// and the paragraphs they test are often long.
bool AtMostWords(std::string_view s, int n);

// Looks like a headline: one line, a few words, no closing full stop.
bool IsTitleLike(std::string_view line);

// Lower-cases ASCII letters only (enough for the keyword rules).
std::string AsciiLower(std::string_view s);

}  // namespace newsflow::clean
