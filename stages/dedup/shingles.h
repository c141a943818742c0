// Text normalisation and the per-article signature the dedup stage compares.
//
// Normalise: lower case (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic), apostrophes and
// quotes dropped inside words ("Korea’s" == "Korea's" == "Koreas"), hyphens, dashes and every
// other punctuation or space folded to one word break ("Kim Jong-un" == "Kim Jong Un"). Han,
// kana and other unspaced scripts become one token per character, so shingles stay short.
// Signature: the hash of the normalised token sequence (exact copies), word k-shingle hashes,
// keys of the smallest distinct shingle hashes (bottom-k sketch: the LSH keys of the in-memory
// index) and the shingle keys kept by hash-threshold sampling (1 in `sample_rate`, the same
// subset for every article, so set containment of samples estimates containment of the full
// shingle sets). Pure
// functions of their input; SignatureBuilder keeps scratch buffers: one per worker, not
// thread-safe, allocates only when a text is larger than any before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace newsflow::dedup {

struct SignatureOptions {
  int shingle_words = 4;    // words per shingle
  int index_keys = 16;      // bottom-k keys indexed per article
  int query_keys = 48;      // bottom-k keys looked up per article (>= index_keys)
  int sample_rate = 1;      // keep 1 in sample_rate shingle keys for verification (power of 2)
  int max_tokens = 100000;  // longer texts are cut here (bounded time on pathological input)
};

struct Signature {
  uint64_t text_hash = 0;  // hash of the normalised token sequence; 0 when no tokens
  uint32_t tokens = 0;     // normalised words in the text
  uint32_t shingles = 0;   // shingle positions (k-word windows)
  // The keys of the query_keys smallest distinct shingle hashes, in hash order; the first
  // index_keys of them are indexed. A key is the low 32 bits of the hash: the smallest hashes
  // have their high bits zero, so the high half would carry only ~28 bits and, in an index of
  // millions, alias unrelated shingles (each alias costs a verification read). Looking up more
  // keys than are indexed finds a short indexed text inside a long new one: its few smallest
  // keys rank low in the long text too, but not among the very smallest.
  std::vector<uint32_t> keys;
  std::vector<uint32_t> samples;  // sampled shingle keys, ascending, distinct
  void Clear() {
    text_hash = 0;
    tokens = shingles = 0;
    keys.clear();
    samples.clear();
  }
};

// Calls `emit(token)` for each normalised token of `text` (valid or invalid UTF-8; invalid
// bytes are word breaks). Exposed for tests and tools.
void ForEachToken(std::string_view text, const std::function<void(std::string_view)>& emit);

class SignatureBuilder {
 public:
  explicit SignatureBuilder(SignatureOptions options) : options_(options) {}
  void Build(std::string_view text, Signature* out);

 private:
  SignatureOptions options_;
  std::vector<uint64_t> token_hashes_;
  std::vector<uint64_t> shingles_;
  std::vector<uint64_t> low_;  // shingle hashes under the key threshold
  std::vector<uint32_t> samples_;
  std::vector<uint64_t> sort_scratch64_;
  std::vector<uint32_t> sort_scratch32_;
};

// |a ∩ b| of two ascending, distinct key lists.
size_t IntersectionSize(std::span<const uint32_t> a, std::span<const uint32_t> b);

// One article's samples as a set that counts |A ∩ B| for many B (the candidates verified
// against one article): each key of B is looked up on its own, with no branch on the result,
// instead of a merge whose every step waits for the one before. Keys are hash values, uniform
// over 32 bits, so their top bits place them directly: A is laid out in ascending order in a
// table of 4 to 8 cells per key, each key in the first free cell at or after its home (its top
// bits), and a lookup compares B's key with the kWindow cells from its home. That is exact when
// no key of A lies kWindow or more cells past its home; otherwise the table is made larger, and
// past kMaxGrowth doublings the count falls back to the merge (IntersectionSize).
// Not thread-safe; one per worker. Assign allocates only when A is larger than any before.
class SampleSet {
 public:
  static constexpr size_t kWindow = 4;
  // Replaces the set with `keys` (ascending, distinct). The span must stay valid while the set
  // is used (the fallback merges with it).
  void Assign(std::span<const uint32_t> keys);
  // |A ∩ other|; `other` ascending and distinct.
  size_t IntersectionSize(std::span<const uint32_t> other) const;
  // False when Assign fell back to the merge (for tests).
  bool table_used() const { return shift_ < 32; }

 private:
  static constexpr int kMaxGrowth = 3;
  std::span<const uint32_t> keys_;
  std::vector<uint32_t> cells_;
  uint32_t shift_ = 32;  // home of a key: key >> shift_; 32 = no table, merge
};

}  // namespace newsflow::dedup
