#include "stages/entities/tagger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <unordered_map>

#include "common/hash.h"
#include "stages/entities/words.h"

namespace newsflow::entities {
namespace {

constexpr char kMagic[8] = {'N', 'F', 'N', 'E', 'R', '0', '0', '1'};
constexpr uint64_t kBos = 0x426f5342'6f534273ULL;
constexpr uint64_t kEos = 0x456f5345'6f534573ULL;

inline uint32_t Bucket(uint64_t templ, uint64_t value) {
  uint64_t h = MixHash(templ * 0x9E3779B97F4A7C15ULL + 0x1234567, value);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return static_cast<uint32_t>(h >> (64 - Model::kBucketsLog2));
}

char ShapeClass(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return 'X';
  if (c >= 'a' && c <= 'z') return 'x';
  if (c >= '0' && c <= '9') return 'd';
  if (c >= 0x80) return 'u';
  return static_cast<char>(c);
}

// Short shape ("Xx", "X.X.", "dd.d" with runs collapsed) and a long shape of the first 6
// classes, as hashes.
void Shapes(std::string_view w, uint64_t* short_h, uint64_t* long_h) {
  char s[16];
  char l[8];
  size_t ns = 0, nl = 0;
  char last = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(w[i]);
    if (c >= 0x80 && (c & 0xC0) == 0x80) continue;  // continuation byte
    char k = ShapeClass(c);
    if (k == 'u') k = (i == 0 && StartsUpper(w)) ? 'X' : 'x';
    if (nl < sizeof(l)) l[nl++] = k;
    if (k != last && ns < sizeof(s)) s[ns++] = k;
    last = k;
  }
  *short_h = Hash64(std::string_view(s, ns), 7);
  *long_h = Hash64(std::string_view(l, std::min<size_t>(nl, 6)), 8);
}

// Gazetteer code per token: 0 none, else 1 + 2*type + inside.
uint8_t GazCode(GazType t, bool inside) {
  return static_cast<uint8_t>(1 + 2 * static_cast<int>(t) + (inside ? 1 : 0));
}

}  // namespace

bool ParseTag(std::string_view s, uint8_t* tag) {
  if (s == "O") {
    *tag = kO;
    return true;
  }
  if (s.size() < 3 || s[1] != '-' || (s[0] != 'B' && s[0] != 'I')) return false;
  std::string_view type = s.substr(2);
  for (int t = 0; t < 4; ++t) {
    if (type == kTypeNames[t]) {
      *tag = s[0] == 'B' ? BeginTag(t) : InsideTag(t);
      return true;
    }
  }
  return false;
}

const char* TagName(uint8_t tag) {
  static constexpr const char* kNames[kNumTags] = {"O",     "B-PER", "I-PER",  "B-ORG", "I-ORG",
                                                   "B-LOC", "I-LOC", "B-MISC", "I-MISC"};
  return tag < kNumTags ? kNames[tag] : "O";
}

Model::Model() : weights_(static_cast<size_t>(kBuckets) * kNumTags, 0.0f) {}

Result<std::unique_ptr<Model>> Model::Load(const std::string& path, const Gazetteer* gazetteer) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("cannot open model " + path, "io");
  char magic[8];
  uint32_t log2 = 0, ntags = 0;
  uint64_t rows = 0;
  in.read(magic, 8);
  in.read(reinterpret_cast<char*>(&log2), 4);
  in.read(reinterpret_cast<char*>(&ntags), 4);
  in.read(reinterpret_cast<char*>(&rows), 8);
  if (!in || std::memcmp(magic, kMagic, 8) != 0 || log2 != kBucketsLog2 || ntags != kNumTags ||
      rows > kBuckets) {
    return MakeError("model " + path + " is not a newsflow NER model of this version", "corrupt");
  }
  auto model = std::make_unique<Model>();
  std::vector<char> buf(rows * (4 + 4 * kNumTags));
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  if (!in) return MakeError("model " + path + " is truncated", "corrupt");
  const char* p = buf.data();
  for (uint64_t r = 0; r < rows; ++r) {
    uint32_t b;
    std::memcpy(&b, p, 4);
    p += 4;
    if (b >= kBuckets) return MakeError("model " + path + " has a bad row", "corrupt");
    std::memcpy(&model->weights_[static_cast<size_t>(b) * kNumTags], p, 4 * kNumTags);
    p += 4 * kNumTags;
  }
  model->gazetteer_ = gazetteer;
  return model;
}

Status Model::Save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return MakeError("cannot write model " + path, "io");
  uint64_t rows = 0;
  for (uint32_t b = 0; b < kBuckets; ++b) {
    const float* w = &weights_[static_cast<size_t>(b) * kNumTags];
    for (int t = 0; t < kNumTags; ++t) {
      if (w[t] != 0.0f) {
        ++rows;
        break;
      }
    }
  }
  uint32_t log2 = kBucketsLog2, ntags = kNumTags;
  out.write(kMagic, 8);
  out.write(reinterpret_cast<const char*>(&log2), 4);
  out.write(reinterpret_cast<const char*>(&ntags), 4);
  out.write(reinterpret_cast<const char*>(&rows), 8);
  for (uint32_t b = 0; b < kBuckets; ++b) {
    const float* w = &weights_[static_cast<size_t>(b) * kNumTags];
    bool nz = false;
    for (int t = 0; t < kNumTags; ++t) nz |= w[t] != 0.0f;
    if (!nz) continue;
    out.write(reinterpret_cast<const char*>(&b), 4);
    out.write(reinterpret_cast<const char*>(w), 4 * kNumTags);
  }
  if (!out) return MakeError("error writing model " + path, "io");
  return Status::Ok();
}

void Model::ComputeFeatures(const DocumentView& doc, TaggerScratch* s) const {
  const size_t n = doc.words.size();
  s->norm.resize(n);
  s->exact.resize(n);
  s->shape.resize(n);
  s->gaz.assign(n, 0);
  s->names.assign(n, 0);
  s->doc_flags.assign(n, 0);
  s->features.resize(n * kStaticFeatures);
  std::vector<uint64_t>& long_shape = s->long_shape;
  long_shape.resize(n);
  for (size_t i = 0; i < n; ++i) {
    s->norm[i] = NormHash(doc.words[i]);
    s->exact[i] = Hash64(doc.words[i], 3);
    uint64_t sh, lh;
    Shapes(doc.words[i], &sh, &lh);
    s->shape[i] = static_cast<uint32_t>(sh);
    long_shape[i] = lh;
  }
  if (gazetteer_) {
    for (size_t i = 0; i < n; ++i)
      if (StartsUpper(doc.words[i])) s->names[i] = gazetteer_->NameBits(s->norm[i]);
    for (size_t i = 0; i < n;) {
      const Gazetteer::Entry* e = nullptr;
      int len = gazetteer_->Match(doc.words, s->norm, i, &e);
      if (len == 0) {
        ++i;
        continue;
      }
      for (int k = 0; k < len; ++k) s->gaz[i + k] = GazCode(e->type, k > 0);
      i += len;
    }
  }
  // Document cues: is the word seen starting lower-case / capitalised mid-sentence elsewhere.
  s->tmp.clear();
  for (size_t i = 0; i < n; ++i) {
    std::string_view w = doc.words[i];
    uint64_t bit = 0;
    if (!w.empty() && w[0] >= 'a' && w[0] <= 'z') bit = 1;
    else if (StartsUpper(w) && !doc.sentence_start[i]) bit = 2;
    if (bit) s->tmp.push_back((s->norm[i] & ~3ULL) | bit);
  }
  std::sort(s->tmp.begin(), s->tmp.end());
  for (size_t i = 0; i < n; ++i) {
    uint64_t key = s->norm[i] & ~3ULL;
    auto it = std::lower_bound(s->tmp.begin(), s->tmp.end(), key);
    uint8_t f = 0;
    for (; it != s->tmp.end() && (*it & ~3ULL) == key; ++it) f |= static_cast<uint8_t>(*it & 3);
    s->doc_flags[i] = f;
  }
  // Capitalised runs: length and position of each token in its run of capitalised words.
  std::vector<uint8_t>& run_code = s->run_code;
  run_code.assign(n, 0);
  for (size_t i = 0; i < n;) {
    if (!StartsUpper(doc.words[i])) {
      ++i;
      continue;
    }
    size_t e = i + 1;
    while (e < n && StartsUpper(doc.words[e]) && !doc.sentence_start[e]) ++e;
    size_t len = std::min<size_t>(e - i, 4);
    for (size_t k = i; k < e; ++k) {
      size_t pos = k == i ? 0 : (k + 1 == e ? 2 : 1);
      run_code[k] = static_cast<uint8_t>(1 + len * 3 + pos);
    }
    i = e;
  }
  // Sentence bounds for the window.
  size_t sent_begin = 0;
  for (size_t i = 0; i < n; ++i) {
    if (doc.sentence_start[i]) sent_begin = i;
    size_t sent_end = i + 1;
    while (sent_end < n && !doc.sentence_start[sent_end] && sent_end < i + 3) ++sent_end;
    auto norm_at = [&](long j) -> uint64_t {
      if (j < static_cast<long>(sent_begin)) return kBos;
      if (j >= static_cast<long>(sent_end) && j > static_cast<long>(i)) return kEos;
      return s->norm[j];
    };
    auto shape_at = [&](long j) -> uint64_t {
      if (j < static_cast<long>(sent_begin)) return kBos;
      if (j >= static_cast<long>(sent_end) && j > static_cast<long>(i)) return kEos;
      return s->shape[j];
    };
    auto names_at = [&](long j) -> uint64_t {
      if (j < static_cast<long>(sent_begin)) return 100;
      if (j >= static_cast<long>(sent_end) && j > static_cast<long>(i)) return 101;
      return s->names[j];
    };
    auto gaz_at = [&](long j) -> uint64_t {
      if (j < static_cast<long>(sent_begin)) return 100;
      if (j >= static_cast<long>(sent_end) && j > static_cast<long>(i)) return 101;
      return s->gaz[j];
    };
    const long li = static_cast<long>(i);
    uint32_t* f = &s->features[i * kStaticFeatures];
    int k = 0;
    const uint64_t w = s->norm[i];
    const uint64_t sh = s->shape[i];
    char buf[96];
    size_t len = NormalizeWord(doc.words[i], buf, sizeof(buf));
    std::string_view nw(buf, len);
    f[k++] = Bucket(0, 0);
    f[k++] = Bucket(1, s->exact[i]);
    f[k++] = Bucket(2, w);
    f[k++] = Bucket(3, sh);
    f[k++] = Bucket(4, long_shape[i]);
    for (size_t p = 1; p <= 3; ++p)
      f[k++] = Bucket(4 + p, Hash64(nw.substr(0, std::min(p, nw.size())), 11));
    for (size_t p = 1; p <= 4; ++p)
      f[k++] = Bucket(8 + p, Hash64(nw.substr(nw.size() - std::min(p, nw.size())), 12));
    f[k++] = Bucket(13, norm_at(li - 1));
    f[k++] = Bucket(14, norm_at(li + 1));
    f[k++] = Bucket(15, norm_at(li - 2));
    f[k++] = Bucket(16, norm_at(li + 2));
    f[k++] = Bucket(17, shape_at(li - 1));
    f[k++] = Bucket(18, shape_at(li + 1));
    f[k++] = Bucket(19, MixHash(norm_at(li - 1), w));
    f[k++] = Bucket(20, MixHash(w, norm_at(li + 1)));
    f[k++] = Bucket(21, MixHash(doc.sentence_start[i], sh));
    f[k++] = Bucket(22, s->gaz[i]);
    f[k++] = Bucket(23, gaz_at(li - 1));
    f[k++] = Bucket(24, gaz_at(li + 1));
    f[k++] = Bucket(25, MixHash(s->gaz[i], sh));
    f[k++] = Bucket(26, MixHash(s->doc_flags[i] + 16 * doc.sentence_start[i], sh));
    f[k++] = Bucket(27, MixHash(MixHash(shape_at(li - 1), sh), shape_at(li + 1)));
    f[k++] = Bucket(28, MixHash(w, doc.sentence_start[i]));
    f[k++] = Bucket(29, MixHash(shape_at(li - 1), sh));
    f[k++] = Bucket(30, MixHash(sh, shape_at(li + 1)));
    f[k++] = Bucket(31, MixHash(gaz_at(li - 1), s->gaz[i]));
    f[k++] = Bucket(32, MixHash(norm_at(li - 1), sh));
    f[k++] = Bucket(33, MixHash(sh, norm_at(li + 1)));
    f[k++] = Bucket(34, s->names[i]);
    f[k++] = Bucket(35, MixHash(names_at(li - 1), s->names[i]));
    f[k++] = Bucket(36, MixHash(s->names[i], names_at(li + 1)));
    f[k++] = Bucket(37, MixHash(s->names[i], sh));
    f[k++] = Bucket(38, MixHash(run_code[i], doc.sentence_start[i]));
    while (k < kStaticFeatures) f[k++] = Bucket(63, 0);  // padding: same bias-like bucket
  }
}

int Model::DynamicFeatures(const TaggerScratch& s, size_t i, uint8_t prev, uint8_t prev2,
                           uint32_t* out) const {
  out[0] = Bucket(40, prev);
  out[1] = Bucket(41, prev2 * 16 + prev);
  out[2] = Bucket(42, MixHash(prev, s.norm[i]));
  out[3] = Bucket(43, MixHash(prev, s.shape[i]));
  return 4;
}

void Model::Score(const TaggerScratch& s, size_t i, uint8_t prev, uint8_t prev2,
                  float* scores) const {
  const uint32_t* f = &s.features[i * kStaticFeatures];
  for (int k = 0; k < kStaticFeatures; ++k) {
    const float* w = &weights_[static_cast<size_t>(f[k]) * kNumTags];
    for (int t = 0; t < kNumTags; ++t) scores[t] += w[t];
  }
  uint32_t dyn[8];
  int nd = DynamicFeatures(s, i, prev, prev2, dyn);
  for (int k = 0; k < nd; ++k) {
    const float* w = &weights_[static_cast<size_t>(dyn[k]) * kNumTags];
    for (int t = 0; t < kNumTags; ++t) scores[t] += w[t];
  }
}

void Model::Tag(const DocumentView& doc, TaggerScratch* scratch,
                std::vector<uint8_t>* tags) const {
  ComputeFeatures(doc, scratch);
  const size_t n = doc.words.size();
  tags->assign(n, kO);
  // The static features do not depend on earlier decisions: score them for every token first,
  // prefetching a few tokens ahead, so the table's cache misses overlap instead of queueing
  // behind the greedy decoder.
  std::vector<float>& pre = scratch->static_scores;
  pre.assign(n * kNumTags, 0.0f);
  constexpr size_t kAhead = 3;
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) {
      const uint32_t* nf = &scratch->features[(i + kAhead) * kStaticFeatures];
      for (int k = 0; k < kStaticFeatures; ++k)
        __builtin_prefetch(&weights_[static_cast<size_t>(nf[k]) * kNumTags]);
    }
    const uint32_t* f = &scratch->features[i * kStaticFeatures];
    float* out = &pre[i * kNumTags];
    for (int k = 0; k < kStaticFeatures; ++k) {
      const float* w = &weights_[static_cast<size_t>(f[k]) * kNumTags];
      for (int t = 0; t < kNumTags; ++t) out[t] += w[t];
    }
  }
  uint8_t prev = kO, prev2 = kO;
  for (size_t i = 0; i < n; ++i) {
    if (doc.sentence_start[i]) prev = prev2 = kO;
    float scores[kNumTags];
    std::memcpy(scores, &pre[i * kNumTags], sizeof(scores));
    uint32_t dyn[8];
    int nd = DynamicFeatures(*scratch, i, prev, prev2, dyn);
    for (int k = 0; k < nd; ++k) {
      const float* w = &weights_[static_cast<size_t>(dyn[k]) * kNumTags];
      for (int t = 0; t < kNumTags; ++t) scores[t] += w[t];
    }
    int best = kO;
    float best_score = -1e30f;
    for (int t = 0; t < kNumTags; ++t) {
      if (!Allowed(prev, static_cast<uint8_t>(t))) continue;
      if (scores[t] > best_score) {
        best_score = scores[t];
        best = t;
      }
    }
    (*tags)[i] = static_cast<uint8_t>(best);
    prev2 = prev;
    prev = static_cast<uint8_t>(best);
  }
}

void Model::TagDocument(const DocumentView& doc, TaggerScratch* scratch,
                        std::vector<uint8_t>* tags, bool consistency) const {
  Tag(doc, scratch, tags);
  PostProcess(doc, *scratch, gazetteer_, tags);
  if (consistency) EnforceConsistency(doc, tags);
}

namespace {
bool HasAlnum(std::string_view w) {
  for (char c : w) {
    unsigned char u = static_cast<unsigned char>(c);
    // Non-ASCII: 2-byte letters (Latin, Greek, Cyrillic...) and CJK count; U+2000.. (0xE2:
    // dashes, quotes) does not.
    if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
        (u >= 0xC3 && u != 0xE2))
      return true;
  }
  return false;
}

// Words of a title before a name ("Vice Foreign Minister", "U.S. national security adviser").
bool IsTitleWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "president", "vice", "foreign", "minister", "premier", "prime", "secretary", "comrade",
      "mr", "mrs", "ms", "dr", "senator", "sen", "governor", "gov", "chairman", "chairwoman",
      "ambassador", "adviser", "advisor", "spokesman", "spokeswoman", "spokesperson", "fm",
      "leader", "chancellor", "envoy", "deputy", "defense", "defence", "national", "security",
      "affairs", "state", "interior", "finance", "trade", "chief", "general", "executive",
      "ceo", "pope", "king", "queen", "prince", "princess", "mayor", "judge", "justice",
      "councillor", "party", "official", "director", "head", "commander", "gen", "lt", "col",
      "sgt", "capt", "adm", "rep", "representative", "lawmaker", "coach", "diplomat", "top",
      "counterpart", "ruling"};
  char buf[32];
  size_t n = NormalizeWord(w, buf, sizeof(buf));
  std::string_view nw(buf, n);
  for (auto k : kWords)
    if (nw == k) return true;
  return false;
}

// Head nouns of organisation names.
bool IsOrgHead(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "university", "college", "institute", "institution", "academy", "school", "association",
      "union", "league", "council", "committee", "commission", "department", "ministry",
      "agency", "corporation", "corp", "company", "co", "inc", "ltd", "llc", "plc", "bank",
      "party", "army", "navy", "corps", "division", "brigade", "regiment", "battalion", "club",
      "fc", "records", "airlines", "airways", "foundation", "society", "federation",
      "confederation", "board", "group", "media", "press", "network", "organization",
      "organisation", "authority", "service", "services", "office", "bureau", "court",
      "parliament", "assembly", "congress", "senate", "government", "tribunal", "fund",
      "trust", "hospital", "orchestra", "band", "team", "conference", "alliance", "coalition",
      "movement", "front", "church", "times", "post", "journal", "gazette", "herald",
      "tribune", "telegraph", "news", "magazine", "radio", "television", "tv", "studios",
      "pictures", "entertainment", "motors", "industries", "holdings", "systems",
      "technologies", "partners", "capital", "airport", "police", "guard", "force",
      "laboratory", "laboratories", "labs"};
  char buf[32];
  size_t n = NormalizeWord(w, buf, sizeof(buf));
  std::string_view nw(buf, n);
  for (auto k : kWords)
    if (nw == k) return true;
  return false;
}

// Head nouns of events, awards and other MISC names ("Grey Cup", "Cold War").
bool IsMiscHead(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "award", "awards", "cup", "bowl", "festival", "prize", "championship", "championships",
      "games", "olympics", "war", "revolution", "uprising", "act", "treaty", "accord",
      "accords", "tournament", "trophy", "open", "grand", "prix", "expo", "summit"};
  char buf[32];
  size_t n = NormalizeWord(w, buf, sizeof(buf));
  std::string_view nw(buf, n);
  for (auto k : kWords)
    if (nw == k) return true;
  return false;
}

bool IsMiscOpener(std::string_view w) {
  return w == "Battle" || w == "Siege" || w == "Treaty" || w == "Siege" || w == "Congress" ||
         w == "Peace";
}

// The office words among them: a run of title words names an office only with one of these
// ("Foreign Ministry" and "General Motors" do not).
bool IsOfficeWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "president", "minister", "premier", "secretary", "comrade", "mr", "mrs", "ms", "dr",
      "senator", "sen", "governor", "gov", "chairman", "chairwoman", "ambassador", "adviser",
      "advisor", "spokesman", "spokeswoman", "spokesperson", "fm", "leader", "chancellor",
      "envoy", "ceo", "pope", "mayor", "judge", "councillor", "official", "commander", "gen",
      "lt", "col", "sgt", "capt", "adm", "rep", "lawmaker", "diplomat", "counterpart"};
  char buf[32];
  size_t n = NormalizeWord(w, buf, sizeof(buf));
  std::string_view nw(buf, n);
  for (auto k : kWords)
    if (nw == k) return true;
  return false;
}

// Lower-case function words never start or end a name ("delegation of", "to Strengthen").
bool IsLowerFunctionWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {"of", "the", "and", "to", "in", "on", "for",
                                                "with", "at", "by", "from", "a", "an", "or",
                                                "as", "vs"};
  for (auto k : kWords)
    if (w == k) return true;
  return false;
}

bool IsPossessive(std::string_view w) {
  return w == "'s" || w == "\xE2\x80\x99s" || w == "'" || w == "\xE2\x80\x99";
}

// A lower-case word (no capitals anywhere: "iPod" is not one) that is no name particle.
bool IsLowerWord(std::string_view w) {
  if (w.empty() || w[0] < 'a' || w[0] > 'z') return false;
  for (char c : w)
    if (c >= 'A' && c <= 'Z') return false;
  static constexpr std::string_view kParticles[] = {
      "de", "da", "di", "du", "dos", "das", "del", "della", "van", "von", "der", "den", "ter",
      "bin", "bint", "ibn", "al", "el", "le", "la", "y", "zu", "af", "av"};
  for (auto p : kParticles)
    if (w == p) return false;
  return w.rfind("al-", 0) != 0 && w.rfind("el-", 0) != 0;
}

// Trims punctuation, possessives and lower-case function words off span edges.
void TrimSpans(const DocumentView& doc, std::vector<uint8_t>* tags) {
  std::vector<uint8_t>& t = *tags;
  const size_t n = t.size();
  for (size_t i = 0; i < n;) {
    if (t[i] == kO) {
      ++i;
      continue;
    }
    int type = TagType(t[i]);
    size_t e = i + 1;
    while (e < n && t[e] == InsideTag(type)) ++e;
    size_t b = i, f = e;
    while (b < f && (!HasAlnum(doc.words[b]) || IsLowerFunctionWord(doc.words[b]))) t[b++] = kO;
    while (f > b && (!HasAlnum(doc.words[f - 1]) || IsPossessive(doc.words[f - 1]) ||
                     IsLowerFunctionWord(doc.words[f - 1])))
      t[--f] = kO;
    // A name neither starts nor ends with a lower-case word ("said Sun", "Trump's dominance"),
    // but for particles ("de", "van", "bin", "al-").
    while (b < f && IsLowerWord(doc.words[b])) t[b++] = kO;
    while (f > b && (IsLowerWord(doc.words[f - 1]) || IsPossessive(doc.words[f - 1]))) t[--f] = kO;
    if (b < f) t[b] = BeginTag(type);
    // Nor has one inside, but for function words ("Bank of America"): "Republican like
    // Barger" is two names.
    for (size_t k = b + 1; k + 1 < f; ++k) {
      if (IsLowerWord(doc.words[k]) && !IsLowerFunctionWord(doc.words[k])) {
        t[k] = kO;
        t[k + 1] = BeginTag(type);
      }
    }
    i = e;
  }
}

// Rewrites tags[b, e) as one span of `type`.
void SetSpan(std::vector<uint8_t>* tags, size_t b, size_t e, int type) {
  (*tags)[b] = BeginTag(type);
  for (size_t k = b + 1; k < e; ++k) (*tags)[k] = InsideTag(type);
  if (e < tags->size() && (*tags)[e] != kO && !TagIsBegin((*tags)[e]))
    (*tags)[e] = BeginTag(TagType((*tags)[e]));
}
}  // namespace

void PostProcess(const DocumentView& doc, const TaggerScratch& scratch, const Gazetteer* gazetteer,
                 std::vector<uint8_t>* tags) {
  std::vector<uint8_t>& t = *tags;
  const size_t n = t.size();
  TrimSpans(doc, tags);
  // 2. A lone hyphen inside a span separates two names ("DPRK-China", split by the tokenizer).
  for (size_t i = 1; i + 1 < n; ++i) {
    if (doc.words[i] != "-" || t[i] == kO || TagIsBegin(t[i])) continue;
    if (t[i + 1] == kO || TagIsBegin(t[i + 1])) continue;
    int type = TagType(t[i]);
    t[i] = kO;
    t[i + 1] = BeginTag(type);
  }
  // Headline-case sentences ("Foreign Minister Meets Chinese Vice FM") capitalise every word,
  // so capitals say nothing there about names.
  std::vector<uint8_t> headline(n, 0);
  for (size_t i = 0; i < n;) {
    size_t e = i + 1;
    while (e < n && !doc.sentence_start[e]) ++e;
    // Title case: every word but short function words capitalised ("Minister Meets Chinese
    // Vice FM in Pyongyang to Strengthen Ties"); a news sentence full of names still has
    // lower-case content words ("leader", "met").
    int words = 0;
    bool lower_content = false;
    for (size_t k = i; k < e; ++k) {
      if (!HasLower(doc.words[k]) && !StartsUpper(doc.words[k])) continue;
      ++words;
      if (!StartsUpper(doc.words[k]) && !IsLowerFunctionWord(doc.words[k])) lower_content = true;
    }
    if (words >= 4 && !lower_content) std::fill(headline.begin() + i, headline.begin() + e, 1);
    i = e;
  }
  // "the People's Palace of Culture": a capitalised untagged word and "'s" right before a name
  // belong to it ("China's Sun Weidong" is unaffected: "China" is tagged).
  for (size_t i = 2; i < n; ++i) {
    if (!TagIsBegin(t[i]) || !IsPossessive(doc.words[i - 1]) || t[i - 1] != kO ||
        t[i - 2] != kO || !StartsUpper(doc.words[i - 2]) || doc.sentence_start[i - 2] ||
        headline[i])
      continue;
    if (IsTitleWord(doc.words[i - 2])) continue;
    int type = TagType(t[i]);
    t[i - 2] = BeginTag(type);
    t[i - 1] = InsideTag(type);
    t[i] = InsideTag(type);
  }
  // 3. Titles: "Vice Foreign Minister Pak Myong-ho" -> the capitalised words after a run of
  // title words with an office in it are a person; the title is not part of any name.
  for (size_t i = 0; i < n;) {
    if (!IsTitleWord(doc.words[i])) {
      ++i;
      continue;
    }
    size_t e = i;
    bool office = false;
    while (e < n && (IsTitleWord(doc.words[e]) || (doc.words[e] == "of" && e > i))) {
      office |= IsOfficeWord(doc.words[e]);
      ++e;
    }
    size_t p = e;
    while (p < n && p < e + 4 && StartsUpper(doc.words[p]) && !IsTitleWord(doc.words[p]) &&
           HasLower(doc.words[p]) && !doc.sentence_start[p])
      ++p;
    if (!office || p == e || doc.words[e - 1] == "of" || headline[i]) {
      i = e;
      continue;
    }
    // The name must not be a known place or organisation ("President of Russia").
    const Gazetteer::Entry* g = nullptr;
    if (gazetteer && gazetteer->Match(doc.words, scratch.norm, e, &g) == static_cast<int>(p - e) &&
        g->type != GazType::kDemonym) {
      i = p;
      continue;
    }
    // Anything before the title in the same span keeps its type ("Chinese" MISC).
    for (size_t k = i; k < e; ++k) t[k] = kO;
    t[e] = BeginTag(0);
    for (size_t k = e + 1; k < p; ++k) t[k] = InsideTag(0);
    if (p < n && t[p] != kO && !TagIsBegin(t[p])) t[p] = BeginTag(TagType(t[p]));
    i = p;
  }
  // 4. A person span touching another name span ("Kim"/LOC + "Jong-un"/PER) is one person,
  // unless the other is a known place, organisation or nationality ("Russian" + "Sergei").
  for (size_t i = 0; i < n;) {
    if (t[i] == kO) {
      ++i;
      continue;
    }
    int type = TagType(t[i]);
    size_t e = i + 1;
    while (e < n && t[e] == InsideTag(type)) ++e;
    if (e < n && TagIsBegin(t[e]) && !doc.sentence_start[e]) {
      int next = TagType(t[e]);
      size_t f = e + 1;
      while (f < n && t[f] == InsideTag(next)) ++f;
      if ((type == 0) != (next == 0)) {
        size_t ob = type == 0 ? e : i, oe = type == 0 ? f : e;  // the non-person span
        const Gazetteer::Entry* g = nullptr;
        bool known = gazetteer && gazetteer->Match(doc.words, scratch.norm, ob, &g) > 0;
        bool cap = true;
        for (size_t k = ob; k < oe; ++k) cap &= StartsUpper(doc.words[k]);
        if (!known && cap && oe - ob <= 2) {
          SetSpan(tags, i, f, 0);
          i = f;
          continue;
        }
      }
    }
    i = e;
  }
  // 5. Organisations (and events, awards, works) by their head noun: a name ending in "University", "Council", "Party",
  // "Corps"... is an organisation, whatever type the tagger gave it, and an untagged
  // capitalised run ending in one is too ("Florida Department of Law Enforcement").
  for (size_t i = 0; i < n;) {
    if (!StartsUpper(doc.words[i]) || headline[i]) {
      ++i;
      continue;
    }
    // The capitalised run from i (inner "of", "for", "and", "the" allowed), at most 8 words.
    size_t e = i;
    size_t last_head = 0;  // end of the run's last head word (exclusive), 0 if none
    int head_type = 1;
    while (e < n && e < i + 8) {
      std::string_view w = doc.words[e];
      bool cap = StartsUpper(w) || (w.size() > 0 && w[0] >= '0' && w[0] <= '9');
      bool inner = e > i && (w == "of" || w == "for" || w == "the" || w == "&");
      if (!cap && !inner) break;
      if (e > i && doc.sentence_start[e]) break;
      ++e;
      if (cap && IsOrgHead(w)) {
        last_head = e;
        head_type = 1;
      } else if (cap && IsMiscHead(w)) {
        last_head = e;
        head_type = 3;
      }
    }
    // "Battle of Gettysburg", "Treaty of Versailles": events and documents.
    if (e > i + 2 && doc.words[i + 1] == "of" && IsMiscOpener(doc.words[i])) {
      last_head = e;
      head_type = 3;
    }
    if (last_head == 0 || last_head - i < 2) {
      i = std::max(e, i + 1);
      continue;
    }
    size_t b = i, f = last_head;
    // Spans may not cross the run's edges.
    bool enters = t[b] != kO && !TagIsBegin(t[b]);
    bool leaves = f < n && t[f] != kO && !TagIsBegin(t[f]);
    // Leave person and known place names at the run's start alone when they form a span of
    // their own that the head does not belong to ("Beijing" in "Beijing University" does).
    if (!enters && !leaves) SetSpan(tags, b, f, head_type);
    i = std::max(e, i + 1);
  }
  TrimSpans(doc, tags);
  if (!gazetteer) return;
  // 6. Names the tagger left out: two or three capitalised words mid-sentence, untagged, the
  // first a known given or family name and none a known place or organisation ("Pak Myong Ho").
  for (size_t i = 0; i < n;) {
    size_t e = i;
    while (e < n && e < i + 3 && t[e] == kO && StartsUpper(doc.words[e]) &&
           HasLower(doc.words[e]) && !doc.sentence_start[e] && !headline[e] &&
           !IsTitleWord(doc.words[e]) && !IsPossessive(doc.words[e]))
      ++e;
    // The word before may be capitalised only if it is an untagged word that is no name
    // (a misspelt title: "Vice Foreign Minster Pak Myong Ho").
    bool left_ok = i == 0 || doc.sentence_start[i] || !StartsUpper(doc.words[i - 1]) ||
                   (t[i - 1] == kO && scratch.names[i - 1] == 0);
    bool accepted = false;
    if (e - i >= 2 && (e == n || !StartsUpper(doc.words[e])) && scratch.names[i] != 0 && left_ok) {
      bool known = false;
      for (size_t k = i; k < e && !known; ++k) {
        const Gazetteer::Entry* g = nullptr;
        known = gazetteer->Match(doc.words, scratch.norm, k, &g) > 0;
      }
      if (!known) {
        SetSpan(tags, i, e, 0);
        accepted = true;
      }
    }
    i = accepted ? e : i + 1;
  }
  // 7. A lone word tagged as a person that the gazetteer knows as a place is the place
  // ("Melbourne"), unless the document uses it inside a longer person name.
  {
    std::vector<uint64_t> person_words;
    for (size_t i = 0; i + 1 < n; ++i) {
      if (TagType(t[i]) == 0 && TagType(t[i + 1]) == 0 && !TagIsBegin(t[i + 1])) {
        person_words.push_back(scratch.norm[i]);
        person_words.push_back(scratch.norm[i + 1]);
      }
    }
    std::sort(person_words.begin(), person_words.end());
    for (size_t i = 0; i < n; ++i) {
      if (!TagIsBegin(t[i]) || (i + 1 < n && t[i + 1] != kO && !TagIsBegin(t[i + 1]))) continue;
      const Gazetteer::Entry* g = nullptr;
      if (gazetteer->Match(doc.words, scratch.norm, i, &g) != 1) continue;
      if (g->type == GazType::kDemonym) {
        t[i] = kBMisc;  // "American", "Japanese": nationality words are MISC
        continue;
      }
      if (t[i] != kBPer || g->type != GazType::kLoc) continue;
      if (std::binary_search(person_words.begin(), person_words.end(), scratch.norm[i])) continue;
      t[i] = kBLoc;
    }
  }
  // 8. Gazetteer names the tagger split or half-found.
  for (size_t i = 0; i < n;) {
    const Gazetteer::Entry* entry = nullptr;
    int len = gazetteer->Match(doc.words, scratch.norm, i, &entry);
    if (len == 0) {
      ++i;
      continue;
    }
    size_t e = i + static_cast<size_t>(len);
    bool acronym = len == 1 && IsAllCaps(doc.words[i]);
    if (len >= 2 || acronym) {
      // Do the tagger's spans touching [i, e) stay inside it?
      bool inside = !(t[i] != kO && !TagIsBegin(t[i]));  // no span entering from the left
      if (e < n && t[e] != kO && !TagIsBegin(t[e])) inside = false;  // none leaving right
      bool any = false;
      for (size_t k = i; k < e; ++k) any |= t[k] != kO;
      int type = entry->type == GazType::kLoc ? 2 : entry->type == GazType::kOrg ? 1 : 3;
      if (inside && (any || len >= 2)) SetSpan(tags, i, e, type);
    }
    i = e;
  }
}

std::unique_ptr<Model> Train(const std::vector<TrainingDocument>& docs, const Gazetteer* gazetteer,
                             const TrainOptions& options) {
  auto model = std::make_unique<Model>();
  model->set_gazetteer(gazetteer);
  const size_t nw = static_cast<size_t>(Model::kBuckets) * kNumTags;
  std::vector<double> acc(nw, 0.0);
  std::vector<uint32_t> stamp(nw, 0);
  float* w = model->weights();
  uint64_t clock = 1;

  // Static features of every document, computed once.
  std::vector<std::vector<uint32_t>> feats(docs.size());
  std::vector<std::vector<uint64_t>> norms(docs.size());
  std::vector<std::vector<uint32_t>> shapes(docs.size());
  {
    TaggerScratch s;
    DocumentView view;
    for (size_t d = 0; d < docs.size(); ++d) {
      view.words.assign(docs[d].words.begin(), docs[d].words.end());
      view.sentence_start = docs[d].sentence_start;
      model->ComputeFeatures(view, &s);
      feats[d] = s.features;
      norms[d] = s.norm;
      shapes[d] = s.shape;
    }
  }
  auto update = [&](uint32_t bucket, int tag, float delta) {
    size_t idx = static_cast<size_t>(bucket) * kNumTags + tag;
    acc[idx] += static_cast<double>(clock - stamp[idx]) * w[idx];
    stamp[idx] = static_cast<uint32_t>(clock);
    w[idx] += delta;
  };
  std::vector<size_t> order(docs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(options.seed);
  TaggerScratch s;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    size_t errors = 0, total = 0;
    for (size_t d : order) {
      const auto& doc = docs[d];
      s.features.swap(feats[d]);
      s.norm.swap(norms[d]);
      s.shape.swap(shapes[d]);
      uint8_t prev = kO, prev2 = kO;
      for (size_t i = 0; i < doc.words.size(); ++i) {
        if (doc.sentence_start[i]) prev = prev2 = kO;
        float scores[kNumTags] = {0};
        model->Score(s, i, prev, prev2, scores);
        int best = kO;
        float best_score = -1e30f;
        for (int t = 0; t < kNumTags; ++t) {
          if (!Allowed(prev, static_cast<uint8_t>(t))) continue;
          if (scores[t] > best_score) {
            best_score = scores[t];
            best = t;
          }
        }
        const int gold = doc.tags[i];
        ++total;
        if (best != gold) {
          ++errors;
          const uint32_t* f = &s.features[i * Model::kStaticFeatures];
          for (int k = 0; k < Model::kStaticFeatures; ++k) {
            update(f[k], gold, 1.0f);
            update(f[k], best, -1.0f);
          }
          uint32_t dyn[8];
          int nd = model->DynamicFeatures(s, i, prev, prev2, dyn);
          for (int k = 0; k < nd; ++k) {
            update(dyn[k], gold, 1.0f);
            update(dyn[k], best, -1.0f);
          }
        }
        ++clock;
        prev2 = prev;
        prev = static_cast<uint8_t>(best);
      }
      s.features.swap(feats[d]);
      s.norm.swap(norms[d]);
      s.shape.swap(shapes[d]);
    }
    if (options.verbose) {
      std::fprintf(stderr, "epoch %d: token error rate %.4f (%zu tokens)\n", epoch + 1,
                   total ? static_cast<double>(errors) / total : 0.0, total);
    }
  }
  for (size_t idx = 0; idx < nw; ++idx) {
    double total = acc[idx] + static_cast<double>(clock - stamp[idx]) * w[idx];
    float avg = static_cast<float>(total / static_cast<double>(clock));
    w[idx] = std::fabs(avg) < 1e-4f ? 0.0f : avg;
  }
  return model;
}

void EnforceConsistency(const DocumentView& doc, std::vector<uint8_t>* tags) {
  const size_t n = doc.words.size();
  std::vector<uint8_t>& t = *tags;
  struct Stat {
    uint32_t len = 0;
    uint32_t votes[4] = {0, 0, 0, 0};
  };
  std::unordered_map<uint64_t, Stat> phrases;  // phrase hash -> type votes
  std::unordered_map<uint64_t, uint32_t> max_len_by_first;
  std::vector<uint64_t> norm(n);
  for (size_t i = 0; i < n; ++i) norm[i] = NormHash(doc.words[i]);
  auto add_hashes = [&](const std::vector<uint64_t>& hs, int type) {
    uint64_t h = hs[0];
    for (size_t k = 1; k < hs.size(); ++k) h = MixHash(h, hs[k]);
    auto& st = phrases[h];
    st.len = static_cast<uint32_t>(hs.size());
    st.votes[type]++;
    auto& m = max_len_by_first[hs[0]];
    m = std::max<uint32_t>(m, st.len);
  };
  std::vector<uint64_t> hs;
  auto add_phrase = [&](size_t b, size_t e, int type) {
    hs.assign(norm.begin() + b, norm.begin() + e);
    add_hashes(hs, type);
    if (type != 0) return;
    // Person names are also written with the given name's syllables hyphenated or spaced
    // ("Kim Jong-un" / "Kim Jong Un"): the other spelling is the same name.
    hs.clear();
    bool split = false;
    for (size_t k = b; k < e; ++k) {
      std::string w = NormalizeWord(doc.words[k]);
      size_t dash = w.find('-');
      if (dash != std::string::npos && dash > 0 && dash + 1 < w.size()) {
        hs.push_back(NormHash(w.substr(0, dash)));
        hs.push_back(NormHash(w.substr(dash + 1)));
        split = true;
      } else {
        hs.push_back(norm[k]);
      }
    }
    if (split) add_hashes(hs, type);
    if (e - b >= 3) {
      hs.assign(norm.begin() + b, norm.begin() + e - 2);
      hs.push_back(NormHash(NormalizeWord(doc.words[e - 2]) + "-" +
                            NormalizeWord(doc.words[e - 1])));
      add_hashes(hs, type);
    }
  };
  std::vector<std::pair<uint32_t, uint32_t>> per_parts;
  for (size_t i = 0; i < n;) {
    if (t[i] == kO) {
      ++i;
      continue;
    }
    int type = TagType(t[i]);
    size_t e = i + 1;
    while (e < n && t[e] == InsideTag(type)) ++e;
    bool caps = true;
    for (size_t k = i; k < e; ++k)
      if (!StartsUpper(doc.words[k]) && HasLower(doc.words[k]) && doc.words[k] != "of")
        caps = false;
    if (caps) add_phrase(i, e, type);
    if (type == 0 && e - i >= 2) per_parts.push_back({static_cast<uint32_t>(i),
                                                      static_cast<uint32_t>(e)});
    i = e;
  }
  // Name parts of multi-word person names ("Sun" of "Sun Weidong") count as person phrases.
  for (auto [b, e] : per_parts) {
    for (uint32_t k : {b, e - 1}) {
      std::string_view w = doc.words[k];
      if (w.size() < 2 || !StartsUpper(w) || IsAllCaps(w) || w.back() == '.') continue;
      uint64_t h = norm[k];
      auto& st = phrases[h];
      if (st.len == 0) st.len = 1;
      if (st.len == 1) st.votes[0]++;
      auto& m = max_len_by_first[h];
      m = std::max<uint32_t>(m, 1);
    }
  }
  if (phrases.empty()) return;
  auto majority = [](const Stat& st) {
    int best = 0;
    for (int k = 1; k < 4; ++k)
      if (st.votes[k] > st.votes[best]) best = k;
    return best;
  };
  // Re-tag: longest known phrase first at each capitalised position.
  for (size_t i = 0; i < n;) {
    auto mit = max_len_by_first.find(norm[i]);
    if (mit == max_len_by_first.end() || !StartsUpper(doc.words[i])) {
      ++i;
      continue;
    }
    size_t matched = 0;
    int type = -1;
    uint64_t h = 0;
    for (size_t k = i; k < n && k - i < mit->second; ++k) {
      h = k == i ? norm[k] : MixHash(h, norm[k]);
      auto pit = phrases.find(h);
      if (pit != phrases.end() && pit->second.len == k - i + 1) {
        matched = k - i + 1;
        type = majority(pit->second);
      }
    }
    if (matched == 0) {
      ++i;
      continue;
    }
    size_t e = i + matched;
    // Only fill untagged stretches or fix the type of an identical span; never cut into a
    // longer entity the tagger found.
    // Retag when no span the tagger found crosses the phrase's edges (spans inside it are
    // replaced: "Kim" + "Jong Un" untagged -> "Kim Jong Un"), and an untagged phrase right after
    // an entity is probably part of it, so it is left alone.
    bool all_o = true;
    for (size_t k = i; k < e; ++k) all_o &= t[k] == kO;
    bool enters = t[i] != kO && !TagIsBegin(t[i]);
    bool leaves = e < n && t[e] != kO && !TagIsBegin(t[e]);
    bool left_free = i == 0 || t[i - 1] == kO;
    if (!enters && !leaves && (!all_o || left_free)) {
      t[i] = BeginTag(type);
      for (size_t k = i + 1; k < e; ++k) t[k] = InsideTag(type);
    }
    i = e;
  }
}

}  // namespace newsflow::entities
