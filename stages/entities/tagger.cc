#include "stages/entities/tagger.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <random>

#include <sys/mman.h>

#include "common/hash.h"
#include "stages/entities/words.h"

// XXH3 inlined into this file: the tagger hashes ~11 short strings per token, and the same
// function through the shared library is a call each (same values as common/hash.h's Hash64).
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace newsflow::entities {
namespace {

inline uint64_t FastHash(std::string_view s, uint64_t seed) {
  return XXH3_64bits_withSeed(s.data(), s.size(), seed);
}
constexpr uint64_t kNormSeed = 0x6e6f726d;  // NormHash()'s seed (words.cc)

// Word-list bits per token (TaggerScratch::lex), so that the post-processing rules test a
// token's membership in a list with one bit instead of normalising and comparing strings.
constexpr uint8_t kLexTitle = 1;      // in kTitleWords
constexpr uint8_t kLexOffice = 2;     // in kOfficeWords
constexpr uint8_t kLexOrgHead = 4;    // in kOrgHeads
constexpr uint8_t kLexMiscHead = 8;   // in kMiscHeads
constexpr uint8_t kLexUpper = 16;     // StartsUpper
constexpr uint8_t kLexHasLower = 32;  // HasLower
constexpr uint8_t kLexPlain = 64;     // IsPlainWord: Tag() may skip it after an O

// A word with no capital letter and no letter outside ASCII: lower-case ASCII words,
// punctuation, numbers, and the punctuation of U+2000-U+2FFF (curly quotes, dashes), whose
// UTF-8 lead byte is 0xE2. After an O, and not followed by a capitalised word in its sentence,
// the model practically never starts a name at such a token (stages/entities/README.md,
// "Tokens the tagger skips").
bool IsPlainWord(std::string_view w) {
  for (char c : w) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 'A' && u <= 'Z') return false;
    if (u >= 0xC0 && u != 0xE2) return false;  // the lead byte of another non-ASCII character
  }
  return true;
}

// Titles before a name ("Vice Foreign Minister", "U.S. national security adviser").
constexpr std::string_view kTitleWords[] = {
    "president", "vice", "foreign", "minister", "premier", "prime", "secretary", "comrade",
    "mr", "mrs", "ms", "dr", "senator", "sen", "governor", "gov", "chairman", "chairwoman",
    "ambassador", "adviser", "advisor", "spokesman", "spokeswoman", "spokesperson", "fm",
    "leader", "chancellor", "envoy", "deputy", "defense", "defence", "national", "security",
    "affairs", "state", "interior", "finance", "trade", "chief", "general", "executive",
    "ceo", "pope", "king", "queen", "prince", "princess", "mayor", "judge", "justice",
    "councillor", "party", "official", "director", "head", "commander", "gen", "lt", "col",
    "sgt", "capt", "adm", "rep", "representative", "lawmaker", "coach", "diplomat", "top",
    "counterpart", "ruling"};
// The office words among them: a run of title words names an office only with one of these
// ("Foreign Ministry" and "General Motors" do not).
constexpr std::string_view kOfficeWords[] = {
    "president", "minister", "premier", "secretary", "comrade", "mr", "mrs", "ms", "dr",
    "senator", "sen", "governor", "gov", "chairman", "chairwoman", "ambassador", "adviser",
    "advisor", "spokesman", "spokeswoman", "spokesperson", "fm", "leader", "chancellor",
    "envoy", "ceo", "pope", "mayor", "judge", "councillor", "official", "commander", "gen",
    "lt", "col", "sgt", "capt", "adm", "rep", "lawmaker", "diplomat", "counterpart"};
// Head nouns of organisation names.
constexpr std::string_view kOrgHeads[] = {
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
// Head nouns of events, awards and other MISC names ("Grey Cup", "Cold War").
constexpr std::string_view kMiscHeads[] = {
    "award", "awards", "cup", "bowl", "festival", "prize", "championship", "championships",
    "games", "olympics", "war", "revolution", "uprising", "act", "treaty", "accord",
    "accords", "tournament", "trophy", "open", "grand", "prix", "expo", "summit"};

// The list bits of a normalised word (`norm` is its hash), found by hash and confirmed by text.
// A small open-addressing table (about 200 words in 512 slots): this runs once per token.
uint8_t LexBits(uint64_t norm, std::string_view nw) {
  struct Slot {
    uint64_t key = 0;
    std::string_view word;  // empty: free slot
    uint8_t bits = 0;
  };
  static constexpr size_t kSlots = 512;
  struct Lists {
    std::array<Slot, kSlots> slots{};
    Lists() {
      auto add = [&](const auto& words, uint8_t bit) {
        for (std::string_view w : words) {
          const uint64_t key = FastHash(w, kNormSeed);
          size_t i = key & (kSlots - 1);
          while (!slots[i].word.empty() && slots[i].word != w) i = (i + 1) & (kSlots - 1);
          slots[i].key = key;
          slots[i].word = w;
          slots[i].bits |= bit;
        }
      };
      add(kTitleWords, kLexTitle);
      add(kOfficeWords, kLexOffice);
      add(kOrgHeads, kLexOrgHead);
      add(kMiscHeads, kLexMiscHead);
    }
  };
  static const Lists lists;
  for (size_t i = norm & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    const Slot& s = lists.slots[i];
    if (s.word.empty()) return 0;
    if (s.key == norm && s.word == nw) return s.bits;
  }
}

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
  *short_h = FastHash(std::string_view(s, ns), 7);
  *long_h = FastHash(std::string_view(l, std::min<size_t>(nl, 6)), 8);
}

static_assert(kNumTags == 9, "Model::Tag sums rows as 4 + 4 + 1 floats");
typedef float V4 __attribute__((vector_size(16)));

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

Model::Model() { Assemble({}, {}); }

void Model::FreeBlock::operator()(void* p) const { std::free(p); }

void Model::Assemble(const std::vector<uint32_t>& buckets, const std::vector<float>& rows) {
  std::vector<IndexWord> index(kBuckets / 64);
  for (uint32_t b : buckets) index[b >> 6].bits |= 1ULL << (b & 63);
  uint32_t rank = 0;
  for (IndexWord& w : index) {
    w.rank = rank;
    rank += PopCount(w.bits);
  }
  constexpr size_t kHugePage = 2u << 20;
  const size_t index_bytes = index.size() * sizeof(IndexWord);
  const size_t bytes = (index_bytes + rows.size() * sizeof(float) + kHugePage - 1) /
                       kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, bytes);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without huge pages it works the same
#endif
  std::memcpy(p, index.data(), index_bytes);
  if (!rows.empty())
    std::memcpy(static_cast<char*>(p) + index_bytes, rows.data(), rows.size() * sizeof(float));
  block_.reset(p);
  index_ = static_cast<const IndexWord*>(p);
  weights_ = reinterpret_cast<const float*>(static_cast<const char*>(p) + index_bytes);
  num_rows_ = rows.size() / kNumTags;
  for (int p = 0; p < kNumTags; ++p) {
    prev_rows_[p] = Row(Bucket(40, p));
    for (int p2 = 0; p2 < kNumTags; ++p2) prev2_rows_[p2][p] = Row(Bucket(41, p2 * 16 + p));
  }
}

Result<std::unique_ptr<Model>> Model::Load(const std::string& path, const Gazetteer* gazetteer) {
  // The whole file in one read: its hash names the model (file_hash()), and the rows are
  // parsed from the same bytes.
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return MakeError("cannot open model " + path, "io");
  std::string file(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
  in.seekg(0);
  in.read(file.data(), static_cast<std::streamsize>(file.size()));
  file.resize(static_cast<size_t>(in.gcount()));
  constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;
  char magic[8];
  uint32_t log2 = 0, ntags = 0;
  uint64_t rows = 0;
  if (file.size() >= kHeaderBytes) {
    std::memcpy(magic, file.data(), 8);
    std::memcpy(&log2, file.data() + 8, 4);
    std::memcpy(&ntags, file.data() + 12, 4);
    std::memcpy(&rows, file.data() + 16, 8);
  }
  if (file.size() < kHeaderBytes || std::memcmp(magic, kMagic, 8) != 0 ||
      log2 != kBucketsLog2 || ntags != kNumTags || rows > kBuckets) {
    return MakeError("model " + path + " is not a newsflow NER model of this version", "corrupt");
  }
  constexpr size_t kRowBytes = 4 + 4 * kNumTags;
  if (file.size() - kHeaderBytes < rows * kRowBytes) {
    return MakeError("model " + path + " is truncated", "corrupt");
  }
  const std::string_view buf(file.data() + kHeaderBytes, rows * kRowBytes);
  // Save() writes rows in bucket order; any other order is accepted (a later row of the same
  // bucket wins, as it did with a dense table).
  std::vector<std::pair<uint32_t, uint32_t>> order;  // bucket, row in file
  order.reserve(rows);
  for (uint64_t r = 0; r < rows; ++r) {
    uint32_t b;
    std::memcpy(&b, buf.data() + r * kRowBytes, 4);
    if (b >= kBuckets) return MakeError("model " + path + " has a bad row", "corrupt");
    order.emplace_back(b, static_cast<uint32_t>(r));
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  auto model = std::make_unique<Model>();
  std::vector<uint32_t> buckets;
  buckets.reserve(order.size());
  std::vector<float> weights;
  weights.reserve(order.size() * kNumTags);
  for (size_t k = 0; k < order.size(); ++k) {
    if (k + 1 < order.size() && order[k + 1].first == order[k].first) continue;
    float w[kNumTags];
    std::memcpy(w, buf.data() + static_cast<size_t>(order[k].second) * kRowBytes + 4, sizeof(w));
    buckets.push_back(order[k].first);
    weights.insert(weights.end(), w, w + kNumTags);
  }
  model->Assemble(buckets, weights);
  model->gazetteer_ = gazetteer;
  model->file_hash_ = Hash64(file);
  return model;
}

std::unique_ptr<Model> Model::FromDense(const std::vector<float>& dense,
                                        const Gazetteer* gazetteer) {
  auto model = std::make_unique<Model>();
  std::vector<uint32_t> buckets;
  std::vector<float> weights;
  for (uint32_t b = 0; b < kBuckets; ++b) {
    const float* w = &dense[static_cast<size_t>(b) * kNumTags];
    bool nz = false;
    for (int t = 0; t < kNumTags; ++t) nz |= w[t] != 0.0f;
    if (!nz) continue;
    buckets.push_back(b);
    weights.insert(weights.end(), w, w + kNumTags);
  }
  model->Assemble(buckets, weights);
  model->gazetteer_ = gazetteer;
  return model;
}

Status Model::Save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return MakeError("cannot write model " + path, "io");
  uint64_t rows = 0;
  for (uint32_t b = 0; b < kBuckets; ++b) {
    const float* w = Row(b);
    if (w == nullptr) continue;
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
    const float* w = Row(b);
    if (w == nullptr) continue;
    bool nz = false;
    for (int t = 0; t < kNumTags; ++t) nz |= w[t] != 0.0f;
    if (!nz) continue;
    out.write(reinterpret_cast<const char*>(&b), 4);
    out.write(reinterpret_cast<const char*>(w), 4 * kNumTags);
  }
  if (!out) return MakeError("error writing model " + path, "io");
  return Status::Ok();
}

void Model::ComputeFeatures(const DocumentView& doc, TaggerScratch* s,
                            bool skip_plain) const {
  const size_t n = doc.words.size();
  s->norm.resize(n);
  s->exact.resize(n);
  s->shape.resize(n);
  s->long_shape.resize(n);
  s->lex.resize(n);
  s->gaz.assign(n, 0);
  s->names.assign(n, 0);
  s->doc_flags.assign(n, 0);
  // Only grown, never shrunk: resize() zeroes the part that grows (160 bytes a token after a
  // shorter document), and every slot a token's scoring reads is written below or by
  // WindowFeatures() first. The vector may be longer than n * kStaticFeatures.
  if (s->features.size() < n * kStaticFeatures) s->features.resize(n * kStaticFeatures);
  s->gaz_len.assign(n, 0);
  s->gaz_entry.assign(n, nullptr);
  s->gaz_source = gazetteer_;
  // Per word type (first token of each spelling): its hashes, word-list bits and the features
  // of the word alone (bias, word, shapes, prefixes, suffixes), from one normalisation of the
  // word; the later tokens of the type copy them.
  size_t cap = 16;
  while (cap < 2 * n) cap <<= 1;
  s->type_slots.assign(cap, 0);
  s->type_of.resize(n);
  s->type_first.clear();
  for (size_t i = 0; i < n; ++i) {
    const std::string_view w = doc.words[i];
    const uint64_t exact = FastHash(w, 3);
    size_t h = exact & (cap - 1);
    for (; s->type_slots[h] != 0; h = (h + 1) & (cap - 1)) {
      const uint32_t first = s->type_first[s->type_slots[h] - 1];
      if (s->exact[first] == exact && doc.words[first] == w) break;
    }
    if (s->type_slots[h] != 0) {
      const uint32_t type = s->type_slots[h] - 1;
      const uint32_t first = s->type_first[type];
      s->type_of[i] = type;
      s->norm[i] = s->norm[first];
      s->exact[i] = exact;
      s->shape[i] = s->shape[first];
      s->long_shape[i] = s->long_shape[first];
      s->lex[i] = s->lex[first];
      std::memcpy(&s->features[i * kStaticFeatures], &s->features[first * kStaticFeatures],
                  kWordFeatures * sizeof(uint32_t));
      continue;
    }
    s->type_slots[h] = static_cast<uint32_t>(s->type_first.size() + 1);
    s->type_of[i] = static_cast<uint32_t>(s->type_first.size());
    s->type_first.push_back(static_cast<uint32_t>(i));
    char buf[96];
    const size_t len = NormalizeWord(w, buf, sizeof(buf));
    const std::string_view nw(buf, len);
    const uint64_t norm = FastHash(nw, kNormSeed);
    uint64_t sh, lh;
    Shapes(w, &sh, &lh);
    s->norm[i] = norm;
    s->exact[i] = exact;
    s->shape[i] = static_cast<uint32_t>(sh);
    s->long_shape[i] = lh;
    s->lex[i] = LexBits(norm, nw) | (StartsUpper(w) ? kLexUpper : 0) |
                (HasLower(w) ? kLexHasLower : 0) | (IsPlainWord(w) ? kLexPlain : 0);
    // The gazetteer pass below looks up every capitalised token: start loading its slot now,
    // a type's worth of work ahead (the table is larger than the cache).
    if (gazetteer_ && (s->lex[i] & kLexUpper)) gazetteer_->Prefetch(norm);
    uint32_t* f = &s->features[i * kStaticFeatures];
    f[0] = Bucket(0, 0);
    f[1] = Bucket(1, s->exact[i]);
    f[2] = Bucket(2, norm);
    f[3] = Bucket(3, static_cast<uint32_t>(sh));
    f[4] = Bucket(4, lh);
    for (size_t p = 1; p <= 3; ++p)
      f[4 + p] = Bucket(4 + p, FastHash(nw.substr(0, std::min(p, nw.size())), 11));
    for (size_t p = 1; p <= 4; ++p)
      f[7 + p] = Bucket(8 + p, FastHash(nw.substr(nw.size() - std::min(p, nw.size())), 12));
  }
  if (gazetteer_) {
    // Gazetteer matches at every capitalised token (PostProcess and grouping read them too),
    // and the B/I codes of the matches taken left to right, longest first.
    constexpr size_t kAhead = 8;  // the table is larger than the cache
    for (size_t i = 0; i < std::min(n, kAhead); ++i)
      if (s->lex[i] & kLexUpper) gazetteer_->Prefetch(s->norm[i]);
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n && (s->lex[i + kAhead] & kLexUpper))
        gazetteer_->Prefetch(s->norm[i + kAhead]);
      if (!(s->lex[i] & kLexUpper)) continue;
      s->names[i] = gazetteer_->NameBits(s->norm[i]);
      const Gazetteer::Entry* e = nullptr;
      const int len = gazetteer_->Match(doc.words, s->norm, i, &e);
      s->gaz_len[i] = static_cast<uint8_t>(len);
      s->gaz_entry[i] = e;
    }
    for (size_t i = 0; i < n;) {
      const int len = s->gaz_len[i];
      if (len == 0) {
        ++i;
        continue;
      }
      for (int k = 0; k < len; ++k) s->gaz[i + k] = GazCode(s->gaz_entry[i]->type, k > 0);
      i += len;
    }
  }
  // Document cues: is the word seen starting lower-case (bit 1) / capitalised mid-sentence
  // (bit 2) elsewhere. An open-addressing table of (normalised hash without its low two bits)
  // | bits; a slot with no bits set is empty.
  {
    size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    std::vector<uint64_t>& table = s->cue_keys;
    table.assign(cap, 0);
    const size_t mask = cap - 1;
    for (size_t i = 0; i < n; ++i) {
      std::string_view w = doc.words[i];
      uint64_t bit = 0;
      if (!w.empty() && w[0] >= 'a' && w[0] <= 'z') bit = 1;
      else if ((s->lex[i] & kLexUpper) && !doc.sentence_start[i]) bit = 2;
      if (!bit) continue;
      const uint64_t key = s->norm[i] & ~3ULL;
      for (size_t h = (key >> 2) & mask;; h = (h + 1) & mask) {
        if ((table[h] & 3) == 0) {
          table[h] = key | bit;
          break;
        }
        if ((table[h] & ~3ULL) == key) {
          table[h] |= bit;
          break;
        }
      }
    }
    for (size_t i = 0; i < n; ++i) {
      const uint64_t key = s->norm[i] & ~3ULL;
      uint8_t f = 0;
      for (size_t h = (key >> 2) & mask; (table[h] & 3) != 0; h = (h + 1) & mask) {
        if ((table[h] & ~3ULL) == key) {
          f = static_cast<uint8_t>(table[h] & 3);
          break;
        }
      }
      s->doc_flags[i] = f;
    }
  }
  // Capitalised runs: length and position of each token in its run of capitalised words.
  std::vector<uint8_t>& run_code = s->run_code;
  run_code.assign(n, 0);
  for (size_t i = 0; i < n;) {
    if (!(s->lex[i] & kLexUpper)) {
      ++i;
      continue;
    }
    size_t e = i + 1;
    while (e < n && (s->lex[e] & kLexUpper) && !doc.sentence_start[e]) ++e;
    size_t len = std::min<size_t>(e - i, 4);
    for (size_t k = i; k < e; ++k) {
      size_t pos = k == i ? 0 : (k + 1 == e ? 2 : 1);
      run_code[k] = static_cast<uint8_t>(1 + len * 3 + pos);
    }
    i = e;
  }
  // Window features, within the sentence. With `skip_plain`, not for the tokens Tag() may
  // skip (`lazy`): it computes them with WindowFeatures() if it scores such a token after all.
  s->lazy.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (skip_plain && (s->lex[i] & kLexPlain) &&
        !(i + 1 < n && !doc.sentence_start[i + 1] && (s->lex[i + 1] & kLexUpper))) {
      s->lazy[i] = 1;
      continue;
    }
    WindowFeatures(doc, s, i);
  }
}

void Model::WindowFeatures(const DocumentView& doc, TaggerScratch* s, size_t i) const {
  const size_t n = doc.words.size();
  // Neighbours outside the sentence read as its boundary: i - 1 and i - 2 are before it when a
  // sentence starts at i (or at i - 1); i + 1 and i + 2 are after it when one starts there.
  const bool start_at_i = doc.sentence_start[i] != 0;
  const bool before1 = i < 1 || start_at_i;
  const bool before2 = i < 2 || start_at_i || doc.sentence_start[i - 1];
  const bool after1 = i + 1 >= n || doc.sentence_start[i + 1];
  const bool after2 = after1 || i + 2 >= n || doc.sentence_start[i + 2];
  auto at = [&](long d, uint64_t bos, uint64_t eos, auto get) -> uint64_t {
    if (d == -1 && before1) return bos;
    if (d == -2 && before2) return bos;
    if (d == 1 && after1) return eos;
    if (d == 2 && after2) return eos;
    return get(static_cast<size_t>(static_cast<long>(i) + d));
  };
  auto norm_at = [&](long d) { return at(d, kBos, kEos, [&](size_t j) { return s->norm[j]; }); };
  auto shape_at = [&](long d) {
    return at(d, kBos, kEos, [&](size_t j) -> uint64_t { return s->shape[j]; });
  };
  auto names_at = [&](long d) {
    return at(d, 100, 101, [&](size_t j) -> uint64_t { return s->names[j]; });
  };
  auto gaz_at = [&](long d) {
    return at(d, 100, 101, [&](size_t j) -> uint64_t { return s->gaz[j]; });
  };
  const std::vector<uint8_t>& run_code = s->run_code;
  uint32_t* f = &s->features[i * kStaticFeatures];
  int k = kWordFeatures;
  const uint64_t w = s->norm[i];
  const uint64_t sh = s->shape[i];
  const uint64_t prev_norm = norm_at(-1), next_norm = norm_at(1);
  const uint64_t prev_shape = shape_at(-1), next_shape = shape_at(1);
  f[k++] = Bucket(13, prev_norm);
  f[k++] = Bucket(14, next_norm);
  f[k++] = Bucket(15, norm_at(-2));
  f[k++] = Bucket(16, norm_at(2));
  f[k++] = Bucket(17, prev_shape);
  f[k++] = Bucket(18, next_shape);
  f[k++] = Bucket(19, MixHash(prev_norm, w));
  f[k++] = Bucket(20, MixHash(w, next_norm));
  f[k++] = Bucket(21, MixHash(doc.sentence_start[i], sh));
  f[k++] = Bucket(22, s->gaz[i]);
  f[k++] = Bucket(23, gaz_at(-1));
  f[k++] = Bucket(24, gaz_at(1));
  f[k++] = Bucket(25, MixHash(s->gaz[i], sh));
  f[k++] = Bucket(26, MixHash(s->doc_flags[i] + 16 * doc.sentence_start[i], sh));
  f[k++] = Bucket(27, MixHash(MixHash(prev_shape, sh), next_shape));
  f[k++] = Bucket(28, MixHash(w, doc.sentence_start[i]));
  f[k++] = Bucket(29, MixHash(prev_shape, sh));
  f[k++] = Bucket(30, MixHash(sh, next_shape));
  f[k++] = Bucket(31, MixHash(gaz_at(-1), s->gaz[i]));
  f[k++] = Bucket(32, MixHash(prev_norm, sh));
  f[k++] = Bucket(33, MixHash(sh, next_norm));
  f[k++] = Bucket(34, s->names[i]);
  f[k++] = Bucket(35, MixHash(names_at(-1), s->names[i]));
  f[k++] = Bucket(36, MixHash(s->names[i], names_at(1)));
  f[k++] = Bucket(37, MixHash(s->names[i], sh));
  f[k++] = Bucket(38, MixHash(run_code[i], doc.sentence_start[i]));
  while (k < kStaticFeatures) f[k++] = Bucket(63, 0);  // padding: same bias-like bucket
}

int Model::DynamicFeatures(const TaggerScratch& s, size_t i, uint8_t prev, uint8_t prev2,
                           uint32_t* out) const {
  out[0] = Bucket(40, prev);
  out[1] = Bucket(41, prev2 * 16 + prev);
  out[2] = Bucket(42, MixHash(prev, s.norm[i]));
  out[3] = Bucket(43, MixHash(prev, s.shape[i]));
  return 4;
}

bool Model::HasPopcnt() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("popcnt");
  return has;
#else
  return false;
#endif
}

void Model::Tag(const DocumentView& doc, TaggerScratch* scratch, std::vector<uint8_t>* tags,
                bool score_every_token) const {
  if (HasPopcnt()) {
    TagWith<true>(doc, scratch, tags, score_every_token);
  } else {
    TagWith<false>(doc, scratch, tags, score_every_token);
  }
}

template <bool kPopcnt>
void Model::TagWith(const DocumentView& doc, TaggerScratch* scratch, std::vector<uint8_t>* tags,
                    bool score_every_token) const {
  ComputeFeatures(doc, scratch, !score_every_token);
  const size_t n = doc.words.size();
  tags->assign(n, kO);
  // The rows of a token's static features and of its previous-tag x word feature (for the
  // previous tag O) are looked up and prefetched kAhead tokens early, so that their
  // cache misses overlap with the work on earlier tokens instead of stalling the greedy
  // decoder. Scores are summed in the same order as in training (static features, then the
  // dynamic ones); absent rows are all zero and adding them would not change a sum.
  constexpr size_t kAhead = 6;
  constexpr size_t kRing = 8;  // > kAhead
  // The word features' rows (features 0-11) are summed once per word type and that partial
  // sum is kept: the type's later tokens start from it. Adding in the same order from the
  // same partial sum gives the same floats.
  //
  // A token ComputeFeatures() left `lazy` (a plain word not followed by a capitalised word in
  // its sentence) is tagged O without scoring when the previous tag is O; it is looked up and
  // scored only after a name (README, "Tokens the tagger skips").
  struct Resolved {
    const float* rows[kStaticFeatures];
    int word_count;  // rows[0, word_count): word feature rows (when sum_type)
    int count;
    bool sum_type;             // this token sums its type's word features and keeps the sum
    const float* word_prev_o;  // row of Bucket(42, MixHash(kO, norm))
  };
  Resolved ring[kRing];
  const size_t types = scratch->type_first.size();
  scratch->type_sum.resize(types * kNumTags);
  // Per type: 1 once a resolved token is going to sum its word features (resolve() runs in
  // token order, ahead of the decoder), 2 once the sum is stored.
  scratch->type_state.assign(types, 0);
  auto prefetch_row = [](const float* r) {
    __builtin_prefetch(r);
    __builtin_prefetch(r + kNumTags - 1);
  };
  auto resolve = [&](size_t j) {
    Resolved& r = ring[j % kRing];
    int c = 0;
    if (scratch->lazy[j]) {
      r.sum_type = false;
      r.word_count = r.count = 0;
      r.word_prev_o = nullptr;
      return;
    }
    const uint32_t* f = &scratch->features[j * kStaticFeatures];
    uint8_t& state = scratch->type_state[scratch->type_of[j]];
    r.sum_type = state == 0;
    if (r.sum_type) {
      state = 1;
      for (int k = 0; k < kWordFeatures; ++k) {
        const float* row = RowWith<kPopcnt>(f[k]);
        if (row == nullptr) continue;
        prefetch_row(row);
        r.rows[c++] = row;
      }
    }
    r.word_count = c;
    for (int k = kWordFeatures; k < kStaticFeatures; ++k) {
      const float* row = RowWith<kPopcnt>(f[k]);
      if (row == nullptr) continue;
      prefetch_row(row);
      r.rows[c++] = row;
    }
    r.count = c;
    // Most tokens follow an O: only that previous-tag x word row is fetched early.
    const float* row =
        RowWith<kPopcnt>(Bucket(42, MixHash(static_cast<uint64_t>(kO), scratch->norm[j])));
    if (row != nullptr) prefetch_row(row);
    r.word_prev_o = row;
  };
  for (size_t j = 0; j < std::min(kAhead, n); ++j) resolve(j);
  uint8_t prev = kO, prev2 = kO;
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) resolve(i + kAhead);
    if (doc.sentence_start[i]) prev = prev2 = kO;
    const bool lazy = scratch->lazy[i] != 0;
    if (lazy && prev == kO) {  // tagged O, as the assign above left it
      prev2 = prev;
      continue;
    }
    const Resolved& r = ring[i % kRing];
    const uint32_t* f = &scratch->features[i * kStaticFeatures];
    if (lazy) WindowFeatures(doc, scratch, i);  // a plain word after a name: score it
    // Tags 0-3 and 4-7 in two 4-lane vectors and tag 8 alone, in registers: the same
    // additions in the same order per tag as the scalar loop, without a store per addition.
    V4 lo = {0, 0, 0, 0}, hi = {0, 0, 0, 0};
    float last = 0;
    auto add = [&](const float* w) {
      V4 a, b;
      std::memcpy(&a, w, sizeof(a));
      std::memcpy(&b, w + 4, sizeof(b));
      lo += a;
      hi += b;
      last += w[8];
    };
    auto add_bucket = [&](uint32_t bucket) {
      if (const float* w = RowWith<kPopcnt>(bucket)) add(w);
    };
    const uint32_t type = scratch->type_of[i];
    float* type_sum = &scratch->type_sum[type * kNumTags];
    uint8_t& state = scratch->type_state[type];
    if (r.sum_type || (lazy && state != 2)) {
      if (lazy) {
        for (int k = 0; k < kWordFeatures; ++k) add_bucket(f[k]);
      } else {
        for (int k = 0; k < r.word_count; ++k) add(r.rows[k]);
      }
      std::memcpy(type_sum, &lo, sizeof(lo));
      std::memcpy(type_sum + 4, &hi, sizeof(hi));
      type_sum[8] = last;
      state = 2;
    } else {
      std::memcpy(&lo, type_sum, sizeof(lo));
      std::memcpy(&hi, type_sum + 4, sizeof(hi));
      last = type_sum[8];
    }
    if (lazy) {
      for (int k = kWordFeatures; k < kStaticFeatures; ++k) add_bucket(f[k]);
    } else {
      for (int k = r.word_count; k < r.count; ++k) add(r.rows[k]);
    }
    const float* dyn[4] = {
        prev_rows_[prev], prev2_rows_[prev2][prev],
        prev == kO ? r.word_prev_o
                   : RowWith<kPopcnt>(Bucket(42, MixHash(prev, scratch->norm[i]))),
        RowWith<kPopcnt>(Bucket(43, MixHash(prev, scratch->shape[i])))};
    for (const float* w : dyn)
      if (w != nullptr) add(w);
    float scores[kNumTags];
    std::memcpy(scores, &lo, sizeof(lo));
    std::memcpy(scores + 4, &hi, sizeof(hi));
    scores[8] = last;
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
                        std::vector<uint8_t>* tags, bool consistency,
                        bool score_every_token) const {
  Tag(doc, scratch, tags, score_every_token);
  PostProcess(doc, *scratch, gazetteer_, tags);
  if (consistency) EnforceConsistency(doc, scratch->norm, tags);
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

bool IsMiscOpener(std::string_view w) {
  return w == "Battle" || w == "Siege" || w == "Treaty" || w == "Siege" || w == "Congress" ||
         w == "Peace";
}

// Lower-case function words never start or end a name ("delegation of", "to Strengthen").
bool IsLowerFunctionWord(std::string_view w) {
  if (w.empty() || w.size() > 4 || w[0] < 'a' || w[0] > 'z') return false;  // most words
  // "of", "the", "and", "to", "in", "on", "for", "with", "at", "by", "from", "a", "an", "or",
  // "as", "vs", compared by length first: PostProcess asks this of most tokens.
  switch (w.size()) {
    case 1:
      return w[0] == 'a';
    case 2: {
      static constexpr std::string_view kTwo[] = {"of", "to", "in", "on", "at",
                                                  "by", "an", "or", "as", "vs"};
      for (auto k : kTwo)
        if (w[0] == k[0] && w[1] == k[1]) return true;
      return false;
    }
    case 3:
      return w == "the" || w == "and" || w == "for";
    default:
      return w == "with" || w == "from";
  }
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
  const std::vector<uint8_t>& lex = scratch.lex;
  // Gazetteer matches were computed once per token by ComputeFeatures.
  const bool cached = gazetteer == scratch.gaz_source && scratch.gaz_len.size() == n;
  auto match = [&](size_t i, const Gazetteer::Entry** e) -> int {
    if (!cached) return gazetteer->Match(doc.words, scratch.norm, i, e);
    if (i >= n) {
      *e = nullptr;
      return 0;
    }
    *e = scratch.gaz_entry[i];
    return scratch.gaz_len[i];
  };
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
    // The first lower-case content word settles it: the rest of the sentence is not read.
    int words = 0;
    bool lower_content = false;
    for (size_t k = i; k < e && !lower_content; ++k) {
      if (!(lex[k] & kLexHasLower) && !(lex[k] & kLexUpper)) continue;
      ++words;
      if (!(lex[k] & kLexUpper) && !IsLowerFunctionWord(doc.words[k])) lower_content = true;
    }
    if (words >= 4 && !lower_content) std::fill(headline.begin() + i, headline.begin() + e, 1);
    i = e;
  }
  // "the People's Palace of Culture": a capitalised untagged word and "'s" right before a name
  // belong to it ("China's Sun Weidong" is unaffected: "China" is tagged).
  for (size_t i = 2; i < n; ++i) {
    if (!TagIsBegin(t[i]) || !IsPossessive(doc.words[i - 1]) || t[i - 1] != kO ||
        t[i - 2] != kO || !(lex[i - 2] & kLexUpper) || doc.sentence_start[i - 2] ||
        headline[i])
      continue;
    if ((lex[i - 2] & kLexTitle)) continue;
    int type = TagType(t[i]);
    t[i - 2] = BeginTag(type);
    t[i - 1] = InsideTag(type);
    t[i] = InsideTag(type);
  }
  // 3. Titles: "Vice Foreign Minister Pak Myong-ho" -> the capitalised words after a run of
  // title words with an office in it are a person; the title is not part of any name.
  for (size_t i = 0; i < n;) {
    if (!(lex[i] & kLexTitle)) {
      ++i;
      continue;
    }
    size_t e = i;
    bool office = false;
    while (e < n && ((lex[e] & kLexTitle) || (doc.words[e] == "of" && e > i))) {
      office |= (lex[e] & kLexOffice) != 0;
      ++e;
    }
    size_t p = e;
    while (p < n && p < e + 4 && (lex[p] & kLexUpper) && !(lex[p] & kLexTitle) &&
           (lex[p] & kLexHasLower) && !doc.sentence_start[p])
      ++p;
    if (!office || p == e || doc.words[e - 1] == "of" || headline[i]) {
      i = e;
      continue;
    }
    // The name must not be a known place or organisation ("President of Russia").
    const Gazetteer::Entry* g = nullptr;
    if (gazetteer && match(e, &g) == static_cast<int>(p - e) &&
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
        bool known = gazetteer && match(ob, &g) > 0;
        bool cap = true;
        for (size_t k = ob; k < oe; ++k) cap &= (lex[k] & kLexUpper) != 0;
        if (!known && cap && oe - ob <= 2) {
          SetSpan(tags, i, f, 0);
          i = f;
          continue;
        }
      }
    }
    i = e;
  }
  // 5. Organisations (and events, awards, works) by their head noun: a name ending in
  // "University", "Council", "Party", "Corps"... is an organisation, whatever type the tagger
  // gave it, and an untagged capitalised run ending in one is too ("Florida Department of Law
  // Enforcement").
  for (size_t i = 0; i < n;) {
    if (!(lex[i] & kLexUpper) || headline[i]) {
      ++i;
      continue;
    }
    // The capitalised run from i (inner "of", "for", "and", "the" allowed), at most 8 words.
    size_t e = i;
    size_t last_head = 0;  // end of the run's last head word (exclusive), 0 if none
    int head_type = 1;
    while (e < n && e < i + 8) {
      std::string_view w = doc.words[e];
      bool cap = (lex[e] & kLexUpper) || (w.size() > 0 && w[0] >= '0' && w[0] <= '9');
      bool inner = e > i && (w == "of" || w == "for" || w == "the" || w == "&");
      if (!cap && !inner) break;
      if (e > i && doc.sentence_start[e]) break;
      const uint8_t bits = lex[e];
      ++e;
      if (cap && (bits & kLexOrgHead)) {
        last_head = e;
        head_type = 1;
      } else if (cap && (bits & kLexMiscHead)) {
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
    while (e < n && e < i + 3 && t[e] == kO && (lex[e] & kLexUpper) &&
           (lex[e] & kLexHasLower) && !doc.sentence_start[e] && !headline[e] &&
           !(lex[e] & kLexTitle) && !IsPossessive(doc.words[e]))
      ++e;
    // The word before may be capitalised only if it is an untagged word that is no name
    // (a misspelt title: "Vice Foreign Minster Pak Myong Ho").
    bool accepted = false;
    if (e - i >= 2 && (e == n || !(lex[e] & kLexUpper)) && scratch.names[i] != 0 &&
        (i == 0 || doc.sentence_start[i] || !(lex[i - 1] & kLexUpper) ||
         (t[i - 1] == kO && scratch.names[i - 1] == 0))) {
      bool known = false;
      for (size_t k = i; k < e && !known; ++k) {
        const Gazetteer::Entry* g = nullptr;
        known = match(k, &g) > 0;
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
      if (match(i, &g) != 1) continue;
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
    int len = match(i, &entry);
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
  // Training updates a dense table; the model keeps only its non-zero rows at the end.
  auto model = std::make_unique<Model>();
  model->set_gazetteer(gazetteer);
  const size_t nw = static_cast<size_t>(Model::kBuckets) * kNumTags;
  std::vector<float> dense(nw, 0.0f);
  std::vector<double> acc(nw, 0.0);
  std::vector<uint32_t> stamp(nw, 0);
  float* w = dense.data();
  uint64_t clock = 1;
  auto score = [&](const TaggerScratch& sc, size_t i, uint8_t prev, uint8_t prev2,
                   float* scores) {
    const uint32_t* f = &sc.features[i * Model::kStaticFeatures];
    for (int k = 0; k < Model::kStaticFeatures; ++k) {
      const float* row = &w[static_cast<size_t>(f[k]) * kNumTags];
      for (int t = 0; t < kNumTags; ++t) scores[t] += row[t];
    }
    uint32_t dyn[8];
    int nd = model->DynamicFeatures(sc, i, prev, prev2, dyn);
    for (int k = 0; k < nd; ++k) {
      const float* row = &w[static_cast<size_t>(dyn[k]) * kNumTags];
      for (int t = 0; t < kNumTags; ++t) scores[t] += row[t];
    }
  };

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
      feats[d].assign(s.features.begin(),
                      s.features.begin() + static_cast<long>(view.words.size()) *
                                               Model::kStaticFeatures);
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
        score(s, i, prev, prev2, scores);
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
  return Model::FromDense(dense, gazetteer);
}

namespace {

// A map from 64-bit hashes to small values in one array (open addressing, linear probing, at
// most half full) for the document pass: the std::unordered_map it replaces allocated a node
// per phrase and hashed every key again. Any key may be stored, 0 included.
template <typename T>
class HashMap64 {
 public:
  // The value of `key`, value-initialised when new (as std::unordered_map::operator[]).
  T& operator[](uint64_t key) {
    if (2 * (used_ + 1) > slots_.size()) Grow();
    Slot& s = slots_[Probe(key)];
    if (!s.used) {
      s.used = true;
      s.key = key;
      s.value = T{};
      ++used_;
    }
    return s.value;
  }
  const T* Find(uint64_t key) const {
    if (used_ == 0) return nullptr;
    const Slot& s = slots_[Probe(key)];
    return s.used ? &s.value : nullptr;
  }
  bool empty() const { return used_ == 0; }

 private:
  struct Slot {
    uint64_t key = 0;
    bool used = false;
    T value{};
  };
  // The key's slot, or the free slot where it would go.
  size_t Probe(uint64_t key) const {
    const size_t mask = slots_.size() - 1;
    size_t i = static_cast<size_t>((key ^ (key >> 31)) * 0x9E3779B97F4A7C15ULL >> 20) & mask;
    while (slots_[i].used && slots_[i].key != key) i = (i + 1) & mask;
    return i;
  }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(old.empty() ? 64 : 2 * old.size());
    for (const Slot& o : old)
      if (o.used) slots_[Probe(o.key)] = o;
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

}  // namespace

void EnforceConsistency(const DocumentView& doc, std::vector<uint8_t>* tags) {
  std::vector<uint64_t> norm(doc.words.size());
  for (size_t i = 0; i < norm.size(); ++i) norm[i] = NormHash(doc.words[i]);
  EnforceConsistency(doc, norm, tags);
}

void EnforceConsistency(const DocumentView& doc, const std::vector<uint64_t>& norm,
                        std::vector<uint8_t>* tags) {
  const size_t n = doc.words.size();
  std::vector<uint8_t>& t = *tags;
  struct Stat {
    uint32_t len = 0;
    uint32_t votes[4] = {0, 0, 0, 0};
  };
  HashMap64<Stat> phrases;  // phrase hash -> type votes
  HashMap64<uint32_t> max_len_by_first;
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
    if (!StartsUpper(doc.words[i])) {  // cheaper than the map: test it first
      ++i;
      continue;
    }
    const uint32_t* max_len = max_len_by_first.Find(norm[i]);
    if (max_len == nullptr) {
      ++i;
      continue;
    }
    size_t matched = 0;
    int type = -1;
    uint64_t h = 0;
    for (size_t k = i; k < n && k - i < *max_len; ++k) {
      h = k == i ? norm[k] : MixHash(h, norm[k]);
      const Stat* st = phrases.Find(h);
      if (st != nullptr && st->len == k - i + 1) {
        matched = k - i + 1;
        type = majority(*st);
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
