// Word tokenizer for the entity tagger: splits UTF-8 text into word tokens with byte and
// Unicode code point offsets, CoNLL style (punctuation apart, "U.S." and "Jong-un" whole,
// possessive "'s" apart, "DPRK-China" split where both halves are capitalised).
//
// Pure functions; the output vector is the caller's (cleared, capacity kept), so a worker can
// reuse one. Input must be valid UTF-8 (invalid bytes are treated as single symbols). Time is
// linear in the input length.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace newsflow::entities {

struct Token {
  std::string_view text;  // view into the tokenized text
  uint32_t begin = 0;     // byte offsets into the text
  uint32_t end = 0;
  uint32_t cp_begin = 0;  // code point offsets into the text
  uint32_t cp_end = 0;
  bool line_start = false;      // first token after a line break (or of the text)
  bool sentence_start = false;  // first token of a sentence (set by Tokenize)
};

void Tokenize(std::string_view text, std::vector<Token>* out);

// Index ranges [begin, end) of the sentences in `tokens` (split at sentence_start).
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};
void Sentences(const std::vector<Token>& tokens, std::vector<Span>* out);

}  // namespace newsflow::entities
