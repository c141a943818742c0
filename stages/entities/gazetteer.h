// Gazetteer: known places, organisations and nationality adjectives with their canonical
// names, loaded once from models/entities/gazetteer.tsv (built by
// scripts/ner_build_gazetteers.py) and shared read-only by every worker.
//
// Phrases are matched over tokens by their normalised words (words.h). Matching rules: the
// first word must be capitalised in the text; an alias written in capitals ("DPRK", "UN")
// matches only capitals; longest match wins. Thread-safe after Load(); Match() allocates
// nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace newsflow::entities {

enum class GazType : uint8_t { kNone = 0, kLoc = 1, kOrg = 2, kDemonym = 3 };

class Gazetteer {
 public:
  struct Entry {
    GazType type = GazType::kNone;
    std::string canonical;
  };

  Status Load(const std::string& path);
  // Adds one entry and its aliases (tests and tools); `aliases` excludes the canonical form.
  void Add(GazType type, std::string_view canonical, const std::vector<std::string>& aliases);

  // Longest match starting at words[i] (raw token texts). Returns its length in words (0 when
  // none) and sets `*entry`.
  int Match(const std::vector<std::string_view>& words, const std::vector<uint64_t>& norm_hashes,
            size_t i, const Entry** entry) const;
  // Exact lookup of a whole phrase given as text (tokenized here); null when unknown.
  const Entry* Lookup(std::string_view phrase) const;
  size_t size() const { return entries_.size() + names_; }

  // Starts loading the table slot of a word hash (the first step of Match() and NameBits()),
  // for callers that know a few words ahead which they will look up.
  void Prefetch(uint64_t norm_hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[SlotIndex(norm_hash, slots_.size() - 1)]);
  }

  // Person-name parts (FIRST/LAST lines): bit 1 = known given name, bit 2 = known family name.
  // Used as tagger features only. `norm_hash` is NormHash() of the word.
  uint8_t NameBits(uint64_t norm_hash) const {
    const Slot* s = Find(norm_hash);
    return s == nullptr ? 0 : s->name_bits;
  }

 private:
  // Everything looked up by a word or phrase hash sits in one open-addressing table: whole
  // phrases, proper prefixes of phrases and person-name bits, so that a step of Match() is one
  // probe into a flat array (mostly one cache line) rather than two node-based map lookups.
  static constexpr uint8_t kUsed = 1;
  static constexpr uint8_t kPhrase = 2;     // a whole phrase of `entry`
  static constexpr uint8_t kCapsOnly = 4;   // written in capitals: the text must be too
  static constexpr uint8_t kCanonical = 8;  // the entry's canonical form
  static constexpr uint8_t kPrefix = 16;    // a proper prefix of some phrase
  struct Slot {
    uint64_t key = 0;
    uint32_t entry = 0;
    uint8_t flags = 0;
    uint8_t name_bits = 0;
  };
  const Slot* Find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    for (size_t i = SlotIndex(key, mask);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (!(s.flags & kUsed)) return nullptr;
      if (s.key == key) return &s;
    }
  }
  static size_t SlotIndex(uint64_t key, size_t mask) {
    return static_cast<size_t>(key ^ (key >> 29)) & mask;
  }
  Slot* Insert(uint64_t key);  // the key's slot, created empty (flags kUsed) when new
  void AddPhrase(uint32_t entry, std::string_view phrase, bool is_canonical);

  std::vector<Entry> entries_;
  std::vector<Slot> slots_;  // size a power of two, at most half full
  size_t used_ = 0;
  size_t names_ = 0;         // keys with name bits
  int max_words_ = 0;
};

}  // namespace newsflow::entities
