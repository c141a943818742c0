#include "stages/entities/gazetteer.h"

#include <fstream>

#include "stages/entities/tokenizer.h"
#include "stages/entities/words.h"

namespace newsflow::entities {

Status Gazetteer::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError("cannot open gazetteer " + path, "io");
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string::npos ? std::string::npos : line.find('\t', t1 + 1);
    if (t1 == std::string::npos) {
      return MakeError(path + ":" + std::to_string(lineno) + ": expected TYPE<TAB>name", "corrupt");
    }
    std::string_view type(line.data(), t1);
    if (type == "FIRST" || type == "LAST") {
      std::string_view name(line.data() + t1 + 1,
                            (t2 == std::string::npos ? line.size() : t2) - t1 - 1);
      Slot* slot = Insert(NormHash(name));
      if (slot->name_bits == 0) ++names_;
      slot->name_bits |= type == "FIRST" ? 1 : 2;
      continue;
    }
    GazType gt = type == "LOC" ? GazType::kLoc : type == "ORG" ? GazType::kOrg
               : type == "DEM" ? GazType::kDemonym : GazType::kNone;
    if (gt == GazType::kNone) {
      return MakeError(path + ":" + std::to_string(lineno) + ": unknown type", "corrupt");
    }
    std::string canonical = line.substr(t1 + 1, t2 == std::string::npos ? std::string::npos
                                                                         : t2 - t1 - 1);
    std::vector<std::string> aliases;
    if (t2 != std::string::npos) {
      std::string_view rest(line.data() + t2 + 1, line.size() - t2 - 1);
      while (!rest.empty()) {
        size_t bar = rest.find('|');
        std::string_view a = rest.substr(0, bar);
        if (!a.empty()) aliases.emplace_back(a);
        if (bar == std::string_view::npos) break;
        rest.remove_prefix(bar + 1);
      }
    }
    Add(gt, canonical, aliases);
  }
  return Status::Ok();
}

void Gazetteer::Add(GazType type, std::string_view canonical,
                    const std::vector<std::string>& aliases) {
  uint32_t idx = static_cast<uint32_t>(entries_.size());
  entries_.push_back({type, std::string(canonical)});
  // A demonym entry's canonical form is the country, not a phrase of this entry.
  if (type != GazType::kDemonym) AddPhrase(idx, canonical, true);
  for (const auto& a : aliases) AddPhrase(idx, a, false);
}

Gazetteer::Slot* Gazetteer::Insert(uint64_t key) {
  if (2 * (used_ + 1) > slots_.size()) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 1024 : 2 * old.size(), Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (!(s.flags & kUsed)) continue;
      size_t i = SlotIndex(s.key, mask);
      while (slots_[i].flags & kUsed) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t i = SlotIndex(key, mask);
  while ((slots_[i].flags & kUsed) && slots_[i].key != key) i = (i + 1) & mask;
  Slot& s = slots_[i];
  if (!(s.flags & kUsed)) {
    s.key = key;
    s.flags = kUsed;
    ++used_;
  }
  return &s;
}

void Gazetteer::AddPhrase(uint32_t entry, std::string_view phrase, bool is_canonical) {
  std::vector<Token> toks;
  Tokenize(phrase, &toks);
  if (toks.empty() || toks.size() > 12) return;
  bool caps = toks.size() == 1 && IsAllCaps(toks[0].text) && toks[0].text.size() <= 6;
  uint64_t h = 0;
  for (size_t k = 0; k < toks.size(); ++k) {
    h = k == 0 ? NormHash(toks[k].text) : MixHash(h, NormHash(toks[k].text));
    if (k + 1 < toks.size()) Insert(h)->flags |= kPrefix;
  }
  Slot* slot = Insert(h);
  // The first phrase of a hash wins, unless a later one is an entry's canonical form and the
  // first is not.
  if (!(slot->flags & kPhrase) || (!(slot->flags & kCanonical) && is_canonical)) {
    slot->entry = entry;
    slot->flags = static_cast<uint8_t>((slot->flags & (kUsed | kPrefix)) | kPhrase |
                                       (caps ? kCapsOnly : 0) | (is_canonical ? kCanonical : 0));
  }
  if (static_cast<int>(toks.size()) > max_words_) max_words_ = static_cast<int>(toks.size());
}

int Gazetteer::Match(const std::vector<std::string_view>& words,
                     const std::vector<uint64_t>& norm_hashes, size_t i,
                     const Entry** entry) const {
  *entry = nullptr;
  if (i >= words.size() || !StartsUpper(words[i])) return 0;
  int best = 0;
  uint64_t h = 0;
  for (size_t k = i; k < words.size() && static_cast<int>(k - i) < max_words_; ++k) {
    h = k == i ? norm_hashes[k] : MixHash(h, norm_hashes[k]);
    const Slot* slot = Find(h);
    if (slot == nullptr) break;  // neither a phrase nor the start of one
    if (slot->flags & kPhrase) {
      bool ok = !(slot->flags & kCapsOnly) || IsAllCaps(words[i]);
      // The last word of a multi-word name is capitalised too ("South China Sea", not
      // "South China sea"); this keeps "Georgia on" from matching odd aliases.
      if (ok && k > i && !StartsUpper(words[k]) && HasLower(words[k]) && words[k] != "of")
        ok = false;
      if (ok) {
        best = static_cast<int>(k - i + 1);
        *entry = &entries_[slot->entry];
      }
    }
    if (!(slot->flags & kPrefix)) break;
  }
  return best;
}

const Gazetteer::Entry* Gazetteer::Lookup(std::string_view phrase) const {
  std::vector<Token> toks;
  Tokenize(phrase, &toks);
  if (toks.empty()) return nullptr;
  uint64_t h = 0;
  for (size_t k = 0; k < toks.size(); ++k)
    h = k == 0 ? NormHash(toks[k].text) : MixHash(h, NormHash(toks[k].text));
  const Slot* slot = Find(h);
  if (slot == nullptr || !(slot->flags & kPhrase)) return nullptr;
  if ((slot->flags & kCapsOnly) && !IsAllCaps(toks[0].text)) return nullptr;
  return &entries_[slot->entry];
}

}  // namespace newsflow::entities
