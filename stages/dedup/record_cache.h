// RecordCache: the dedup stage's recently written (and read) article records, decoded, in
// memory, in front of the store.
//
// Verification reads every candidate's record (id, event time, text hash, samples). From the
// store that is a RocksDB Get (a memtable skip-list walk or a block read) and a decode per
// candidate, the largest single cost of the stage when articles overlap. Copies of a story
// mostly arrive within hours of each other, so the newest records answer most reads. The
// cache is bounded by bytes; when full, the records put in longest ago leave first (first in,
// first out: a read does not renew a record). Keys are (time bucket, id hash), the store's
// key, and a record under a key never changes while its bucket is in the window (verdicts are
// never revised; an expired bucket's candidates are not read), so the cache never needs
// invalidating: Put of a key already present replaces its record all the same.
// Not thread-safe: the stage calls it under its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace newsflow::dedup {

struct MatchRecord {
  std::string id;
  int64_t event_ms = 0;
  uint64_t text_hash = 0;
  std::vector<uint32_t> samples;  // ascending
};

class RecordCache {
 public:
  // max_bytes 0: nothing is kept.
  explicit RecordCache(size_t max_bytes = 0) : max_bytes_(max_bytes) {}

  // The record put under (bucket, id_hash), or null. Valid until the next Put.
  const MatchRecord* Find(uint32_t bucket, uint64_t id_hash) const;
  void Put(uint32_t bucket, uint64_t id_hash, MatchRecord record);

  size_t size() const { return map_.size(); }
  size_t bytes() const { return bytes_; }
  size_t max_bytes() const { return max_bytes_; }

 private:
  struct Key {
    uint32_t bucket;
    uint64_t id_hash;
    bool operator==(const Key& o) const { return bucket == o.bucket && id_hash == o.id_hash; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return static_cast<size_t>(k.id_hash ^ (uint64_t{k.bucket} * 0x9E3779B97F4A7C15ULL));
    }
  };
  struct Entry {
    Key key;
    MatchRecord record;
    size_t bytes;
  };
  static size_t Bytes(const MatchRecord& r);

  size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<Entry> order_;                         // oldest first
  uint64_t first_seq_ = 0;                          // sequence number of order_.front()
  std::unordered_map<Key, uint64_t, KeyHash> map_;  // key -> sequence number
};

}  // namespace newsflow::dedup
