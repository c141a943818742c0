#include "stages/entities/grouping.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "common/hash.h"
#include "stages/entities/words.h"

namespace newsflow::entities {
namespace {

// Words that name an office or an honorific, not the person ("Vice Foreign Minister").
bool IsTitleWord(std::string_view norm) {
  static constexpr std::array<std::string_view, 72> kTitles = {
      "president", "vice", "foreign", "minister", "premier", "prime", "secretary", "comrade",
      "mr", "mrs", "ms", "miss", "dr", "gen", "general", "sen", "senator", "rep",
      "representative", "gov", "governor", "chairman", "chairwoman", "chair", "leader", "king",
      "queen", "prince", "princess", "pope", "ambassador", "adviser", "advisor", "director",
      "chief", "deputy", "defense", "defence", "national", "security", "spokesman",
      "spokeswoman", "spokesperson", "state", "councillor", "councilor", "lt", "col", "capt",
      "sgt", "professor", "prof", "judge", "justice", "mayor", "sir", "dame", "lord", "lady",
      "sheikh", "emperor", "chancellor", "envoy", "commander", "admiral", "adm", "marshal",
      "officer", "top", "diplomat", "coach", "fm"};
  return std::find(kTitles.begin(), kTitles.end(), norm) != kTitles.end();
}

// Single words that are not names by themselves: compass points ("the North" of a divided
// country is a reference, not a name) and function words a headline capitalises.
bool IsNotAName(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
      "the", "a", "an", "of", "and", "in", "on", "to", "for", "with", "at", "by", "from"};
  char buf[256];  // as NormalizeWord(w) would return, without allocating
  const std::string_view n(buf, NormalizeWord(w, buf, sizeof(buf)));
  for (auto k : kWords)
    if (n == k) return true;
  return false;
}

bool IsDatelinePunct(std::string_view t) {
  return t == "," || t == ":" || t == "-" || t == "--" || t == "\xE2\x80\x93" ||
         t == "\xE2\x80\x94";
}

// Typographic quotes to ASCII (canonical names are written with straight quotes).
std::string Straighten(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) == 0xE2 && i + 2 < s.size() &&
        static_cast<unsigned char>(s[i + 1]) == 0x80) {
      unsigned char d = static_cast<unsigned char>(s[i + 2]);
      if (d == 0x98 || d == 0x99) {
        out += '\'';
        i += 2;
        continue;
      }
      if (d == 0x9C || d == 0x9D) {
        out += '"';
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// "Jong-un" -> "Jong Un": a romanised given name written with a hyphen and a lower-case
// second syllable is the same name as the spaced form.
std::string PersonWord(std::string_view w) {
  std::string out = Straighten(w);
  for (size_t i = 1; i + 1 < out.size(); ++i) {
    if (out[i] == '-' && out[i + 1] >= 'a' && out[i + 1] <= 'z' && StartsUpper(out)) {
      out[i] = ' ';
      out[i + 1] = static_cast<char>(out[i + 1] - 32);
    }
  }
  return out;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

// Initials of the capitalised words of a name: "Korean Central News Agency" -> "KCNA".
std::string Initials(std::string_view name) {
  std::string out;
  size_t i = 0;
  while (i < name.size()) {
    while (i < name.size() && (name[i] == ' ' || name[i] == '-')) ++i;
    size_t j = i;
    while (j < name.size() && name[j] != ' ' && name[j] != '-') ++j;
    if (j > i && name[i] >= 'A' && name[i] <= 'Z') out += name[i];
    i = j;
  }
  return out;
}

std::string LettersOnly(std::string_view s) {
  std::string out;
  for (char c : s)
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) out += c;
  return out;
}

}  // namespace

std::string EntityId(std::string_view type, std::string_view canonical) {
  std::string key;
  key.reserve(type.size() + canonical.size() + 1);
  key.append(type).append("\x1f").append(canonical);
  // 16 lower-case hex digits ("%016llx"), written directly: snprintf cost more than the hash.
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t h = Hash64(key, 0x656e74);
  std::string id(16, '0');
  for (int k = 15; k >= 0; --k, h >>= 4) id[static_cast<size_t>(k)] = kHex[h & 15];
  return id;
}

Recognizer::Recognizer(const Model* model, const Gazetteer* gazetteer, RecognizerOptions options)
    : model_(model), gazetteer_(gazetteer), options_(options) {}

void Recognizer::Run(std::string_view text, std::vector<Entity>* out) {
  out->clear();
  Tokenize(text, &tokens_);
  view_.words.resize(tokens_.size());
  view_.sentence_start.resize(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    view_.words[i] = tokens_[i].text;
    view_.sentence_start[i] = tokens_[i].sentence_start;
  }
  model_->TagDocument(view_, &scratch_, &tags_, options_.consistency, options_.score_every_token);
  ApplyDatelines();
  Group(text, out);
}

int Recognizer::MatchAt(size_t i, const Gazetteer::Entry** entry) const {
  if (gazetteer_ == nullptr) {
    *entry = nullptr;
    return 0;
  }
  if (gazetteer_ != scratch_.gaz_source || scratch_.gaz_len.size() != tokens_.size())
    return gazetteer_->Match(view_.words, scratch_.norm, i, entry);
  if (i >= tokens_.size()) {
    *entry = nullptr;
    return 0;
  }
  *entry = scratch_.gaz_entry[i];
  return scratch_.gaz_len[i];
}

void Recognizer::ApplyDatelines() {
  const size_t n = tokens_.size();
  for (size_t i = 0; i < n; ++i) {
    if (!tokens_[i].line_start) continue;
    size_t e = i;
    while (e < n && e - i < 3 && IsAllCaps(tokens_[e].text) && tokens_[e].text.size() >= 2 &&
           LettersOnly(tokens_[e].text).size() == tokens_[e].text.size() &&
           (e == i || !tokens_[e].line_start))
      ++e;
    if (e == i || e >= n || !IsDatelinePunct(tokens_[e].text) || tokens_[e].line_start) continue;
    const Gazetteer::Entry* entry = nullptr;
    int len = MatchAt(i, &entry);
    bool known_place = len == static_cast<int>(e - i) && entry->type == GazType::kLoc;
    if (!known_place && i != 0) continue;
    tags_[i] = BeginTag(2);
    for (size_t k = i + 1; k < e; ++k) tags_[k] = InsideTag(2);
    if (e < n && tags_[e] != kO && !TagIsBegin(tags_[e])) tags_[e] = kO;
    // "SEOUL, Jan. 26 (AP) —": an agency in parentheses before the dash.
    for (size_t k = e + 1; k + 2 < n && k < e + 8 && !tokens_[k].line_start; ++k) {
      if (tokens_[k].text != "(" || tokens_[k + 2].text != ")") continue;
      const Gazetteer::Entry* org = nullptr;
      if (MatchAt(k + 1, &org) == 1 &&
          org->type == GazType::kOrg) {
        tags_[k + 1] = BeginTag(1);
      }
      break;
    }
  }
}

void Recognizer::Group(std::string_view text, std::vector<Entity>* out) {
  const size_t n = tokens_.size();
  struct M {
    uint32_t tb = 0, te = 0;   // mention token range (after title stripping)
    int type = 0;
    std::string key;           // grouping key
    std::string display;       // candidate canonical form
    bool gaz = false;          // canonical form from the gazetteer
    bool acronym = false;      // a capitals-only single word not resolved by the gazetteer
    int entity = -1;
  };
  std::vector<M> ms;
  auto surface = [&](uint32_t b, uint32_t e) {
    return text.substr(tokens_[b].begin, tokens_[e - 1].end - tokens_[b].begin);
  };
  const Gazetteer::Entry* entry = nullptr;

  auto resolve = [&](M& m) {
    uint32_t len = m.te - m.tb;
    int glen = MatchAt(m.tb, &entry);
    if (glen == static_cast<int>(len) && entry != nullptr) {
      if (entry->type == GazType::kDemonym) {
        if (options_.fold_demonyms) {
          m.type = 2;
          m.display = entry->canonical;
          m.gaz = true;
        } else {
          m.type = 3;
          m.display = Straighten(surface(m.tb, m.te));
        }
      } else {
        m.type = entry->type == GazType::kLoc ? 2 : 1;
        m.display = entry->canonical;
        m.gaz = true;
      }
      m.key = LowerAscii(m.display);
      return;
    }
    if (m.type == 0) {
      std::string d;
      for (uint32_t k = m.tb; k < m.te; ++k) {
        if (k > m.tb) d += ' ';
        d += PersonWord(tokens_[k].text);
      }
      m.display = d;
      m.key = LowerAscii(d);
      return;
    }
    std::string d = Straighten(surface(m.tb, m.te));
    bool expanded = false;
    // "UN Human Rights Council" -> "United Nations Human Rights Council".
    if (len > 1 && IsAllCaps(tokens_[m.tb].text) && MatchAt(m.tb, &entry) == 1 &&
        entry->type == GazType::kOrg) {
      d = entry->canonical + " " + Straighten(surface(m.tb + 1, m.te));
      expanded = true;
      if (const auto* full = gazetteer_->Lookup(d)) {
        d = full->canonical;
        m.gaz = true;
      }
    }
    m.display = d;
    if (m.gaz || expanded) {
      m.key = LowerAscii(d);
    } else {
      // Normalised words: "Foreign Ministry" = "Foreign  Ministry", "People’s" = "People's".
      m.key.clear();
      for (uint32_t k = m.tb; k < m.te; ++k) {
        if (k > m.tb) m.key += ' ';
        m.key += NormalizeWord(tokens_[k].text);
      }
    }
    m.acronym = len == 1 && IsAllCaps(tokens_[m.tb].text) && !m.gaz &&
                LettersOnly(tokens_[m.tb].text).size() >= 2;
  };

  // 1. Spans -> mentions.
  for (uint32_t i = 0; i < n;) {
    if (tags_[i] == kO) {
      ++i;
      continue;
    }
    int type = TagType(tags_[i]);
    uint32_t e = i + 1;
    while (e < n && tags_[e] == InsideTag(type)) ++e;
    M m;
    m.tb = i;
    m.te = e;
    m.type = type;
    i = e;
    if (type == 0) {
      // Drop leading titles and nationality words: "Chinese President Xi Jinping".
      while (m.te - m.tb > 1) {
        char buf[64];
        size_t l = NormalizeWord(tokens_[m.tb].text, buf, sizeof(buf));
        if (IsTitleWord(std::string_view(buf, l))) {
          ++m.tb;
          continue;
        }
        int g = MatchAt(m.tb, &entry);
        if (g > 0 && static_cast<uint32_t>(g) < m.te - m.tb) {
          m.tb += g;
          continue;
        }
        break;
      }
    } else {
      while (m.te - m.tb > 1 && (tokens_[m.tb].text == "the" || tokens_[m.tb].text == "The"))
        ++m.tb;
    }
    if (m.te - m.tb == 1 && IsNotAName(tokens_[m.tb].text)) continue;
    bool all_titles = true;
    for (uint32_t k = m.tb; k < m.te && all_titles; ++k) {
      char buf[256];
      all_titles = IsTitleWord(std::string_view(buf, NormalizeWord(tokens_[k].text, buf, 256)));
    }
    if (all_titles) continue;  // "Foreign", "Vice FM": an office, not a name
    resolve(m);
    if (m.type == 3 && !options_.emit_misc) continue;
    ms.push_back(std::move(m));
  }

  // 2. "Long Name (ACR)": the acronym names the same entity.
  std::unordered_map<std::string, std::string> acronym_to_key;  // "KCNA" -> key
  std::unordered_map<std::string, int> acronym_type;
  for (size_t k = 0; k < ms.size(); ++k) {
    const M& m = ms[k];
    uint32_t p = m.te;
    if (p + 2 >= n || tokens_[p].text != "(" || tokens_[p + 2].text != ")") continue;
    std::string acr = LettersOnly(tokens_[p + 1].text);
    if (acr.size() < 2 || !IsAllCaps(tokens_[p + 1].text)) continue;
    std::string ini = Initials(m.display);
    if (ini != acr && Initials(Straighten(surface(m.tb, m.te))) != acr) continue;
    acronym_to_key[acr] = m.key;
    acronym_type[acr] = m.type;
    bool tagged = false;
    for (auto& o : ms) {
      if (o.tb == p + 1) {
        tagged = true;
        break;
      }
    }
    if (!tagged) {
      M a;
      a.tb = p + 1;
      a.te = p + 2;
      a.type = m.type;
      a.display = std::string(tokens_[p + 1].text);
      a.key = LowerAscii(a.display);
      a.acronym = true;
      ms.push_back(std::move(a));
    }
  }
  // Every other occurrence of a taught acronym is a mention too, tagged or not.
  if (!acronym_to_key.empty()) {
    std::vector<uint8_t> covered(n, 0);
    for (const auto& m : ms)
      for (uint32_t k = m.tb; k < m.te; ++k) covered[k] = 1;
    for (uint32_t k = 0; k < n; ++k) {
      if (covered[k] || !IsAllCaps(tokens_[k].text)) continue;
      auto it = acronym_to_key.find(LettersOnly(tokens_[k].text));
      if (it == acronym_to_key.end() || it->first.size() != tokens_[k].text.size()) continue;
      M a;
      a.tb = k;
      a.te = k + 1;
      a.type = acronym_type[it->first];
      a.display = std::string(tokens_[k].text);
      a.key = LowerAscii(a.display);
      a.acronym = true;
      ms.push_back(std::move(a));
    }
  }
  std::sort(ms.begin(), ms.end(), [](const M& a, const M& b) { return a.tb < b.tb; });

  // 3. Entities: full mentions first, then acronyms and single-word person names.
  struct E {
    int type;
    std::string key;
    std::vector<size_t> mentions;
    bool gaz = false;
  };
  std::vector<E> es;
  std::unordered_map<std::string, int> by_key;  // type|key -> entity
  std::string k;  // reused: the lookup key of entity_for
  auto entity_for = [&](int type, const std::string& key) {
    k.assign(1, static_cast<char>('0' + type));  // std::to_string(type) for a type 0-3
    k += '|';
    k += key;
    auto it = by_key.find(k);
    if (it != by_key.end()) return it->second;
    es.push_back({type, key, {}, false});
    by_key.emplace(k, static_cast<int>(es.size() - 1));
    return static_cast<int>(es.size() - 1);
  };
  auto is_single_person = [&](const M& m) { return m.type == 0 && m.te - m.tb == 1; };
  // One-word names wait for the second round: they may be a person's first or last name.
  for (size_t k = 0; k < ms.size(); ++k) {
    M& m = ms[k];
    if (m.acronym || is_single_person(m) || (m.te - m.tb == 1 && !m.gaz)) continue;
    m.entity = entity_for(m.type, m.key);
    es[m.entity].mentions.push_back(k);
    es[m.entity].gaz |= m.gaz;
  }
  // Name parts of multi-word persons: first and last word.
  std::unordered_map<std::string, std::vector<int>> name_parts;
  for (size_t ei = 0; ei < es.size(); ++ei) {
    if (es[ei].type != 0) continue;
    const std::string& key = es[ei].key;
    size_t sp = key.find(' ');
    if (sp == std::string::npos) continue;
    name_parts[key.substr(0, sp)].push_back(static_cast<int>(ei));
    name_parts[key.substr(key.rfind(' ') + 1)].push_back(static_cast<int>(ei));
  }
  for (size_t k = 0; k < ms.size(); ++k) {
    M& m = ms[k];
    if (m.entity >= 0) continue;
    int target = -1;
    if (m.acronym) {
      std::string acr = LettersOnly(tokens_[m.tb].text);
      auto it = acronym_to_key.find(acr);
      if (it != acronym_to_key.end()) {
        target = entity_for(acronym_type[acr], it->second);
      } else {
        for (size_t ei = 0; ei < es.size(); ++ei) {
          if (es[ei].type == 0 || es[ei].key.find(' ') == std::string::npos) continue;
          const M& first = ms[es[ei].mentions.front()];
          if (Initials(first.display) == acr) {
            target = static_cast<int>(ei);
            break;
          }
        }
      }
    } else if (m.te - m.tb == 1 && !m.gaz) {
      // A one-word mention of any type that is a person's first or last name is that person
      // ("Holden" tagged ORG after "Chris Holden").
      auto it = name_parts.find(m.key);
      if (it != name_parts.end()) {
        // The most mentioned person with that name part.
        for (int ei : it->second)
          if (target < 0 || es[ei].mentions.size() > es[target].mentions.size()) target = ei;
      }
    }
    if (target < 0) target = entity_for(m.type, m.key);
    m.entity = target;
    es[target].mentions.push_back(k);
    es[target].gaz |= m.gaz;
  }

  // 4. Canonical names and output, in order of first mention.
  std::vector<int> order;
  for (size_t ei = 0; ei < es.size(); ++ei)
    if (!es[ei].mentions.empty()) order.push_back(static_cast<int>(ei));
  for (auto& e : es) std::sort(e.mentions.begin(), e.mentions.end());
  if (order.size() > options_.max_entities) {
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return es[a].mentions.size() > es[b].mentions.size();
    });
    order.resize(options_.max_entities);
  }
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return es[a].mentions.front() < es[b].mentions.front(); });
  out->reserve(order.size());
  for (int ei : order) {
    const E& e = es[ei];
    const M* best = nullptr;
    for (size_t k : e.mentions) {
      const M& m = ms[k];
      if (best == nullptr) {
        best = &m;
        continue;
      }
      if (m.gaz != best->gaz) {
        if (m.gaz) best = &m;
        continue;
      }
      if (m.acronym != best->acronym) {
        if (!m.acronym) best = &m;
        continue;
      }
      if (m.te - m.tb > best->te - best->tb) best = &m;
    }
    Entity ent;
    ent.type = kTypeNames[e.type];
    ent.name = best->display;
    ent.id = EntityId(ent.type, ent.name);
    for (size_t k : e.mentions) {
      const M& m = ms[k];
      Mention mm;
      mm.text = std::string(surface(m.tb, m.te));
      mm.start = tokens_[m.tb].cp_begin;
      mm.end = tokens_[m.te - 1].cp_end;
      ent.mentions.push_back(std::move(mm));
    }
    out->push_back(std::move(ent));
  }
}

}  // namespace newsflow::entities
