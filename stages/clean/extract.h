// Article extraction for the clean stage: whole HTML pages and scraped plain text -> fields.
//
// ExtractHtml() parses with libxml2's HTML parser in SAX mode (recovering, no network) into a
// compact list of text blocks, then picks the main content container by text and link density
// and markup hints (class/id/role names, <article>, itemprop=articleBody), with JSON-LD
// articleBody as a fall-back; metadata comes from <title>, meta tags, Open Graph and JSON-LD.
// CleanPlainText() does the same job line by line for text input.
// Both are pure (no globals besides libxml2's, initialised once), thread-safe, bounded:
// element depth and count are capped by HtmlLimits. Output strings are normalised (NFC etc.).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace newsflow::clean {

struct Extracted {
  std::string title;                    // best headline found ("" if none)
  std::string description;              // standfirst / meta description
  std::string byline;                   // author names
  std::string published_at;             // as found (not yet validated)
  std::string dateline;                 // split off the first paragraph
  std::vector<std::string> paragraphs;  // body, in order, normalised, non-empty
  bool truncated = false;               // a depth or node limit was hit
};

struct HtmlLimits {
  size_t max_depth = 256;        // elements nested deeper are flattened into their ancestor
  size_t max_elements = 200000;  // elements after this many are not tracked (text still kept)
};

// Never throws except std::bad_alloc.
void ExtractHtml(std::string_view html, const HtmlLimits& limits, Extracted* out);

// `input_title` is the title given with the record ("" if none): a first line equal to it is
// dropped from the body.
void CleanPlainText(std::string_view text, std::string_view input_title, Extracted* out);

// True when two titles name the same headline (case and punctuation ignored, or one contains
// the other).
bool SameTitle(std::string_view a, std::string_view b);

}  // namespace newsflow::clean
