// RecordCache: the dedup stage's newest article records (written or read), in memory, in front
// of the store.
//
// Verification reads every candidate's record (id, event time, text hash, samples). From the
// store that is a RocksDB Get (a memtable skip-list walk or a block read) and a decode per
// candidate, the largest single cost of the stage when articles overlap. Where copies of a
// story arrive within hours of each other, the newest records answer most reads.
//
// Layout: one ring of `max_bytes`, allocated once. A record is appended at the head (header,
// id, samples, in 4-byte words) and overwritten when the ring comes round again, so the oldest
// go first and nothing is allocated or freed per record. A table of ring offsets, direct-mapped
// by key (about one slot per 256 bytes of ring), finds a record; a slot whose record has been
// overwritten, or that another key took over, is a miss. Keys are (time bucket, id hash), the
// store's key, and a record under a key never changes while its bucket is in the window
// (verdicts are never revised; an expired bucket's candidates are not read), so nothing needs
// invalidating; a key put again simply points at its newer copy.
// Not thread-safe: the stage calls it under its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace newsflow::dedup {

class RecordCache {
 public:
  // Points into the ring: valid until the next Put.
  struct View {
    std::string_view id;
    int64_t event_ms = 0;
    uint64_t text_hash = 0;
    std::span<const uint32_t> samples;  // ascending
  };

  // max_bytes 0: nothing is kept.
  explicit RecordCache(size_t max_bytes = 0);

  bool Find(uint32_t bucket, uint64_t id_hash, View* out) const;
  // A record larger than the ring is not kept.
  void Put(uint32_t bucket, uint64_t id_hash, std::string_view id, int64_t event_ms,
           uint64_t text_hash, std::span<const uint32_t> samples);

 private:
  struct Header {
    uint64_t id_hash;
    uint32_t bucket;
    uint32_t id_bytes;
    uint32_t samples;
    int64_t event_ms;
    uint64_t text_hash;
  };
  static constexpr size_t kHeaderWords = sizeof(Header) / sizeof(uint32_t);
  static_assert(sizeof(Header) % sizeof(uint32_t) == 0);
  size_t Slot(uint32_t bucket, uint64_t id_hash) const;

  // 4-byte words: samples are read in place as uint32_t, the header and id are copied. Left
  // uninitialised, so that the pages are only touched as records are written.
  std::unique_ptr<uint32_t[]> ring_;
  size_t words_ = 0;
  uint64_t head_ = 0;            // virtual word offset of the next record (grows for ever)
  std::vector<uint64_t> slots_;  // virtual word offset + 1 of a record; 0 = empty
};

}  // namespace newsflow::dedup
