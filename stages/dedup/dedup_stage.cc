#include "stages/dedup/dedup_stage.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "common/hash.h"
#include "common/time.h"
#include "stages/dedup/lsh_index.h"
#include "stages/dedup/record_cache.h"
#include "stages/dedup/shingles.h"
#include "stages/dedup/state_layout.h"
#include "state/store.h"

namespace newsflow {
namespace {

using dedup::ArticleKey;
using dedup::ArticleRecord;
using dedup::BucketPrefix;
using dedup::Candidate;
using dedup::IndexEntry;
using dedup::kIndexKind;
using dedup::kRecordKind;
using dedup::Signature;
using dedup::SignatureBuilder;

constexpr std::string_view kStateError = "state_error";
constexpr std::string_view kInternalError = "internal_error";
constexpr int64_t kHourMs = 3600 * 1000;
constexpr uint64_t kPastLastBucket = uint64_t{UINT32_MAX} + 1;

struct DedupOptions {
  // Words per shingle. Range [2, 12]. Default: 4.
  int shingle_words = 4;
  // Smallest shingle keys indexed per article (bottom-k sketch; LSH keys). Range [4, 64].
  // Default: 16.
  int index_keys = 16;
  // Smallest shingle keys looked up per article; more than are indexed, so that a short indexed
  // article inside a long new one is found. Range [4, 256], at least index_keys. Default: 48.
  int query_keys = 48;
  // Per indexed article, 16-bit fingerprints of its first (smallest) this many verification
  // samples are kept in memory (2 bytes each). A candidate that shares only one indexed key is
  // read and verified only when at least check_matches of these are among the query's samples
  // too: one shared shingle is what unrelated texts have by chance, while a real overlap of
  // share c leaves each check sample in the query with probability ~c, whatever the two texts'
  // lengths. A candidate with fewer check samples (a short text) is always verified. 0 turns
  // the check off. Range [0, 64]. Default: 24.
  int check_samples = 24;
  // Check samples that must be among the query's for a one-key candidate to be verified.
  // Range [1, 64], at most check_samples. Default: 2.
  int check_matches = 2;
  // Verification keeps 1 in sample_rate shingle keys per article (a power of two). Range
  // [1, 64]. Default: 4 (a 5 KB text keeps ~210 samples, ~850 bytes).
  int sample_rate = 4;
  // Containment (share of the shorter text's shingles found in the longer) at or above which
  // an article is a near duplicate. Range [0.05, 1]. Default: 0.5.
  double near_containment = 0.5;
  // Containment at or above which (and below near_containment) an article partially overlaps
  // another. Range [0.01, 1]; must be below near_containment. Default: 0.1.
  double partial_containment = 0.1;
  // Event-time window (over published_at) within which articles are compared. Range [1, 3650].
  // Default: 30.
  int64_t window_days = 30;
  // Length of one time bucket; the window is dropped in whole buckets. Range [1, 744].
  // Default: 24.
  int64_t bucket_hours = 24;
  // Event times further than this ahead of the wall clock are clamped to it, so that one
  // bad published_at cannot expire the whole window. Range [0, 8760]. Default: 24.
  int64_t max_future_hours = 24;
  // Candidates verified per article (most shared keys first). Range [1, 1024]. Default: 32.
  int max_candidates = 32;
  // A shingle key held by at most this many live articles is rare. A candidate is verified
  // when it shares one rare key, or common_keys_needed keys: a few shared common keys are
  // boilerplate or stock phrases, while copies of a widely copied story share many.
  // Range [1, 100000]. Default: 8.
  int rare_postings = 8;
  // Shared keys that make a candidate without a rare one. Range [1, 64]. Default: 3.
  int common_keys_needed = 3;
  // Live articles one shingle key may point to; later ones are not indexed under it.
  // Range [1, 100000]. Default: 64.
  int max_postings = 64;
  // Matches listed in the output, best first. Range [0, 64]. Default: 5.
  int max_matches = 5;
  // Words read per article; the rest is ignored. Range [100, 10000000]. Default: 200000.
  int max_tokens = 200000;
  // Memory for the newest records, decoded, in front of the store (record_cache.h); 0 = off.
  // Pays where copies arrive close together, costs where they do not (README.md).
  // Range [0, 4096] MiB. Default: 0.
  int record_cache_mb = 0;
};

double Round4(double v) { return std::round(v * 10000.0) / 10000.0; }

int StatusRank(DedupStatus s) {
  switch (s) {
    case DedupStatus::kExactDuplicate:
      return 3;
    case DedupStatus::kNearDuplicate:
      return 2;
    case DedupStatus::kPartialOverlap:
      return 1;
    case DedupStatus::kUnique:
      return 0;
  }
  return 0;
}

// Everything the workers share. Guarded by `mu` but for the immutable options and handles.
struct Shared {
  DedupOptions options;
  state::Store* store = nullptr;
  int64_t bucket_ms = 0;
  uint32_t window_buckets = 0;

  std::mutex mu;
  dedup::LshIndex index{64};
  int64_t watermark_ms = INT64_MIN;
  // Bumped by every change to the index or the watermark: a worker that looked candidates up
  // under an earlier value looks them up again before it decides.
  uint64_t inserts = 0;
  // Bumped when a record is written under a key another record may have held (an id hash
  // already indexed whose record did not answer): records read earlier are then not trusted.
  uint64_t rewrites = 0;
  dedup::LookupScratch lookup_scratch;
  std::vector<Candidate> candidates;
  dedup::KeyFingerprints query_fps;
  dedup::RecordCache cache;

  prometheus::Counter* outcomes[4] = {nullptr, nullptr, nullptr, nullptr};
  prometheus::Counter* late = nullptr;
  prometheus::Counter* reads_cache = nullptr;  // candidate records found in the cache
  prometheus::Counter* reads_store = nullptr;  // ... read from the store
  prometheus::Gauge* entries = nullptr;
  prometheus::Gauge* keys = nullptr;
  prometheus::Gauge* memory = nullptr;

  uint32_t MinBucketFor(int64_t watermark) const {
    if (watermark == INT64_MIN) return 0;
    const int64_t b = watermark / bucket_ms;
    return b + 1 > window_buckets ? static_cast<uint32_t>(b + 1 - window_buckets) : 0;
  }
  void UpdateGauges() {
    if (entries) entries->Set(static_cast<double>(index.live_articles()));
    if (keys) keys->Set(static_cast<double>(index.live_entries()));
    if (memory) memory->Set(static_cast<double>(index.MemoryBytes()));
  }
};

class DedupStage final : public Stage {
 public:
  explicit DedupStage(Shared* shared)
      : shared_(shared),
        builder_(dedup::SignatureOptions{shared->options.shingle_words, shared->options.index_keys,
                                         shared->options.query_keys, shared->options.sample_rate,
                                         shared->options.max_tokens}) {}

  Outcome Process(Article& a, StageContext& ctx) noexcept override {
    try {
      return Run(a);
    } catch (const std::bad_alloc&) {
      return Outcome::Fail(kInternalError);
    } catch (...) {
      return Outcome::Fail(kInternalError);
    }
  }

 private:
  Outcome Run(Article& a) {
    const DedupOptions& o = shared_->options;
    const std::string& text = (a.cleaned && !a.match_text.empty()) ? a.match_text : a.BodyText();
    builder_.Build(text, &sig_);
    const int64_t now = NowMillis();
    int64_t event = a.published_at_ms != kUnknownTime       ? a.published_at_ms
                    : a.origin.timestamp_ms != kUnknownTime ? a.origin.timestamp_ms
                                                            : now;
    event = std::clamp<int64_t>(event, 0, now + o.max_future_hours * kHourMs);
    const auto bucket =
        static_cast<uint32_t>(std::min<int64_t>(event / shared_->bucket_ms, UINT32_MAX - 1));
    const uint64_t id_hash = Hash64(a.id);
    bool rewrite = false;

    // The candidates' records are read before the decision, outside the lock, so that the
    // other workers wait for a decision only, not for its reads; the decision below takes
    // them where they still hold (ReadAhead).
    ReadAhead(id_hash, event);

    std::lock_guard lock(shared_->mu);
    // Already decided: the stored verdict, unchanged.
    if (auto known = shared_->index.FindId(id_hash)) {
      auto v = shared_->store->Get(ArticleKey(kRecordKind, *known, id_hash));
      if (!v.ok()) return Outcome::Fatal(kStateError);
      if (v->has_value() && dedup::DecodeRecord(**v, &stored_) && stored_.id == a.id) {
        a.dedup = stored_.verdict;
        Count(a.dedup->status);
        return Outcome::Continue();
      }
      rewrite = true;  // another id with this hash, or its record is gone: written again below
    }
    DedupResult result;
    if (sig_.tokens == 0) {  // nothing to compare; not indexed
      a.dedup = std::move(result);
      Count(DedupStatus::kUnique);
      return Outcome::Continue();
    }
    // The window this article's event time implies: buckets it pushes out are not matched,
    // even before the batch that deletes them is written.
    const uint32_t min_bucket = shared_->MinBucketFor(shared_->watermark_ms);
    const int64_t new_watermark = std::max(shared_->watermark_ms, event);
    const uint32_t new_min = shared_->MinBucketFor(new_watermark);
    if (!Verify(a.id, new_min, &result)) return Outcome::Fatal(kStateError);

    if (bucket < min_bucket) {
      // Older than the window (a replay of old data): compared, not remembered.
      if (shared_->late) shared_->late->Increment();
      a.dedup = std::move(result);
      Count(a.dedup->status);
      return Outcome::Continue();
    }
    batch_.Clear();
    if (new_watermark != shared_->watermark_ms) {
      batch_.Put(dedup::kWatermarkKey, dedup::EncodeU64(static_cast<uint64_t>(new_watermark)));
    }
    if (new_min > min_bucket) {
      batch_.DeleteRange(BucketPrefix(kRecordKind, 0), BucketPrefix(kRecordKind, new_min));
      batch_.DeleteRange(BucketPrefix(kIndexKind, 0), BucketPrefix(kIndexKind, new_min));
    }
    ArticleRecord rec;
    rec.id = a.id;
    rec.event_ms = event;
    rec.text_hash = sig_.text_hash;
    rec.shingles = sig_.shingles;
    rec.verdict = result;
    rec.samples = sig_.samples;
    batch_.Put(ArticleKey(kRecordKind, bucket, id_hash), dedup::EncodeRecord(rec));
    const size_t n_indexed = std::min<size_t>(sig_.keys.size(), o.index_keys);
    const size_t n_check = std::min<size_t>(sig_.samples.size(), o.check_samples);
    entry_.text_hash = sig_.text_hash;
    entry_.keys.assign(sig_.keys.begin(), sig_.keys.begin() + n_indexed);
    entry_.check.assign(sig_.samples.begin(), sig_.samples.begin() + n_check);
    batch_.Put(ArticleKey(kIndexKind, bucket, id_hash), dedup::EncodeIndexEntry(entry_));
    if (!shared_->store->Write(batch_).ok()) return Outcome::Fatal(kStateError);
    // Memory follows the store only once the batch is durable in it.
    shared_->watermark_ms = new_watermark;
    shared_->index.ExpireBefore(new_min);
    shared_->index.Insert(id_hash, bucket, entry_.keys, entry_.check);
    ++shared_->inserts;
    if (rewrite) ++shared_->rewrites;
    shared_->cache.Put(bucket, id_hash, rec.id, rec.event_ms, rec.text_hash, rec.samples);
    shared_->UpdateGauges();
    a.dedup = std::move(result);
    Count(a.dedup->status);
    return Outcome::Continue();
  }

  // Candidates share a rare key or at least common_keys_needed keys (Lookup drops the rest);
  // the best max_candidates of them, in shared_->candidates. Under the lock.
  size_t LookUp() {
    const DedupOptions& o = shared_->options;
    shared_->index.Lookup(sig_.keys, static_cast<uint32_t>(o.rare_postings),
                          &shared_->lookup_scratch, &shared_->candidates,
                          static_cast<uint32_t>(o.common_keys_needed),
                          static_cast<size_t>(o.max_candidates));
    return std::min(shared_->candidates.size(), static_cast<size_t>(o.max_candidates));
  }

  // Whether candidate c is verified at all (its record read). Under the lock; `fps_ready`
  // says whether shared_->query_fps holds sig_.samples yet.
  bool Worth(const Candidate& c, uint32_t min_bucket, bool* fps_ready) {
    const DedupOptions& o = shared_->options;
    if (c.bucket < min_bucket) return false;
    if (c.shared_keys == 1 && o.check_samples > 0) {
      if (!*fps_ready) {
        shared_->query_fps.Assign(sig_.samples);
        *fps_ready = true;
      }
      // One shared shingle and (almost) none of the candidate's check samples here: chance.
      const int32_t matched = shared_->index.CheckShared(c, shared_->query_fps);
      if (matched >= 0 && matched < o.check_matches) return false;
    }
    return true;
  }

  // Before the decision: looks the candidates up under the lock as the decision would now,
  // then reads from the store, without the lock, the records of those it would verify (and
  // the record cache does not hold). The decision uses the candidate list again if the index
  // has not changed since (shared_->inserts), else looks up again; and it uses a record read
  // here unless a key may have been written over since (shared_->rewrites), else reads it under
  // the lock as it would have without this step. A record under a key never changes otherwise
  // while its bucket is in the window, and the decision skips expired buckets itself, so the
  // verdict is the one the decision alone would reach.
  void ReadAhead(uint64_t id_hash, int64_t event) {
    early_.clear();
    n_read_ = 0;
    ahead_ = false;
    if (sig_.tokens == 0) return;
    {
      std::lock_guard lock(shared_->mu);
      if (shared_->index.FindId(id_hash)) return;  // decided before: no candidates needed
      const uint32_t min_bucket =
          shared_->MinBucketFor(std::max(shared_->watermark_ms, event));
      const size_t n = LookUp();
      early_.assign(shared_->candidates.begin(), shared_->candidates.begin() + n);
      early_worth_.assign(n, 0);
      bool fps_ready = false;
      dedup::RecordCache::View cached;
      for (size_t i = 0; i < n; ++i) {
        const Candidate& c = early_[i];
        if (!Worth(c, min_bucket, &fps_ready)) continue;
        early_worth_[i] = 1;
        if (shared_->cache.Find(c.bucket, c.id_hash, &cached)) continue;
        if (read_.size() == n_read_) read_.emplace_back();
        read_[n_read_].bucket = c.bucket;
        read_[n_read_].id_hash = c.id_hash;
        read_[n_read_].found = false;
        ++n_read_;
      }
      inserts_seen_ = shared_->inserts;
      rewrites_seen_ = shared_->rewrites;
      ahead_ = true;
    }
    for (size_t i = 0; i < n_read_; ++i) {
      Read& r = read_[i];
      auto v = shared_->store->Get(ArticleKey(kRecordKind, r.bucket, r.id_hash));
      if (!v.ok() || !v->has_value()) continue;  // the decision reads it again and sees why
      if (shared_->reads_store) shared_->reads_store->Increment();
      r.found = dedup::DecodeRecordForMatch(**v, &r.record);
    }
  }

  // The record ReadAhead read for (bucket, id_hash), or null.
  const ArticleRecord* ReadEarlier(uint32_t bucket, uint64_t id_hash) const {
    for (size_t i = 0; i < n_read_; ++i) {
      const Read& r = read_[i];
      if (r.id_hash == id_hash && r.bucket == bucket) return r.found ? &r.record : nullptr;
    }
    return nullptr;
  }

  // Finds and scores the indexed articles that share text with sig_. False on a store error.
  bool Verify(const std::string& id, uint32_t min_bucket, DedupResult* result) {
    const DedupOptions& o = shared_->options;
    // The candidates ReadAhead looked up, if nothing has been inserted or expired since.
    const bool same = ahead_ && shared_->inserts == inserts_seen_;
    if (!ahead_ || shared_->rewrites != rewrites_seen_) n_read_ = 0;
    const std::vector<Candidate>& cands = same ? early_ : shared_->candidates;
    const size_t n = same ? early_.size() : LookUp();
    bool fps_ready = false;
    bool samples_ready = false;  // samples_ holds sig_.samples
    found_.clear();
    // With the read-ahead's candidates, its Worth() answers stand too (same index, same
    // window); otherwise each is asked again.
    if (!same) {
      for (size_t i = 0; i < n; ++i) shared_->index.PrefetchCheck(cands[i]);
    }
    for (size_t i = 0; i < n; ++i) {
      const Candidate& c = cands[i];
      if (same ? !early_worth_[i] : !Worth(c, min_bucket, &fps_ready)) continue;
      dedup::RecordCache::View other;  // valid until the next Put
      if (shared_->cache.Find(c.bucket, c.id_hash, &other)) {
        if (shared_->reads_cache) shared_->reads_cache->Increment();
      } else if (const ArticleRecord* r = ReadEarlier(c.bucket, c.id_hash)) {
        shared_->cache.Put(c.bucket, c.id_hash, r->id, r->event_ms, r->text_hash, r->samples);
        other = {r->id, r->event_ms, r->text_hash, r->samples};
      } else {
        auto v = shared_->store->Get(ArticleKey(kRecordKind, c.bucket, c.id_hash));
        if (!v.ok()) return false;
        if (shared_->reads_store) shared_->reads_store->Increment();
        if (!v->has_value() || !dedup::DecodeRecordForMatch(**v, &other_)) continue;
        shared_->cache.Put(c.bucket, c.id_hash, other_.id, other_.event_ms, other_.text_hash,
                           other_.samples);
        other = {other_.id, other_.event_ms, other_.text_hash, other_.samples};
      }
      if (other.id == id) continue;  // never one's own duplicate
      DedupMatch m;
      m.id = std::string(other.id);
      if (other.text_hash == sig_.text_hash) {
        m.status = DedupStatus::kExactDuplicate;
        m.similarity = 1;
        m.containment = 1;
      } else {
        if (!samples_ready) {
          samples_.Assign(sig_.samples);
          samples_ready = true;
        }
        const size_t inter = samples_.IntersectionSize(other.samples);
        const size_t a = sig_.samples.size(), b = other.samples.size();
        const size_t shorter = std::min(a, b);
        m.similarity = Round4(a + b > inter ? double(inter) / double(a + b - inter) : 0.0);
        m.containment = Round4(shorter ? double(inter) / double(shorter) : 0.0);
        if (m.containment >= o.near_containment) {
          m.status = DedupStatus::kNearDuplicate;
        } else if (m.containment >= o.partial_containment) {
          m.status = DedupStatus::kPartialOverlap;
        } else {
          continue;
        }
      }
      found_.push_back({std::move(m), other.event_ms});
    }
    if (found_.empty()) return true;
    // `of`: the earliest (event time, then id) among the matches of the strongest relation.
    const Found* of = nullptr;
    for (const auto& f : found_) {
      if (!of) {
        of = &f;
        continue;
      }
      const int r = StatusRank(f.match.status), ro = StatusRank(of->match.status);
      if (r > ro || (r == ro && (f.event_ms < of->event_ms ||
                                 (f.event_ms == of->event_ms && f.match.id < of->match.id)))) {
        of = &f;
      }
    }
    result->status = of->match.status;
    result->of = of->match.id;
    result->similarity = of->match.similarity;
    result->containment = of->match.containment;
    std::sort(found_.begin(), found_.end(), [](const Found& x, const Found& y) {
      const int rx = StatusRank(x.match.status), ry = StatusRank(y.match.status);
      if (rx != ry) return rx > ry;
      if (x.match.containment != y.match.containment)
        return x.match.containment > y.match.containment;
      if (x.match.similarity != y.match.similarity) return x.match.similarity > y.match.similarity;
      return x.event_ms < y.event_ms;
    });
    for (size_t i = 0; i < found_.size() && i < static_cast<size_t>(o.max_matches); ++i) {
      result->matches.push_back(found_[i].match);
    }
    return true;
  }

  void Count(DedupStatus s) {
    if (auto* c = shared_->outcomes[static_cast<int>(s)]) c->Increment();
  }

  struct Found {
    DedupMatch match;
    int64_t event_ms;
  };
  Shared* shared_;
  SignatureBuilder builder_;
  Signature sig_;
  dedup::SampleSet samples_;  // sig_.samples, built for the first candidate that needs it
  IndexEntry entry_;
  ArticleRecord stored_;
  ArticleRecord other_;
  std::vector<Found> found_;
  // ReadAhead's results: the candidates it looked up and which are worth verifying, the
  // index's change counts then, and the records it read (the first n_read_ of read_; entries
  // are reused from one article to the next, so that their buffers are).
  struct Read {
    uint32_t bucket = 0;
    uint64_t id_hash = 0;
    bool found = false;
    ArticleRecord record;
  };
  bool ahead_ = false;
  std::vector<Candidate> early_;
  std::vector<uint8_t> early_worth_;  // per early_ candidate: Worth() said yes
  uint64_t inserts_seen_ = 0;
  uint64_t rewrites_seen_ = 0;
  std::vector<Read> read_;
  size_t n_read_ = 0;
  state::WriteBatch batch_;
};

class DedupConfig final : public StageConfig {
 public:
  explicit DedupConfig(DedupOptions options) {
    shared_.options = options;
    shared_.bucket_ms = options.bucket_hours * kHourMs;
    shared_.window_buckets = static_cast<uint32_t>(
        (options.window_days * 24 + options.bucket_hours - 1) / options.bucket_hours);
    shared_.index = dedup::LshIndex(static_cast<uint32_t>(options.max_postings),
                                    static_cast<uint32_t>(options.check_samples));
    shared_.cache = dedup::RecordCache(static_cast<size_t>(options.record_cache_mb) << 20);
  }

  Status Prepare(const StageEnvironment& env) override {
    if (!env.store) return MakeError("dedup: no state store", "invalid");
    shared_.store = env.store;
    state::Store& store = *env.store;
    auto format = store.Get(dedup::kFormatKey);
    if (!format.ok()) return format.error();
    if (format->has_value() && **format != dedup::kFormatVersion) {
      return MakeError("dedup: state format " + **format + " is not " +
                           std::string(dedup::kFormatVersion) + "; use a fresh state dir",
                       "invalid");
    }
    auto wm = store.Get(dedup::kWatermarkKey);
    if (!wm.ok()) return wm.error();
    if (wm->has_value()) {
      auto v = dedup::DecodeU64(**wm);
      if (!v) return MakeError("dedup: corrupt watermark", "corrupt");
      shared_.watermark_ms = static_cast<int64_t>(*v);
    }
    const uint32_t min_bucket = shared_.MinBucketFor(shared_.watermark_ms);
    state::WriteBatch batch;
    if (!format->has_value()) batch.Put(dedup::kFormatKey, dedup::kFormatVersion);
    if (min_bucket > 0) {  // the window may have shrunk since the last run
      batch.DeleteRange(BucketPrefix(kRecordKind, 0), BucketPrefix(kRecordKind, min_bucket));
      batch.DeleteRange(BucketPrefix(kIndexKind, 0), BucketPrefix(kIndexKind, min_bucket));
    }
    if (!batch.empty()) {
      Status s = store.Write(batch);
      if (!s.ok()) return s;
    }
    shared_.index.ExpireBefore(min_bucket);
    bool corrupt = false;
    IndexEntry entry;
    Status s =
        store.Scan(BucketPrefix(kIndexKind, min_bucket), BucketPrefix(kIndexKind, kPastLastBucket),
                   [&](std::string_view key, std::string_view value) {
                     uint32_t bucket = 0;
                     uint64_t id_hash = 0;
                     if (!dedup::ParseArticleKey(key, &bucket, &id_hash) ||
                         !dedup::DecodeIndexEntry(value, &entry)) {
                       corrupt = true;
                       return false;
                     }
                     shared_.index.Insert(id_hash, bucket, entry.keys, entry.check);
                     return true;
                   });
    if (!s.ok()) return s;
    if (corrupt) return MakeError("dedup: corrupt index entry in state", "corrupt");

    if (env.registry) {
      auto& outcomes = prometheus::BuildCounter()
                           .Name("newsflow_dedup_outcomes_total")
                           .Help("Dedup verdicts by status")
                           .Register(*env.registry);
      for (auto st : {DedupStatus::kUnique, DedupStatus::kExactDuplicate,
                      DedupStatus::kNearDuplicate, DedupStatus::kPartialOverlap}) {
        shared_.outcomes[static_cast<int>(st)] = &outcomes.Add({{"status", DedupStatusName(st)}});
      }
      shared_.late = &prometheus::BuildCounter()
                          .Name("newsflow_dedup_late_articles_total")
                          .Help("Articles older than the dedup window: compared, not stored")
                          .Register(*env.registry)
                          .Add({});
      auto& reads = prometheus::BuildCounter()
                        .Name("newsflow_dedup_record_reads_total")
                        .Help("Candidate records read for verification, by where they came from")
                        .Register(*env.registry);
      shared_.reads_cache = &reads.Add({{"from", "cache"}});
      shared_.reads_store = &reads.Add({{"from", "store"}});
      shared_.entries = &prometheus::BuildGauge()
                             .Name("newsflow_dedup_index_entries")
                             .Help("Articles in the dedup index (within the window)")
                             .Register(*env.registry)
                             .Add({});
      shared_.keys = &prometheus::BuildGauge()
                          .Name("newsflow_dedup_index_keys")
                          .Help("Shingle keys in the in-memory dedup index")
                          .Register(*env.registry)
                          .Add({});
      shared_.memory = &prometheus::BuildGauge()
                            .Name("newsflow_dedup_index_memory_bytes")
                            .Help("Memory held by the in-memory dedup index")
                            .Register(*env.registry)
                            .Add({});
    }
    shared_.UpdateGauges();
    return Status::Ok();
  }

  std::unique_ptr<Stage> CreateWorker() const override {
    return std::make_unique<DedupStage>(&shared_);
  }

  // 3: a candidate sharing one key is verified only after the check-sample test.
  std::string Version() const override { return "3"; }

 private:
  // Workers mutate the index and watermark through it, under Shared::mu; options are fixed.
  mutable Shared shared_;
};

class DedupFactory final : public StageFactory {
 public:
  std::string_view Name() const override { return "dedup"; }
  std::vector<std::string_view> Reasons() const override { return {kStateError, kInternalError}; }
  std::unique_ptr<StageConfig> Parse(config::Section& s) const override {
    DedupOptions o;
    o.shingle_words = static_cast<int>(s.Int("shingle_words", o.shingle_words, 2, 12));
    o.index_keys = static_cast<int>(s.Int("index_keys", o.index_keys, 4, 64));
    o.query_keys = static_cast<int>(s.Int("query_keys", o.query_keys, 4, 256));
    if (o.query_keys < o.index_keys) s.Error("query_keys", "must be at least index_keys");
    o.check_samples = static_cast<int>(s.Int("check_samples", o.check_samples, 0, 64));
    o.check_matches = static_cast<int>(s.Int("check_matches", o.check_matches, 1, 64));
    if (o.check_samples > 0 && o.check_matches > o.check_samples) {
      s.Error("check_matches", "must be at most check_samples");
    }
    o.sample_rate = static_cast<int>(s.Int("sample_rate", o.sample_rate, 1, 64));
    if ((o.sample_rate & (o.sample_rate - 1)) != 0) {
      s.Error("sample_rate", std::to_string(o.sample_rate) + " is not a power of two");
      o.sample_rate = 1;
    }
    o.near_containment = s.Double("near_containment", o.near_containment, 0.05, 1.0);
    o.partial_containment = s.Double("partial_containment", o.partial_containment, 0.01, 1.0);
    if (o.partial_containment >= o.near_containment) {
      s.Error("partial_containment", "must be below near_containment");
    }
    o.window_days = s.Int("window_days", o.window_days, 1, 3650);
    o.bucket_hours = s.Int("bucket_hours", o.bucket_hours, 1, 744);
    o.max_future_hours = s.Int("max_future_hours", o.max_future_hours, 0, 8760);
    o.max_candidates = static_cast<int>(s.Int("max_candidates", o.max_candidates, 1, 1024));
    o.rare_postings = static_cast<int>(s.Int("rare_postings", o.rare_postings, 1, 100000));
    o.common_keys_needed =
        static_cast<int>(s.Int("common_keys_needed", o.common_keys_needed, 1, 64));
    o.max_postings = static_cast<int>(s.Int("max_postings", o.max_postings, 1, 100000));
    o.max_matches = static_cast<int>(s.Int("max_matches", o.max_matches, 0, 64));
    o.max_tokens = static_cast<int>(s.Int("max_tokens", o.max_tokens, 100, 10000000));
    o.record_cache_mb = static_cast<int>(s.Int("record_cache_mb", o.record_cache_mb, 0, 4096));
    s.Finish();
    return std::make_unique<DedupConfig>(o);
  }
};

}  // namespace

std::unique_ptr<StageFactory> MakeDedupStageFactory() { return std::make_unique<DedupFactory>(); }

}  // namespace newsflow
