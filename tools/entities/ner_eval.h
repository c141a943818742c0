// Evaluation of the entity tagger and stage, shared by `newsflow-ner eval` and the tests.
//
//  * EvaluateConll: entity-level precision/recall/F1 (exact span and type, as conlleval
//    counts them) of the tagger plus the document-level pass on a CoNLL file.
//  * CheckSeeds: runs the entities stage (through its factory, as the daemon does) over the
//    seed articles and compares with gold.json: required entities found with type and canonical
//    name, and the share of output entities that gold lists as required or optional.
// Control plane: allocates freely, single-threaded.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "common/result.h"
#include "stages/entities/gazetteer.h"
#include "stages/entities/tagger.h"

namespace newsflow::entities {

struct TypeCounts {
  long tp = 0, fp = 0, fn = 0;
  double Precision() const { return tp + fp ? double(tp) / double(tp + fp) : 0; }
  double Recall() const { return tp + fn ? double(tp) / double(tp + fn) : 0; }
  double F1() const {
    double p = Precision(), r = Recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

struct ConllScores {
  std::array<TypeCounts, 4> by_type;  // PER, ORG, LOC, MISC
  TypeCounts micro_pol;               // PER+ORG+LOC
  TypeCounts micro_all;               // all four
  long tokens = 0;
};

// Spans [begin, end) with type of a BIO tag sequence.
struct TagSpan {
  size_t begin, end;
  int type;
};
std::vector<TagSpan> SpansOf(const std::vector<uint8_t>& tags);

void CountSpans(const std::vector<uint8_t>& gold, const std::vector<uint8_t>& pred,
                ConllScores* scores);
// `dump`, when not empty, receives "word<TAB>gold<TAB>predicted" lines (error analysis).
Result<ConllScores> EvaluateConll(const std::string& path, const Model& model, bool consistency,
                                  bool score_every_token,
                                  const std::string& dump = "");
std::string FormatScores(const std::string& title, const ConllScores& s);

struct SeedArticleResult {
  std::string file;
  int required = 0;
  int required_found = 0;
  std::vector<std::string> missing;  // "PER Kim Jong Un"
  int output = 0;
  int output_in_gold = 0;
  std::vector<std::string> extra;    // output entities gold does not list
};

// `model_dir` holds gazetteer.tsv and en.model; `shared` is ../shared.
Result<std::vector<SeedArticleResult>> CheckSeeds(const std::string& shared,
                                                  const std::string& model_dir);
std::string FormatSeeds(const std::vector<SeedArticleResult>& results);

}  // namespace newsflow::entities
