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
      name_bits_[NormHash(name)] |= type == "FIRST" ? 1 : 2;
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

void Gazetteer::AddPhrase(uint32_t entry, std::string_view phrase, bool is_canonical) {
  std::vector<Token> toks;
  Tokenize(phrase, &toks);
  if (toks.empty() || toks.size() > 12) return;
  bool caps = toks.size() == 1 && IsAllCaps(toks[0].text) && toks[0].text.size() <= 6;
  uint64_t h = 0;
  for (size_t k = 0; k < toks.size(); ++k) {
    h = k == 0 ? NormHash(toks[k].text) : MixHash(h, NormHash(toks[k].text));
    if (k + 1 < toks.size()) prefixes_[h] = 1;
  }
  auto [it, inserted] = phrases_.try_emplace(h, Phrase{entry, caps, is_canonical});
  if (!inserted && !it->second.is_canonical && is_canonical) it->second = {entry, caps, true};
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
    auto it = phrases_.find(h);
    if (it != phrases_.end()) {
      bool ok = !it->second.caps_only || IsAllCaps(words[i]);
      // The last word of a multi-word name is capitalised too ("South China Sea", not
      // "South China sea"); this keeps "Georgia on" from matching odd aliases.
      if (ok && k > i && !StartsUpper(words[k]) && HasLower(words[k]) && words[k] != "of")
        ok = false;
      if (ok) {
        best = static_cast<int>(k - i + 1);
        *entry = &entries_[it->second.entry];
      }
    }
    if (!prefixes_.count(h)) break;
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
  auto it = phrases_.find(h);
  if (it == phrases_.end()) return nullptr;
  if (it->second.caps_only && !IsAllCaps(toks[0].text)) return nullptr;
  return &entries_[it->second.entry];
}

}  // namespace newsflow::entities
