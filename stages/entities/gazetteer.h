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
#include <unordered_map>
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
  size_t size() const { return entries_.size() + name_bits_.size(); }

  // Person-name parts (FIRST/LAST lines): bit 1 = known given name, bit 2 = known family name.
  // Used as tagger features only. `norm_hash` is NormHash() of the word.
  uint8_t NameBits(uint64_t norm_hash) const {
    auto it = name_bits_.find(norm_hash);
    return it == name_bits_.end() ? 0 : it->second;
  }

 private:
  struct Phrase {
    uint32_t entry = 0;
    bool caps_only = false;   // written in capitals: the text must be in capitals too
    bool is_canonical = false;
  };
  void AddPhrase(uint32_t entry, std::string_view phrase, bool is_canonical);
  std::vector<Entry> entries_;
  std::unordered_map<uint64_t, Phrase> phrases_;
  std::unordered_map<uint64_t, uint8_t> prefixes_;  // hashes of proper prefixes of phrases
  std::unordered_map<uint64_t, uint8_t> name_bits_;
  int max_words_ = 0;
};

}  // namespace newsflow::entities
