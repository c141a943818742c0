#include "stages/dedup/state_layout.h"

#include <cstring>

namespace newsflow::dedup {
namespace {

constexpr uint8_t kRecordVersion = 1;
constexpr size_t kPrefixLen = 8;  // "dedup/r/"

void PutBe(uint64_t v, int bytes, std::string* out) {
  char buf[8];
  for (int i = 0; i < bytes; ++i) buf[i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
  out->append(buf, static_cast<size_t>(bytes));
}

uint64_t GetBe(std::string_view s, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

template <class T>
void PutRaw(T v, std::string* out) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

void PutString(std::string_view s, std::string* out) {
  PutRaw<uint32_t>(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}

// A bounds-checked cursor over an encoded value.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  template <class T>
  bool Raw(T* v) {
    if (s_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, s_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool String(std::string* out) {
    uint32_t n = 0;
    if (!Raw(&n) || s_.size() - pos_ < n) return false;
    out->assign(s_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Keys(std::vector<uint32_t>* out) {
    uint32_t n = 0;
    if (!Raw(&n) || (s_.size() - pos_) / sizeof(uint32_t) < n) return false;
    out->resize(n);
    if (n) std::memcpy(out->data(), s_.data() + pos_, n * sizeof(uint32_t));
    pos_ += n * sizeof(uint32_t);
    return true;
  }
  bool Status(DedupStatus* st) {
    uint8_t v = 0;
    if (!Raw(&v) || v > static_cast<uint8_t>(DedupStatus::kPartialOverlap)) return false;
    *st = static_cast<DedupStatus>(v);
    return true;
  }
  bool done() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

void PutKeys(const std::vector<uint32_t>& keys, std::string* out) {
  PutRaw<uint32_t>(static_cast<uint32_t>(keys.size()), out);
  out->append(reinterpret_cast<const char*>(keys.data()), keys.size() * sizeof(uint32_t));
}

bool DecodeHead(Reader* r, ArticleRecord* out) {
  uint8_t version = 0;
  return r->Raw(&version) && version == kRecordVersion && r->Raw(&out->event_ms) &&
         r->Raw(&out->text_hash) && r->Raw(&out->shingles) && r->String(&out->id) &&
         r->Keys(&out->samples);
}

// "dedup/<kind>/" + be32(bucket), or the key past the last bucket (BucketPrefix).
void AppendBucketPrefix(char kind, uint64_t bucket, std::string* k) {
  k->append("dedup/");
  k->push_back(kind);
  // Past the last bucket: "dedup/<kind>0" ('0' follows '/') sorts after every key of the kind.
  if (bucket > UINT32_MAX) {
    k->push_back('0');
    return;
  }
  k->push_back('/');
  PutBe(bucket, 4, k);
}

}  // namespace

std::string BucketPrefix(char kind, uint64_t bucket) {
  std::string k;
  AppendBucketPrefix(kind, bucket, &k);
  return k;
}

std::string ArticleKey(char kind, uint32_t bucket, uint64_t id_hash) {
  // One allocation: a key is built per verification read, and a string grown byte by byte
  // cost more than the read's key comparisons.
  std::string k;
  k.reserve(kPrefixLen + 4 + 8);
  AppendBucketPrefix(kind, bucket, &k);
  PutBe(id_hash, 8, &k);
  return k;
}

bool ParseArticleKey(std::string_view key, uint32_t* bucket, uint64_t* id_hash) {
  if (key.size() != kPrefixLen + 12 || key.substr(0, 6) != "dedup/") return false;
  *bucket = static_cast<uint32_t>(GetBe(key.substr(kPrefixLen), 4));
  *id_hash = GetBe(key.substr(kPrefixLen + 4), 8);
  return true;
}

std::string EncodeU64(uint64_t v) {
  std::string s;
  PutBe(v, 8, &s);
  return s;
}

std::optional<uint64_t> DecodeU64(std::string_view v) {
  if (v.size() != 8) return std::nullopt;
  return GetBe(v, 8);
}

std::string EncodeRecord(const ArticleRecord& r) {
  std::string out;
  out.reserve(64 + r.id.size() + r.samples.size() * 4);
  PutRaw<uint8_t>(kRecordVersion, &out);
  PutRaw(r.event_ms, &out);
  PutRaw(r.text_hash, &out);
  PutRaw(r.shingles, &out);
  PutString(r.id, &out);
  PutKeys(r.samples, &out);
  const DedupResult& v = r.verdict;
  PutRaw(static_cast<uint8_t>(v.status), &out);
  PutString(v.of, &out);
  PutRaw(v.similarity, &out);
  PutRaw(v.containment, &out);
  PutRaw(static_cast<uint8_t>(v.matches.size()), &out);
  for (const DedupMatch& m : v.matches) {
    PutString(m.id, &out);
    PutRaw(static_cast<uint8_t>(m.status), &out);
    PutRaw(m.similarity, &out);
    PutRaw(m.containment, &out);
  }
  return out;
}

bool DecodeRecordForMatch(std::string_view v, ArticleRecord* out) {
  Reader r(v);
  return DecodeHead(&r, out);
}

bool DecodeRecord(std::string_view v, ArticleRecord* out) {
  Reader r(v);
  if (!DecodeHead(&r, out)) return false;
  DedupResult& d = out->verdict;
  uint8_t n = 0;
  if (!r.Status(&d.status) || !r.String(&d.of) || !r.Raw(&d.similarity) || !r.Raw(&d.containment) ||
      !r.Raw(&n)) {
    return false;
  }
  d.matches.resize(n);
  for (DedupMatch& m : d.matches) {
    if (!r.String(&m.id) || !r.Status(&m.status) || !r.Raw(&m.similarity) ||
        !r.Raw(&m.containment)) {
      return false;
    }
  }
  return r.done();
}

std::string EncodeIndexEntry(const IndexEntry& e) {
  std::string out;
  PutRaw(e.text_hash, &out);
  PutKeys(e.keys, &out);
  if (!e.check.empty()) PutKeys(e.check, &out);
  return out;
}

bool DecodeIndexEntry(std::string_view v, IndexEntry* out) {
  Reader r(v);
  if (!r.Raw(&out->text_hash) || !r.Keys(&out->keys)) return false;
  out->check.clear();
  return r.done() || (r.Keys(&out->check) && r.done());
}

}  // namespace newsflow::dedup
