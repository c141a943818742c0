// NgramModel: per-language character n-gram (orders 1-5) conditional probabilities, read-only.
//
// The model maps each n-gram (lower-case letters of one word, UTF-8) to the languages that have
// seen it, each with log P(last letter | preceding letters) — a Markov chain of order up to 4
// per language. It is built offline by NgramModelBuilder (the `newsflow-language-train` command)
// and loaded once by the language stage's Prepare(); afterwards it is immutable and shared by
// every worker without locks. Load() reads the whole file into one owned buffer (2 MiB aligned,
// advised for transparent huge pages); Find() does not allocate.
//
// File format (little endian): "NFLNGRM1", u32 language count, per language u8 length + code,
// u64 slot count (power of two), u64 posting count, slots (u64 key, u32 begin, u32 count; key 0
// = empty), postings (u8 language, u8 unused, i16 log-probability in thousandths); each key's
// postings are in increasing order of language (Load() checks it). In memory, Load() moves the
// posting of a key that has only one into its slot's `begin` (the file is unchanged).
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace newsflow::language {

inline constexpr int kMaxNgramOrder = 5;
inline constexpr int kMaxModelLanguages = 250;
// Keys that start with this byte (never produced by Tokenize) are whole words rather than
// n-grams: "\x01" + word holds log P(word | language); "\x01" alone the log-probability of a
// word the language's training text never had. Only models trained from text have them.
inline constexpr char kWordPrefix = '\x01';

struct NgramPosting {
  uint8_t language = 0;  // index into NgramModel::languages()
  uint8_t unused = 0;
  int16_t log_prob_milli = 0;  // natural log probability * 1000, in [-32767, 0]
};
static_assert(sizeof(NgramPosting) == 4);

// The key of an n-gram in the model's table (never 0).
uint64_t NgramKey(std::string_view ngram);

// Releases a model's mapped buffer.
struct ModelUnmapper {
  size_t size = 0;
  void operator()(char* p) const;
};

class NgramModel {
 public:
  static Result<std::unique_ptr<NgramModel>> Load(const std::string& path);

  // Language codes (ISO 639-1, else 639-3), index = NgramPosting::language.
  const std::vector<std::string>& languages() const { return languages_; }
  int LanguageIndex(std::string_view code) const;  // -1 when absent
  // The languages that know `ngram` (lower-case UTF-8), by increasing index; empty when none.
  std::span<const NgramPosting> Find(std::string_view ngram) const {
    return FindKey(NgramKey(ngram));
  }
  std::span<const NgramPosting> FindKey(uint64_t key) const {
    for (uint64_t i = key & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return Postings(s);
      if (s.key == 0) return {};
    }
  }
  // Hints the CPU to load the table slot of `key`: lets several lookups' cache misses overlap.
  void Prefetch(uint64_t key) const { __builtin_prefetch(&slots_[key & mask_]); }
  // The second step of a pipelined lookup: once the slot of `key` is (nearly) in cache, hints
  // the CPU to load the start of its postings.
  void PrefetchPostings(uint64_t key) const {
    // The first two cache lines: a list longer than 32 languages is one of the short n-grams
    // that every worker keeps in cache anyway.
    const std::span<const NgramPosting> p = FindKey(key);
    if (!p.empty()) {
      __builtin_prefetch(p.data());
      if (p.size() > 8) __builtin_prefetch(p.data() + 16);
    }
  }
  // Calls f(key, postings) for every key of the table (control plane: GroupTable's build).
  // The slots are read in order, but their postings lie elsewhere in no particular order:
  // those of the slot kAhead places on are prefetched, so that the misses overlap.
  template <class F>
  void ForEachKey(F&& f) const {
    constexpr uint64_t kAhead = 16;
    for (uint64_t i = 0; i <= mask_; ++i) {
      // An empty slot's count is 0 (Load() sets it so, whatever the file says).
      if (i + kAhead <= mask_ && slots_[i + kAhead].count > 1) {
        __builtin_prefetch(postings_ + slots_[i + kAhead].begin);
      }
      if (slots_[i].key != 0) f(slots_[i].key, Postings(slots_[i]));
    }
  }
  size_t size_bytes() const { return buffer_size_; }
  // Hash of the file's bytes: names the model in the stage's version.
  uint64_t fingerprint() const { return fingerprint_; }

 private:
  struct Slot {
    uint64_t key;
    union {
      uint32_t begin;        // in the file: the first of the key's postings
      NgramPosting posting;  // after Load(), for a key with one posting: that posting
    };
    uint32_t count;
  };
  // A key's postings: three quarters of the keys have one, which Load() moves into the slot,
  // so that their lookup is one cache miss instead of two.
  std::span<const NgramPosting> Postings(const Slot& s) const {
    if (s.count == 1) return {&s.posting, 1};
    return {postings_ + s.begin, s.count};
  }
  // Maps `size` bytes (rounded up to 2 MiB) into buffer_; false when out of memory.
  bool Allocate(size_t size);

  std::vector<std::string> languages_;
  std::unique_ptr<char, ModelUnmapper> buffer_;  // the whole file, 2 MiB aligned
  size_t buffer_size_ = 0;
  const Slot* slots_ = nullptr;
  uint64_t mask_ = 0;
  const NgramPosting* postings_ = nullptr;
  uint64_t num_postings_ = 0;
  uint64_t fingerprint_ = 0;
};

// The n-grams of an NgramModel that a few languages (a close-language group, at most
// kMaxGroupTableLanguages) know, with those languages' log-probabilities side by side in the
// key's slot: one small table per group instead of the model's two dependent cache misses into
// hundreds of MB. The same values as NgramModel::FindKey restricted to the languages, so a
// score computed with either is the same to the last digit. Built once at start-up from a
// loaded model (20 bytes per key, and 16 per entry while it is built), then immutable and
// shared by all workers.
inline constexpr size_t kMaxGroupTableLanguages = 4;
class GroupTable {
 public:
  // Marks a language of the group that does not know the n-gram.
  static constexpr int16_t kAbsent = INT16_MIN;
  struct Slot {
    uint64_t key;                                     // 0 = empty
    int16_t log_prob_milli[kMaxGroupTableLanguages];  // by position in `languages`, or kAbsent
  };
  static_assert(sizeof(Slot) == 16);

  // One table per group (model indices); null for a group of more than
  // kMaxGroupTableLanguages. Reads the model once, whatever the number of groups.
  static std::vector<std::unique_ptr<GroupTable>> Build(
      const NgramModel& model, const std::vector<std::vector<int>>& groups);

  // The group's values for `key` (kAbsent where a language does not know it); nullptr when no
  // language of the group knows it.
  const int16_t* Find(uint64_t key) const {
    for (size_t i = Home(key);;) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.log_prob_milli;
      if (s.key == 0) return nullptr;
      if (++i == slots_.size()) i = 0;
    }
  }
  void Prefetch(uint64_t key) const { __builtin_prefetch(&slots_[Home(key)]); }
  const std::vector<int>& languages() const { return languages_; }
  size_t size_bytes() const { return slots_.size() * sizeof(Slot); }

 private:
  // Any table size (not only powers of two): the high bits of key * size.
  GroupTable() = default;
  size_t Home(uint64_t key) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(key) * slots_.size()) >> 64);
  }
  std::vector<int> languages_;
  std::vector<Slot> slots_;
};

// Collects (n-gram, language, log-probability) triples and writes the model file.
// Control plane only (training command); memory grows with the number of triples.
class NgramModelBuilder {
 public:
  // Returns the language's index, adding it when new (at most kMaxModelLanguages).
  int AddLanguage(const std::string& code);
  void Add(std::string_view ngram, int language, double log_prob);
  Status Write(const std::string& path);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t key;
    uint8_t language;
    int16_t log_prob_milli;
  };
  std::vector<std::string> languages_;
  std::vector<Entry> entries_;
};

}  // namespace newsflow::language
