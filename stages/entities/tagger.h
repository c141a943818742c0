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
// The weights are kept as their non-zero rows behind a bitmap index (Model::Row), in one block
// that asks the kernel for transparent huge pages; Load(), FromDense() and the constructor
// allocate it and throw std::bad_alloc when memory is short.
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

// Per-worker scratch reused across documents. Filled by Model::ComputeFeatures() (so by Tag());
// PostProcess() and the Recognizer read the per-token facts of the same document from it.
struct TaggerScratch {
  std::vector<uint64_t> norm;        // normalised word hashes
  std::vector<uint64_t> exact;       // raw word hashes
  std::vector<uint32_t> shape;       // short-shape hashes
  std::vector<uint8_t> gaz;          // gazetteer B/I + type code per token
  std::vector<uint8_t> names;        // person-name part bits per token (capitalised only)
  std::vector<uint8_t> doc_flags;    // document-level cue bits per token
  std::vector<uint8_t> lex;          // word-list bits per token (kLex* in tagger.cc)
  std::vector<uint32_t> features;    // static feature buckets, kStaticFeatures per token (the
                                     // vector may be longer than the document needs)
  std::vector<uint64_t> long_shape;  // long-shape hashes
  std::vector<uint8_t> run_code;     // place in the run of capitalised words
  std::vector<uint64_t> cue_keys;    // document cue table (open addressing), key | bits
  // Word types: tokens spelled alike share everything computed from the word alone (hashes,
  // word-list bits, the first kWordFeatures feature buckets), computed at their first token.
  std::vector<uint32_t> type_of;     // per token: its type
  std::vector<uint32_t> type_first;  // per type: its first token
  std::vector<uint32_t> type_slots;  // open addressing on the exact hash: type + 1, 0 empty
  std::vector<float> type_sum;       // per type: scores of its word features (Tag(), kNumTags)
  std::vector<uint8_t> type_state;   // per type: Tag()'s progress on type_sum
  // Per token: 1 when ComputeFeatures() left its window features out (a token Tag() may skip).
  std::vector<uint8_t> lazy;
  // Gazetteer::Match at each token, computed once per document (length 0: none).
  std::vector<uint8_t> gaz_len;
  std::vector<const Gazetteer::Entry*> gaz_entry;
  const Gazetteer* gaz_source = nullptr;  // the gazetteer gaz_len/gaz_entry come from
};

class Model {
 public:
  static constexpr uint32_t kBucketsLog2 = 20;
  static constexpr uint32_t kBuckets = 1u << kBucketsLog2;
  static constexpr int kStaticFeatures = 40;
  static constexpr int kWordFeatures = 12;  // static features 0-11 depend on the word alone

  Model();  // all weights zero
  // Reads a model written by Save(). The gazetteer is used for features and must be the one the
  // model was trained with (or a superset of it).
  static Result<std::unique_ptr<Model>> Load(const std::string& path, const Gazetteer* gazetteer);
  // A model from a dense table of kBuckets x kNumTags weights (training).
  static std::unique_ptr<Model> FromDense(const std::vector<float>& dense,
                                          const Gazetteer* gazetteer);
  Status Save(const std::string& path) const;

  // Tags one document; `tags` is resized to the number of words. Only the statistical pass.
  // A plain word (no capital, no non-ASCII letter) that follows an O and is not followed by a
  // capitalised word in its sentence is tagged O without being scored, unless
  // `score_every_token` (the model practically never tags one otherwise; README).
  void Tag(const DocumentView& doc, TaggerScratch* scratch, std::vector<uint8_t>* tags,
           bool score_every_token = false) const;
  // The full tagging pipeline: Tag(), then PostProcess() and, when `consistency`,
  // EnforceConsistency().
  void TagDocument(const DocumentView& doc, TaggerScratch* scratch, std::vector<uint8_t>* tags,
                   bool consistency, bool score_every_token = false) const;

  // Computes the static features of every token (used by Tag and by training), and the
  // per-token facts PostProcess reads (gazetteer matches, word-list bits). With `skip_plain`,
  // the window features (12 onwards) of the tokens Tag() may skip are left out and those
  // tokens are marked in `lazy`.
  void ComputeFeatures(const DocumentView& doc, TaggerScratch* scratch,
                       bool skip_plain = false) const;
  // The dynamic (previous-tag) feature buckets of token i.
  int DynamicFeatures(const TaggerScratch& scratch, size_t i, uint8_t prev, uint8_t prev2,
                      uint32_t* out) const;

  // The kNumTags weights of a feature bucket, or null when they are all zero.
  const float* Row(uint32_t bucket) const { return RowWith<false>(bucket); }
  // The same with the CPU's popcnt instruction: only where HasPopcnt() (Tag() uses it then).
  const float* RowPopcnt(uint32_t bucket) const { return RowWith<true>(bucket); }
  // Whether this CPU has popcnt (x86-64 only; checked once).
  static bool HasPopcnt();
  size_t num_rows() const { return num_rows_; }
  // Hash64 of the file Load() read (0 for a model not loaded from a file): names the model in
  // the stage version.
  uint64_t file_hash() const { return file_hash_; }
  void set_gazetteer(const Gazetteer* g) { gazetteer_ = g; }
  const Gazetteer* gazetteer() const { return gazetteer_; }

 private:
  template <bool kPopcnt>
  const float* RowWith(uint32_t bucket) const {
    const IndexWord& w = index_[bucket >> 6];
    const uint64_t bit = 1ULL << (bucket & 63);
    if ((w.bits & bit) == 0) return nullptr;
    const uint64_t below = w.bits & (bit - 1);
    const uint32_t rank = w.rank + (kPopcnt ? HwPopCount(below) : PopCount(below));
    return &weights_[static_cast<size_t>(rank) * kNumTags];
  }
  // Tag() with RowWith<kPopcnt>.
  template <bool kPopcnt>
  void TagWith(const DocumentView& doc, TaggerScratch* scratch, std::vector<uint8_t>* tags,
               bool score_every_token) const;
  // The window features (12 onwards) of token i: neighbours within its sentence.
  void WindowFeatures(const DocumentView& doc, TaggerScratch* scratch, size_t i) const;
  // Inline bit count: without -mpopcnt, __builtin_popcountll is a library call.
  static uint32_t PopCount(uint64_t x) {
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return static_cast<uint32_t>((x * 0x0101010101010101ULL) >> 56);
  }
  // The popcnt instruction, written as assembly so that the build needs no -mpopcnt (the
  // binary still runs on a CPU without it: Tag() asks HasPopcnt() first). The rank of a row
  // is counted about 30 times per scored token, and the instruction is ~10 fewer than the
  // inline count; newsflow-ner-bench +7%.
  static uint32_t HwPopCount(uint64_t x) {
#if defined(__x86_64__)
    uint64_t r;
    asm("popcnt %1, %0" : "=r"(r) : "r"(x) : "cc");
    return static_cast<uint32_t>(r);
#else
    return PopCount(x);
#endif
  }
  // Only the non-zero rows are kept, in bucket order, found through a bitmap of the buckets
  // that have one plus a running count per 64 buckets. About 27% of the 2^20 buckets have
  // weights: 10.3 MB of rows instead of a dense 37.7 MB table, the 256 KB index mostly stays
  // in L2, and a feature without weights costs no access to the rows at all.
  struct IndexWord {
    uint64_t bits = 0;   // bucket 64*k + j has a row when bit j is set
    uint32_t rank = 0;   // rows of all buckets before 64*k
    uint32_t unused = 0;
  };
  // Builds the index for `buckets` (ascending) and moves it and `rows` (kNumTags floats per
  // bucket) into one block on transparent huge pages where the kernel allows them: the rows are
  // read at random, and with 4 KB pages most of those reads would miss the TLB as well.
  void Assemble(const std::vector<uint32_t>& buckets, const std::vector<float>& rows);
  struct FreeBlock {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, FreeBlock> block_;
  const IndexWord* index_ = nullptr;  // kBuckets / 64 words
  const float* weights_ = nullptr;    // kNumTags floats per non-zero row
  size_t num_rows_ = 0;
  uint64_t file_hash_ = 0;
  // Rows of the two features that depend only on the previous tags, resolved once.
  const float* prev_rows_[kNumTags] = {};             // Bucket(40, prev)
  const float* prev2_rows_[kNumTags][kNumTags] = {};  // Bucket(41, prev2 * 16 + prev)
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
// The same with the words' NormHash() values given (TaggerScratch::norm).
void EnforceConsistency(const DocumentView& doc, const std::vector<uint64_t>& norm,
                        std::vector<uint8_t>* tags);

}  // namespace newsflow::entities
