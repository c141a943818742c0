// Recognizer: text -> entities. Tokenizes, tags (tagger.h), applies the document-level pass
// and the dateline rule, then groups mentions into entities with one canonical name each.
//
// Canonicalisation rules (README.md lists them with examples):
//  * titles and nationality words before a person's name are not part of it ("Vice Foreign
//    Minister Pak Myong-ho" -> "Pak Myong Ho");
//  * romanised names written with a hyphen and lower-case syllable are the spaced form
//    ("Kim Jong-un" = "Kim Jong Un");
//  * a later single-word mention of a person's first or last name refers to that person
//    ("Kim", "Sun");
//  * "Long Name (ACR)" teaches that ACR is Long Name, and a capitals-only mention whose letters
//    are the initials of another entity's name is that entity;
//  * names in the gazetteer take its canonical form and type ("DPRK", "U.S.", "UN Security
//    Council"); a leading acronym of a known organisation is expanded ("UN X" -> "United
//    Nations X"); nationality adjectives fold into their country when fold_demonyms is on;
//  * an upper-case place at the start of a line followed by a dash, comma or colon is a dateline
//    and a place ("SEOUL –" -> "Seoul").
//
// The Model and Gazetteer are shared read-only; a Recognizer holds per-worker scratch, so use
// one per thread. Run() allocates its output and reuses scratch; time is linear in the text
// (grouping is quadratic in the number of distinct entities, bounded by max_entities).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stages/core/article.h"
#include "stages/entities/gazetteer.h"
#include "stages/entities/tagger.h"
#include "stages/entities/tokenizer.h"

namespace newsflow::entities {

struct RecognizerOptions {
  bool fold_demonyms = true;   // "Chinese" becomes a mention of China (LOC)
  bool emit_misc = true;       // output MISC entities
  bool consistency = true;     // document-level second pass
  bool score_every_token = false;  // score plain words after an O too (Model::Tag)
  size_t max_entities = 500;   // at most this many entities per article (most mentioned kept)
};

class Recognizer {
 public:
  Recognizer(const Model* model, const Gazetteer* gazetteer, RecognizerOptions options);

  // Finds the entities of `text`; mention offsets are code points into `text`.
  void Run(std::string_view text, std::vector<Entity>* out);

  // The tokens and final tags of the last Run() (tests and tools).
  const std::vector<Token>& tokens() const { return tokens_; }
  const std::vector<uint8_t>& tags() const { return tags_; }

 private:
  struct Span {
    uint32_t begin = 0;  // token range
    uint32_t end = 0;
    int type = 0;
  };
  // Gazetteer::Match at token i of the last Run(), from the tagger's per-token results.
  int MatchAt(size_t i, const Gazetteer::Entry** entry) const;
  void ApplyDatelines();
  void Group(std::string_view text, std::vector<Entity>* out);

  const Model* model_;
  const Gazetteer* gazetteer_;
  RecognizerOptions options_;
  std::vector<Token> tokens_;
  std::vector<uint8_t> tags_;
  DocumentView view_;
  TaggerScratch scratch_;
};

// The stable id of an entity: 16 hex digits of a hash of type and canonical name.
std::string EntityId(std::string_view type, std::string_view canonical);

}  // namespace newsflow::entities
