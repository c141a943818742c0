// Tagger: an averaged-perceptron sequence labeller over BIO tags for PER, ORG, LOC and MISC,
// decoded greedily left to right with previous-tag features and BIO constraints.
//
// Features (hashed into a fixed table, no vocabulary): the word, its normalised form, word
// shape, prefixes and suffixes, the words and shapes of a +-2 window, word bigrams,
// capitalisation and sentence position, gazetteer membership of the token and its
// neighbours (gazetteer.h), document-level cues (is this word seen lower-case elsewhere in the
// document, capitalised mid-sentence elsewhere), and the previous one and two tags.
//
// A Model is immutable after Load()/training and shared read-only by all workers; Tag() uses
// caller-owned scratch (TaggerScratch, one per worker) and allocates only when a document is
// larger than any before it. Train() is for the `newsflow-ner train` tool (control plane).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "stages/entities/gazetteer.h"

namespace newsflow::entities {

enum Tag : uint8_t {
  kO = 0, kBPer, kIPer, kBOrg, kIOrg, kBLoc, kILoc, kBMisc, kIMisc, kNumTags
};
// PER, ORG, LOC, MISC; index = (tag - 1) / 2 for tags other than O.
inline constexpr const char* kTypeNames[4] = {"PER", "ORG", "LOC", "MISC"};
inline int TagType(uint8_t tag) { return tag == kO ? -1 : (tag - 1) / 2; }
inline bool TagIsBegin(uint8_t tag) { return tag != kO && (tag - 1) % 2 == 0; }
inline uint8_t BeginTag(int type) { return static_cast<uint8_t>(1 + 2 * type); }
inline uint8_t InsideTag(int type) { return static_cast<uint8_t>(2 + 2 * type); }
// Parses "B-PER", "I-LOC", "O" ...; returns false for an unknown tag.
bool ParseTag(std::string_view s, uint8_t* tag);
const char* TagName(uint8_t tag);

// One document as the tagger sees it: token texts and sentence starts. Views must outlive
// the call that uses them.
struct DocumentView {
  std::vector<std::string_view> words;
  std::vector<uint8_t> sentence_start;  // 1 at the first token of each sentence
};

// Per-worker scratch reused across documents.
struct TaggerScratch {
  std::vector<uint64_t> norm;        // normalised word hashes
  std::vector<uint64_t> exact;       // raw word hashes
  std::vector<uint32_t> shape;       // short-shape hashes
  std::vector<uint8_t> gaz;          // gazetteer B/I + type code per token
  std::vector<uint8_t> names;        // person-name part bits per token (capitalised only)
  std::vector<uint8_t> doc_flags;    // document-level cue bits per token
  std::vector<uint32_t> features;    // static feature buckets, kStaticFeatures per token
  std::vector<uint64_t> tmp;
  std::vector<float> static_scores;  // kNumTags per token
  std::vector<uint64_t> long_shape;  // long-shape hashes
  std::vector<uint8_t> run_code;     // place in the run of capitalised words
};

class Model {
 public:
  static constexpr uint32_t kBucketsLog2 = 20;
  static constexpr uint32_t kBuckets = 1u << kBucketsLog2;
  static constexpr int kStaticFeatures = 40;

  Model();
  // Reads a model written by Save(). The gazetteer is used for features and must be the one the
  // model was trained with (or a superset of it).
  static Result<std::unique_ptr<Model>> Load(const std::string& path, const Gazetteer* gazetteer);
  Status Save(const std::string& path) const;

  // Tags one document; `tags` is resized to the number of words. Only the statistical pass.
  void Tag(const DocumentView& doc, TaggerScratch* scratch, std::vector<uint8_t>* tags) const;
  // The full tagging pipeline: Tag(), then PostProcess() and, when `consistency`,
  // EnforceConsistency().
  void TagDocument(const DocumentView& doc, TaggerScratch* scratch, std::vector<uint8_t>* tags,
                   bool consistency) const;

  // Computes the static features of every token (used by Tag and by training).
  void ComputeFeatures(const DocumentView& doc, TaggerScratch* scratch) const;
  // Scores of every tag for token i given previous tags, added to `scores` (kNumTags floats).
  void Score(const TaggerScratch& scratch, size_t i, uint8_t prev, uint8_t prev2,
             float* scores) const;
  // The dynamic (previous-tag) feature buckets of token i.
  int DynamicFeatures(const TaggerScratch& scratch, size_t i, uint8_t prev, uint8_t prev2,
                      uint32_t* out) const;

  float* weights() { return weights_.data(); }
  const float* weights() const { return weights_.data(); }
  void set_gazetteer(const Gazetteer* g) { gazetteer_ = g; }
  const Gazetteer* gazetteer() const { return gazetteer_; }

 private:
  std::vector<float> weights_;  // kBuckets x kNumTags
  const Gazetteer* gazetteer_ = nullptr;
};

// Whether `next` may follow `prev` in BIO.
inline bool Allowed(uint8_t prev, uint8_t next) {
  if (next == kO || TagIsBegin(next)) return true;
  return prev != kO && TagType(prev) == TagType(next);
}

// Training data: documents of sentences with gold tags.
struct TrainingDocument {
  std::vector<std::string> words;
  std::vector<uint8_t> sentence_start;
  std::vector<uint8_t> tags;
};

struct TrainOptions {
  int epochs = 10;
  uint64_t seed = 1;
  bool verbose = true;
};

// Averaged perceptron training; returns the trained model.
std::unique_ptr<Model> Train(const std::vector<TrainingDocument>& docs, const Gazetteer* gazetteer,
                             const TrainOptions& options);

// Span repair after tagging: trims punctuation off span edges, and makes a multi-word or
// capitals-only gazetteer name one span of the gazetteer's type when the tagger's spans there lie
// inside it ("People's" + "of China" -> "People's Republic of China"). Needs the scratch of the
// Tag() call on `doc`.
void PostProcess(const DocumentView& doc, const TaggerScratch& scratch, const Gazetteer* gazetteer,
                 std::vector<uint8_t>* tags);

// Document-level second pass: a capitalised token sequence tagged as an entity somewhere in the
// document gives its (majority) type to its other untagged or differently tagged occurrences.
void EnforceConsistency(const DocumentView& doc, std::vector<uint8_t>* tags);

}  // namespace newsflow::entities
