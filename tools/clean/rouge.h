// ROUGE-LSum (summary-level LCS) as computed by the rouge-score package's rougeLsum, without
// stemming: texts are split into lines, lines into tokens (lower-cased, every run of characters
// other than [a-z0-9] is a separator), and each reference line is matched against every
// candidate line by LCS; the union of matched reference tokens counts, with each token type
// clipped to its count in both texts. Pure functions; O(reference tokens x candidate tokens).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace newsflow::clean_tools {

struct RougeScore {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};

std::vector<std::string> RougeTokens(std::string_view line);

// `reference` and `candidate` are lists of lines (paragraphs); a paragraph holding '\n' is
// split further, as the package does with "\n".join(...).
RougeScore RougeLsum(const std::vector<std::string>& reference,
                     const std::vector<std::string>& candidate);

}  // namespace newsflow::clean_tools
