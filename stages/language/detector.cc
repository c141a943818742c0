#include "stages/language/detector.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace newsflow::language {
namespace {

// Log-probability charged for a letter a language's model has never seen in any context, and
// per order of back-off (a 5-gram unseen but its 3-gram seen costs two steps). Chosen on the
// even-numbered lines of the development set (see README.md).
constexpr double kUnknownLogProb = -13.0;
constexpr double kBackoffLogProb = -1.0;
// The same in the model's unit (thousandths of a nat), for exact integer sums.
constexpr int64_t kUnknownMilli = static_cast<int64_t>(kUnknownLogProb * 1000);
constexpr int64_t kBackoffMilli = static_cast<int64_t>(kBackoffLogProb * 1000);
// Scale of the log-likelihoods before the softmax that turns them into probabilities: the
// n-gram model's letters are far from independent, so raw posteriors are overconfident.
constexpr double kShortScale = 0.35;
// Weight of the group model's log-likelihood when it re-scores a close-language group (short
// and long text alike).
constexpr double kGroupWeight = 1.0;
// Weight of the group model's whole-word log-likelihood, added to its n-gram one.
constexpr double kWordWeight = 6.0;
// Letters of long text on which the n-gram model checks CLD2's verdict.
constexpr size_t kVerifyLetters = 100;
// The check reads trigrams only (no back-off): they suffice to catch CLD2's slips, at a fraction
// of the lookups.
constexpr uint32_t kVerifyOrder = 3;
// Long text in a close group CLD2 agrees on is first decided on this many letters; when the
// leader's combined score (both models) is then kGroupDecidedMargin ahead, that stands, else
// the decision reads up to max_ngram_letters. Chosen on development lines 2 mod 4 with a
// group model trained on lines 0 mod 4: at 300 letters no verdict with a lead of 106 or more
// changed when reading on, so 150 leaves a margin; 92% of such documents stop at 300 letters.
constexpr size_t kGroupFirstLetters = 300;
constexpr double kGroupDecidedMargin = 150.0;
// On long text the n-gram model stops reading once its leader is this far ahead (log-likelihood;
// a posterior above 0.9999 after kShortScale).
constexpr double kStopMargin = 30.0;

// Languages CLD2 and the n-gram model confuse among themselves, decided by the n-gram model.
// Four of them read the most text (their documents mostly go on to max_ngram_letters: 2.5-8
// MB/s), so their n-grams of the first model are also copied into a table of their own
// (GroupTable, about 41 MB for the four; all fifteen would take 170 MB for 1% more speed).
// Every group's n-grams of the group model have one (10 MB in all).
struct CloseGroup {
  std::vector<std::string_view> codes;
  bool model_table;
};
const std::vector<CloseGroup> kCloseGroups = {{{"bs", "hr", "sr"}, true},
                                              {{"id", "ms"}, true},
                                              {{"nb", "nn", "da", "no"}, true},
                                              {{"es", "pt", "gl", "ca"}, false},
                                              {{"cs", "sk"}, false},
                                              {{"ru", "uk", "be"}, false},
                                              {{"bg", "mk"}, false},
                                              {{"af", "nl"}, false},
                                              {{"xh", "zu"}, true},
                                              {{"st", "tn"}, false},
                                              {{"hi", "mr"}, false},
                                              {{"fa", "ar", "ur"}, false},
                                              {{"sl", "hr"}, false},
                                              {{"et", "fi"}, false},
                                              {{"lv", "lt"}, false}};

// Scripts that, in news, one language owns. Han and kana are decided apart (zh/ja).
const char* ScriptLanguage(Script s) {
  switch (s) {
    case Script::kGreek:
      return "el";
    case Script::kHebrew:
      return "he";
    case Script::kHangul:
      return "ko";
    case Script::kThai:
      return "th";
    case Script::kBengali:
      return "bn";
    case Script::kGurmukhi:
      return "pa";
    case Script::kGujarati:
      return "gu";
    case Script::kTamil:
      return "ta";
    case Script::kTelugu:
      return "te";
    case Script::kKannada:
      return "kn";
    case Script::kMalayalam:
      return "ml";
    case Script::kOriya:
      return "or";
    case Script::kSinhala:
      return "si";
    case Script::kArmenian:
      return "hy";
    case Script::kGeorgian:
      return "ka";
    case Script::kEthiopic:
      return "am";
    case Script::kKhmer:
      return "km";
    case Script::kLao:
      return "lo";
    case Script::kMyanmar:
      return "my";
    case Script::kTibetan:
      return "bo";
    case Script::kThaana:
      return "dv";
    default:
      return nullptr;
  }
}

// The language that owns the dominant script of `tok`, nullptr when none does.
const char* ScriptOwner(const Tokenized& tok) {
  const Script script = tok.DominantScript();
  if (script == Script::kHan || script == Script::kKana) {
    // Japanese writes kana between its kanji; Chinese has none.
    const uint32_t kana = tok.script_letters[static_cast<size_t>(Script::kKana)];
    const uint32_t han = tok.script_letters[static_cast<size_t>(Script::kHan)];
    return kana * 20 >= han + kana ? "ja" : "zh";
  }
  return ScriptLanguage(script);
}

// CLD2's codes that differ from ISO 639-1 or that name a variant.
std::string_view NormalizeCld2(std::string_view code) {
  if (code == "iw") return "he";
  if (code == "jw") return "jv";
  if (code == "no") return "nb";
  if (code == "zh-Hant" || code == "zh-TW") return "zh";
  if (code == "un" || code.starts_with("xx") || code == "zzb" || code == "zzh" || code == "zzp") {
    return "";
  }
  return code;
}

void AddWeight(std::vector<std::pair<std::string, double>>* w, std::string_view code,
               double weight) {
  for (auto& [c, v] : *w) {
    if (c == code) {
      v += weight;
      return;
    }
  }
  w->emplace_back(std::string(code), weight);
}

// What one CLD2 call over a UTF-8 text (no hints) says: its top language, its reliability
// flag, and how many bytes it accepted (fewer than the text's when its UTF-8 check stopped
// early). Those are initialised here, as are CLD2's other outputs: it returns without writing
// them when its check stops early (e.g. at a NUL byte), and "unknown" beats an uninitialised
// enum. With `spans`, the call also fills it with the language of each run of bytes.
struct Cld2Verdict {
  CLD2::Language top = CLD2::UNKNOWN_LANGUAGE;
  bool reliable = false;
  int valid_prefix = 0;
};
Cld2Verdict RunCld2(std::string_view text, CLD2::ResultChunkVector* spans) {
  CLD2::Language language3[3] = {CLD2::UNKNOWN_LANGUAGE, CLD2::UNKNOWN_LANGUAGE,
                                 CLD2::UNKNOWN_LANGUAGE};
  int percent3[3] = {};
  double scores3[3] = {};
  int text_bytes = 0;
  CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  if (spans != nullptr) spans->clear();
  Cld2Verdict v;
  CLD2::ExtDetectLanguageSummaryCheckUTF8(text.data(), static_cast<int>(text.size()), true, &hints,
                                          0, language3, percent3, scores3, spans, &text_bytes,
                                          &v.reliable, &v.valid_prefix);
  v.top = language3[0];
  return v;
}

}  // namespace

Result<std::unique_ptr<Detector>> Detector::Create(const DetectorOptions& options) {
  auto d = std::unique_ptr<Detector>(new Detector(options));
  if (!options.model.empty()) {
    auto model = NgramModel::Load(options.model);
    if (!model.ok()) return model.error();
    d->model_ = std::move(model.value());
    if (!options.group_model.empty()) {
      auto group_model = NgramModel::Load(options.group_model);
      if (!group_model.ok()) return group_model.error();
      d->group_model_ = std::move(group_model.value());
      for (const std::string& code : d->model_->languages()) {
        d->group_model_index_.push_back(d->group_model_->LanguageIndex(code));
      }
    }
    d->group_of_language_.assign(d->model_->languages().size(), -1);
    // Per group, the languages a GroupTable copies from each model (empty: no table).
    std::vector<std::vector<int>> table_languages, group_table_languages;
    for (const CloseGroup& group : kCloseGroups) {
      std::vector<int> members;
      for (std::string_view code : group.codes) {
        const int i = d->model_->LanguageIndex(code);
        if (i >= 0) members.push_back(i);
      }
      if (members.size() < 2) continue;
      d->groups_.push_back(members);
      table_languages.push_back(group.model_table ? members : std::vector<int>());
      group_table_languages.emplace_back();
      for (int c : members) {
        if (d->group_model_ && d->group_model_index_[c] >= 0) {
          group_table_languages.back().push_back(d->group_model_index_[c]);
        }
      }
    }
    for (size_t g = 0; g < d->groups_.size(); ++g) {
      for (int i : d->groups_[g]) {
        // A language in two groups (hr) keeps the first: the one it is most confused within.
        if (d->group_of_language_[i] < 0) d->group_of_language_[i] = static_cast<int>(g);
      }
    }
    // A table holds the same values as its model, so scores are the same to the last digit;
    // ScoreNgrams uses it when its candidates are exactly the table's languages.
    d->model_tables_ = GroupTable::Build(*d->model_, table_languages);
    if (d->group_model_) {
      d->group_model_tables_ = GroupTable::Build(*d->group_model_, group_table_languages);
    } else {
      d->group_model_tables_.resize(d->groups_.size());
    }
  }
  return d;
}

const std::vector<int>* Detector::GroupOf(std::string_view code) const {
  if (!model_) return nullptr;
  const int i = model_->LanguageIndex(code);
  if (i < 0 || group_of_language_[i] < 0) return nullptr;
  return &groups_[group_of_language_[i]];
}

void Detector::ScoreNgrams(const NgramModel& model, const std::vector<int>& candidates, Scratch* s,
                           std::vector<double>* scores, uint32_t max_order, uint32_t min_order,
                           double stop_margin, bool stop_outside_group,
                           const GroupTable* table) const {
  const size_t n_lang = model.languages().size();
  scores->assign(n_lang, 0.0);
  // The table serves exactly its group's members, in its order.
  if (table != nullptr && table->languages() != candidates) table = nullptr;
  // Sums in thousandths of a nat, exact, as the model stores them: each position adds the
  // unknown-letter cost to every language (one counter, `n_scored`) and, to the languages that
  // know an n-gram there, its log-probability minus that cost. So a position costs only its
  // postings, however many candidates there are.
  auto& acc = s->acc;
  acc.assign(n_lang, 0);
  s->stopped_early = false;
  int64_t n_scored = 0;
  const auto finish = [&]() {
    for (int c : candidates) {
      (*scores)[c] = static_cast<double>(acc[c] + n_scored * kUnknownMilli) * 0.001;
    }
  };
  if (s->values.size() < n_lang) {
    s->values.assign(n_lang, 0.0);
    s->stamps.assign(n_lang, 0);
    s->stamp = 0;
  }
  s->is_candidate.assign(n_lang, 0);
  int last_candidate = -1;
  for (int c : candidates) {
    s->is_candidate[c] = 1;
    last_candidate = std::max(last_candidate, c);
  }
  const Tokenized& tok = s->tok;
  // With a few candidates (a close group), positions are checked against the letter first.
  const bool letter_check = candidates.size() <= 8 && min_order == 1;
  uint32_t* const stamps = s->stamps.data();
  const uint8_t* const is_candidate = s->is_candidate.data();

  // First the positions, then the lookups: the table is hundreds of MB, so nearly every lookup
  // misses the cache, and knowing the positions ahead lets the loop below hash and ask for the
  // slots (and then the postings) of later positions while it scores this one.
  auto& pos = s->positions;
  auto& keys = s->keys;
  pos.clear();
  uint32_t letters = 0;
  bool check_pending = false;
  for (const Tokenized::Word& w : tok.words) {
    // The stop test runs before a word once 64 letters were read since the last one.
    if (stop_margin > 0 && letters >= 64) {
      letters = 0;
      check_pending = true;
    }
    letters += w.end - w.begin;
    for (uint32_t end = w.begin + 1; end <= w.end; ++end) {
      const uint32_t top = std::min<uint32_t>(max_order, end - w.begin);
      if (top < min_order) continue;
      pos.push_back({end, static_cast<uint8_t>(top), check_pending});
      check_pending = false;
    }
  }

  const size_t n_pos = pos.size();
  keys.resize(n_pos * kMaxNgramOrder);
  const auto key_of = [&keys](size_t i, uint32_t n) -> uint64_t& {
    return keys[i * kMaxNgramOrder + n - 1];
  };
  // Distances ahead (in positions) of the slot and the postings prefetches.
  constexpr size_t kSlotAhead = 16;
  constexpr size_t kPostingsAhead = 8;
  const auto hash_and_prefetch = [&](size_t i) {
    const uint32_t end = pos[i].end;
    for (uint32_t n = pos[i].top; n >= min_order; --n) {
      const uint64_t key = NgramKey(tok.Span(end - n, end));
      key_of(i, n) = key;
      // All orders but the letter (in cache anyway): with many candidates most are needed, and
      // with a few the back-off is common enough (the group model's text is small) that a
      // miss there costs more than the prefetches (measured).
      if (table != nullptr) {
        table->Prefetch(key);
      } else if (n > 1) {
        model.Prefetch(key);
      }
    }
  };
  for (size_t i = 0; i < std::min(n_pos, kSlotAhead); ++i) hash_and_prefetch(i);
  for (size_t i = 0; i < n_pos; ++i) {
    if (pos[i].check && stop_margin > 0) {
      // Enough text once the leader is out of reach: long texts rarely need all of it.
      int64_t first = INT64_MIN, second = INT64_MIN;
      if (stop_outside_group) {
        int leader = -1;
        for (int c : candidates) {
          if (leader < 0 || acc[c] > acc[leader]) leader = c;
        }
        const int g = leader < 0 ? -1 : group_of_language_[leader];
        for (int c : candidates) {
          if (c != leader && (g < 0 || group_of_language_[c] != g)) {
            second = std::max(second, acc[c]);
          }
        }
        if (leader >= 0) first = acc[leader];
      } else {
        for (int c : candidates) {
          const int64_t v = acc[c];
          if (v > first) {
            second = first;
            first = v;
          } else if (v > second) {
            second = v;
          }
        }
      }
      if (second == INT64_MIN || static_cast<double>(first - second) * 0.001 >= stop_margin) {
        finish();
        s->stopped_early = true;
        return;
      }
    }
    if (i + kSlotAhead < n_pos) hash_and_prefetch(i + kSlotAhead);
    if (table == nullptr && i + kPostingsAhead < n_pos) {
      const size_t j = i + kPostingsAhead;
      model.PrefetchPostings(key_of(j, pos[j].top));
    }
    if (++s->stamp == 0) {  // wrapped: reset so old stamps cannot match
      std::fill(s->stamps.begin(), s->stamps.end(), 0);
      s->stamp = 1;
    }
    const uint32_t top = pos[i].top;
    if (table != nullptr) {
      // The same values as the postings loop below, from the group's own table: each member
      // takes its longest n-gram, none if it never saw the letter (with the letter check).
      const uint32_t all = (1u << candidates.size()) - 1;
      uint32_t done = 0;
      if (letter_check && top > 1) {
        const int16_t* v = table->Find(key_of(i, 1));
        for (size_t j = 0; j < candidates.size(); ++j) {
          if (v == nullptr || v[j] == GroupTable::kAbsent) done |= 1u << j;
        }
      }
      for (uint32_t n = top; n >= min_order && done != all; --n) {
        const int16_t* v = table->Find(key_of(i, n));
        if (v == nullptr) continue;
        const int64_t add = kBackoffMilli * static_cast<int64_t>(top - n) - kUnknownMilli;
        for (size_t j = 0; j < candidates.size(); ++j) {
          if ((done >> j & 1) == 0 && v[j] != GroupTable::kAbsent) {
            done |= 1u << j;
            acc[candidates[j]] += v[j] + add;
          }
        }
      }
      ++n_scored;
      continue;
    }
    if (min_order == max_order) {
      // One order (the check of CLD2's verdict): each language is in a key's postings at most
      // once, so every posting up to the last candidate counts, with no bookkeeping.
      const int64_t add = -kUnknownMilli;
      int64_t* const sums = acc.data();
      for (const NgramPosting& p : model.FindKey(key_of(i, top))) {
        if (p.language > last_candidate) break;
        sums[p.language] += p.log_prob_milli + add;
      }
      ++n_scored;
      continue;
    }
    const uint32_t stamp = s->stamp;
    size_t found = 0;  // candidates with a value at this position
    if (letter_check && top > 1) {
      // A candidate that has never seen this letter has none of the longer n-grams that end in
      // it either (all orders are counted on the same text), so it takes the unknown cost
      // without looking them up. Saves the whole back-off chain for a member of a group
      // written in another script (Serbian's Cyrillic against Bosnian and Croatian text).
      // The letter's postings are among the few every worker keeps in cache.
      size_t knowing = 0;
      for (const NgramPosting& p : model.FindKey(key_of(i, 1))) {
        if (p.language > last_candidate) break;
        knowing += is_candidate[p.language];
      }
      found = candidates.size() - knowing;
    }
    // Lower orders are looked up only while some candidate has no value yet: with a few close
    // candidates the longest n-gram usually serves them all.
    for (uint32_t n = top; n >= min_order && found < candidates.size(); --n) {
      const uint64_t key = key_of(i, n);
      const int64_t add = kBackoffMilli * static_cast<int64_t>(top - n) - kUnknownMilli;
      for (const NgramPosting& p : model.FindKey(key)) {
        // Postings come by increasing language: past the last candidate none can count.
        if (p.language > last_candidate) break;
        if (stamps[p.language] != stamp) {
          stamps[p.language] = stamp;
          acc[p.language] += p.log_prob_milli + add;
          found += is_candidate[p.language];
        }
      }
    }
    ++n_scored;
  }
  finish();
}

void Detector::ScoreWords(const NgramModel& model, const std::vector<int>& candidates, Scratch* s,
                          std::vector<double>* scores) const {
  std::string& key = s->word_key;
  key.assign(1, kWordPrefix);
  const auto unseen = model.Find(key);
  if (unseen.empty()) return;  // a model without word entries
  const size_t n_lang = model.languages().size();
  s->word_unseen.assign(n_lang, kUnknownLogProb);
  for (const NgramPosting& p : unseen) s->word_unseen[p.language] = p.log_prob_milli * 0.001;
  // Keys first, so that the lookups can be prefetched a few words ahead (see ScoreNgrams).
  auto& keys = s->word_keys;
  keys.clear();
  for (const Tokenized::Word& w : s->tok.words) {
    key.resize(1);
    key += s->tok.Span(w.begin, w.end);
    keys.push_back(NgramKey(key));
  }
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < std::min(keys.size(), kAhead); ++i) model.Prefetch(keys[i]);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i + kAhead < keys.size()) model.Prefetch(keys[i + kAhead]);
    if (i + kAhead / 2 < keys.size()) model.PrefetchPostings(keys[i + kAhead / 2]);
    if (++s->stamp == 0) {
      std::fill(s->stamps.begin(), s->stamps.end(), 0);
      s->stamp = 1;
    }
    for (const NgramPosting& p : model.FindKey(keys[i])) {
      s->stamps[p.language] = s->stamp;
      s->values[p.language] = p.log_prob_milli * 0.001;
    }
    for (int c : candidates) {
      (*scores)[c] += kWordWeight * (s->stamps[c] == s->stamp ? s->values[c] : s->word_unseen[c]);
    }
  }
}

void Detector::ApplyGroupModel(Scratch* s, double weight) const {
  if (!group_model_) return;
  int best = -1;
  for (int c : s->candidates) {
    if (best < 0 || s->scores[c] > s->scores[best]) best = c;
  }
  if (best < 0 || group_of_language_[best] < 0) return;
  const std::vector<int>& group = groups_[group_of_language_[best]];
  s->group_candidates.clear();
  for (int c : group) {
    if (group_model_index_[c] >= 0 &&
        std::find(s->candidates.begin(), s->candidates.end(), c) != s->candidates.end()) {
      s->group_candidates.push_back(group_model_index_[c]);
    }
  }
  if (s->group_candidates.size() < 2) return;
  ScoreNgrams(*group_model_, s->group_candidates, s, &s->group_scores, kMaxNgramOrder, 1, 0, false,
              group_model_tables_[group_of_language_[best]].get());
  ScoreWords(*group_model_, s->group_candidates, s, &s->group_scores);
  // Relative to the group's best, so that the group as a whole keeps its standing against
  // languages outside it.
  double top = -1e300;
  for (int g : s->group_candidates) top = std::max(top, s->group_scores[g]);
  for (int c : group) {
    const int g = group_model_index_[c];
    if (g >= 0 && std::find(s->group_candidates.begin(), s->group_candidates.end(), g) !=
                      s->group_candidates.end()) {
      s->scores[c] += weight * (s->group_scores[g] - top);
    }
  }
}

double Detector::Lead(const Scratch& s, int best) const {
  double second = -1e300;
  for (int c : s.candidates) {
    if (c != best) second = std::max(second, s.scores[c]);
  }
  return best < 0 ? 0 : s.scores[best] - second;
}

int Detector::BestCandidate(const Scratch& s, double* probability) const {
  int best = -1;
  for (int c : s.candidates) {
    if (best < 0 || s.scores[c] > s.scores[best]) best = c;
  }
  if (best < 0) return -1;
  double sum = 0;
  for (int c : s.candidates) sum += std::exp((s.scores[c] - s.scores[best]) * kShortScale);
  *probability = 1.0 / sum;
  return best;
}

void Detector::Detect(std::string_view title, std::string_view body, Scratch* s,
                      LanguageResult* out) const {
  *out = LanguageResult{};
  if (body.size() > static_cast<size_t>(options_.max_text_bytes)) {
    body = body.substr(0, static_cast<size_t>(options_.max_text_bytes));
  }
  if (body.size() >= static_cast<size_t>(options_.long_text_bytes)) {
    std::string_view text = body;
    const auto sample_bytes = static_cast<size_t>(options_.sample_bytes);
    if (sample_bytes > 0 && body.size() > sample_bytes) {
      SampleText(body, sample_bytes, &s->sample);
      text = s->sample;
    }
    DetectLong(text, s, out);
    if (out->code != "und") return;
  }
  DetectShort(title, body, s, out);
}

void Detector::DetectShort(std::string_view title, std::string_view body, Scratch* s,
                           LanguageResult* out) const {
  const size_t max_letters = static_cast<size_t>(options_.max_ngram_letters);
  s->tok.clear();
  Tokenize(title, max_letters, &s->tok);
  Tokenize(body, max_letters, &s->tok);
  const Tokenized& tok = s->tok;
  if (tok.letter_count < static_cast<size_t>(options_.min_letters)) return;  // und

  const Script script = tok.DominantScript();
  const double script_share = static_cast<double>(tok.script_letters[static_cast<size_t>(script)]) /
                              static_cast<double>(tok.letter_count);
  const uint32_t kana = tok.script_letters[static_cast<size_t>(Script::kKana)];
  const uint32_t han = tok.script_letters[static_cast<size_t>(Script::kHan)];
  const char* owner = ScriptOwner(tok);
  if (owner != nullptr) {
    out->code = std::string(owner);
    out->confidence = script == Script::kHan || script == Script::kKana
                          ? static_cast<double>(han + kana) / tok.letter_count
                          : script_share;
    out->reliable = out->confidence >= options_.reliable_confidence;
    return;
  }

  if (!model_) {
    s->chunk.assign(title);
    s->chunk.push_back('\n');
    s->chunk.append(body);
    const Cld2Verdict cld2 = RunCld2(s->chunk, nullptr);
    const std::string_view code = NormalizeCld2(CLD2::LanguageCode(cld2.top));
    if (code.empty()) return;
    out->code = std::string(code);
    // Without the n-gram model there is nothing to calibrate against: CLD2's own flag.
    out->confidence = cld2.reliable ? 0.9 : 0.5;
    out->reliable = out->confidence >= options_.reliable_confidence;
    return;
  }

  s->candidates.clear();
  for (size_t i = 0; i < model_->languages().size(); ++i) s->candidates.push_back(int(i));
  ScoreNgrams(*model_, s->candidates, s, &s->scores);
  ApplyGroupModel(s, kGroupWeight);
  double p = 0;
  const int best = BestCandidate(*s, &p);
  if (best < 0) return;
  out->code = model_->languages()[best];
  out->confidence = p * script_share;
  out->reliable = out->confidence >= options_.reliable_confidence;
}

void Detector::DetectLong(std::string_view body, Scratch* s, LanguageResult* out) const {
  s->weights.clear();
  // One CLD2 call over the whole body (its per-call set-up costs more than scoring a
  // paragraph); its result chunks say which bytes are in which language.
  CLD2::ResultChunkVector& spans = s->cld2_chunks;
  const int valid_prefix = RunCld2(body, &spans).valid_prefix;
  if (static_cast<size_t>(valid_prefix) < body.size()) {
    // CLD2 gives up on the whole text at the first byte that is not interchange-valid UTF-8:
    // invalid bytes, but also control characters (C0 but tab and line ends, DEL, the C1
    // controls that mis-decoded cp1252 quotes leave behind) and non-characters. That left such
    // pages to the short-text path on up to max_ngram_letters letters. The same text with
    // those characters as spaces has the same byte offsets, so its chunks still index `body`;
    // Tokenize treats them as separators anyway.
    std::string& clean = s->clean;
    clean.assign(body);
    for (size_t pos = 0; pos < clean.size();) {
      const size_t at = pos;
      const char32_t c = NextCodePoint(clean, &pos);
      const bool bad =
          (c == 0xFFFD && pos == at + 1) || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
          (c >= 0x7F && c < 0xA0) || (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
      if (bad) std::fill(clean.begin() + at, clean.begin() + pos, ' ');
    }
    // Whatever else CLD2 rejects (rare), blank it too, a bounded number of times.
    for (int attempt = 0; attempt < 4; ++attempt) {
      const int accepted = RunCld2(clean, &spans).valid_prefix;
      if (accepted < 0 || static_cast<size_t>(accepted) >= clean.size()) break;
      size_t next = static_cast<size_t>(accepted);
      NextCodePoint(clean, &next);
      std::fill(clean.begin() + accepted, clean.begin() + static_cast<ptrdiff_t>(next), ' ');
    }
  }
  struct Chunk {
    size_t begin, end;
    std::string_view top;  // "" when CLD2 could not tell
  };
  std::vector<Chunk> chunks;  // small: CLD2 merges neighbouring spans of one language
  double total = 0;
  double unknown = 0;
  for (const CLD2::ResultChunk& r : spans) {
    if (r.bytes <= 0) continue;
    const std::string_view code =
        NormalizeCld2(CLD2::LanguageCode(static_cast<CLD2::Language>(r.lang1)));
    if (code.empty()) {
      unknown += r.bytes;
    } else {
      AddWeight(&s->weights, code, r.bytes);
    }
    total += r.bytes;
    const size_t begin = std::min<size_t>(static_cast<size_t>(r.offset), body.size());
    chunks.push_back({begin, std::min(body.size(), begin + static_cast<size_t>(r.bytes)), code});
  }
  if (total <= 0) return;  // und: the caller tries the short-text path

  auto& w = s->weights;
  std::sort(w.begin(), w.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  // CLD2 does not know some languages (Somali, Maori, Yoruba come back "unknown", with a few
  // bytes of something else): then the unknown text is the main text.
  const bool cld2_lost = w.empty() || unknown > w[0].second;
  if (cld2_lost && !model_) return;  // und: the caller tries the short-text path
  std::string main = cld2_lost ? "" : w[0].first;
  double main_weight = cld2_lost ? unknown : w[0].second;
  double p = 1.0;

  if (model_) {
    // CLD2 is weak on some languages (it reads Shona as Nyanja, Latin as English) and within
    // close groups. The n-gram model checks its verdict on a sample of the text CLD2 gave to
    // its main language: when they agree and the language has no close relatives, CLD2 stands;
    // otherwise the n-gram model decides on more text, within the group or among all.
    const std::string cld2_main = main;
    const std::vector<int>* group = cld2_lost ? nullptr : GroupOf(main);
    const auto in_group = [this, group, &cld2_main](std::string_view code) {
      if (code == cld2_main) return true;
      if (group == nullptr) return false;
      const int i = model_->LanguageIndex(code);
      return i >= 0 && std::find(group->begin(), group->end(), i) != group->end();
    };
    const auto tokenize = [&](size_t max_letters) {
      s->tok.clear();
      for (const Chunk& c : chunks) {
        if (s->tok.letter_count >= max_letters) break;
        if (in_group(c.top)) {
          Tokenize(body.substr(c.begin, c.end - c.begin), max_letters, &s->tok);
        }
      }
    };
    const auto all_candidates = [this, s]() {
      s->candidates.clear();
      for (size_t i = 0; i < model_->languages().size(); ++i) s->candidates.push_back(int(i));
    };
    bool agrees = false;
    if (!cld2_lost) {
      tokenize(std::min<size_t>(kVerifyLetters, options_.max_ngram_letters));
      // A script one language owns (Hangul, kana, Thai, Greek, ...) confirms CLD2 when it names
      // that language: the n-gram check has nothing to add there (its trigrams barely cover
      // Han and Hangul, where it used to disagree and re-decide among all languages).
      if (const char* owner = ScriptOwner(s->tok); owner != nullptr && cld2_main == owner) {
        agrees = true;
      } else {
        all_candidates();
        ScoreNgrams(*model_, s->candidates, s, &s->scores, kVerifyOrder, kVerifyOrder);
        double sample_p = 0;
        const int sample_best = BestCandidate(*s, &sample_p);
        agrees = sample_best >= 0 && in_group(model_->languages()[sample_best]);
      }
    }
    int best = -1;
    if (!agrees || group != nullptr) {
      // Decides on the first `letters` letters; returns whether a close group was re-scored.
      const auto decide = [&](size_t letters) {
        tokenize(letters);
        bool in_a_group = agrees;
        if (agrees) {
          s->candidates.assign(group->begin(), group->end());
          ScoreNgrams(*model_, s->candidates, s, &s->scores, kMaxNgramOrder, 1, kStopMargin, false,
                      model_tables_[group - groups_.data()].get());
        } else {
          // Among all languages until the leader's group is out of reach of the others, then
          // within that group: a contest inside a group (Zulu and Xhosa, which CLD2 does not
          // know) no longer drags 75 languages along to the last letter. The others stay 30
          // or more behind, so leaving them out of the softmax changes the posterior by less
          // than 1e-4 each.
          all_candidates();
          ScoreNgrams(*model_, s->candidates, s, &s->scores, kMaxNgramOrder, 1, kStopMargin,
                      /*stop_outside_group=*/true);
          int leader = -1;
          for (int c : s->candidates) {
            if (leader < 0 || s->scores[c] > s->scores[leader]) leader = c;
          }
          if (leader >= 0 && group_of_language_[leader] >= 0) {
            const std::vector<int>& members = groups_[group_of_language_[leader]];
            s->candidates.assign(members.begin(), members.end());
            ScoreNgrams(*model_, s->candidates, s, &s->scores, kMaxNgramOrder, 1, kStopMargin,
                        false, model_tables_[group_of_language_[leader]].get());
            in_a_group = true;
          }
        }
        ApplyGroupModel(s, kGroupWeight);
        best = BestCandidate(*s, &p);
        return in_a_group;
      };
      // Within a close group, a first pass on kGroupFirstLetters letters; only a close call
      // reads on to max_ngram_letters (from the start: the first pass is cheap). Outside the
      // groups the stop margin already bounds the reading.
      const size_t max_letters = static_cast<size_t>(options_.max_ngram_letters);
      const size_t first = std::min(kGroupFirstLetters, max_letters);
      bool done = false;
      if (first < max_letters) {
        const bool grouped = decide(first);
        // Also final: a text with no more letters, and a verdict outside the groups that the
        // stop margin reached before the end of the first pass (reading on would stop at the
        // same letter).
        done = s->tok.letter_count < first || (grouped && Lead(*s, best) >= kGroupDecidedMargin) ||
               (!grouped && s->stopped_early);
      }
      if (!done) decide(max_letters);
    }
    if (best >= 0) {
      main = model_->languages()[best];
      main_weight = cld2_lost ? unknown : 0;
      for (auto& [code, weight] : w) {
        if (in_group(code) || code == main) {
          main_weight += weight;
          weight = 0;
        }
      }
    } else if (cld2_lost) {
      return;  // und: the caller tries the short-text path
    }
  }
  out->code = main;
  out->confidence = std::clamp(main_weight / total * p, 0.0, 1.0);
  out->reliable = out->confidence >= options_.reliable_confidence;
  for (const auto& [code, weight] : w) {
    const double share = weight / total;
    if (code == main || share < options_.min_other_share) continue;
    out->others.push_back({code, share});
  }
}

}  // namespace newsflow::language
