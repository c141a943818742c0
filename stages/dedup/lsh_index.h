// LshIndex: the in-memory candidate index of the dedup stage, rebuilt from the store at start.
//
// Each indexed article owns a slot {id hash, time bucket}. Distinct shingle keys live in one
// open-addressing table (linear probing, 8 bytes a cell); a key held by one article points at
// its slot directly, a key held by more points at a chain of postings {slot, next} (8 bytes
// each). So one insert or lookup touches O(keys) cells whatever the key frequencies: a frequent
// key costs its own postings only, never longer probe runs for other keys. A lookup returns the
// live slots sharing at least one key with the query, with the number of shared keys. A slot
// also keeps 16-bit fingerprints of its article's first check samples, so that a candidate
// sharing a single key can be tested for shared text (CheckShared) before its record is read.
// Keys shared by more than `max_postings` live articles (boilerplate, a story copied
// everywhere) stop taking new postings: the earliest articles stay findable and one lookup
// touches a bounded number of postings. Expiry is O(1): buckets below the window start become
// dead and are skipped; dead slots, postings and keys are dropped when the tables are next
// rehashed (growth, or when dead postings are a third of all), so memory stays within about
// twice the live postings. Memory: ~16 B per slot, ~4-8 B per slot in the id map, 8-16 B per
// distinct key, 8 B per further posting of a key, and 2 B per check sample of a slot.
// Not thread-safe: the stage calls it under its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace newsflow::dedup {

struct Candidate {
  uint64_t id_hash = 0;
  uint32_t bucket = 0;
  uint32_t shared_keys = 0;
  uint32_t rare_keys = 0;  // shared keys that at most `rare_postings` live articles have
  uint32_t slot = 0;       // for LshIndex::CheckShared, until the next insert or expiry
};

// Buffers LshIndex::Lookup reuses from one call to the next (one per caller; nothing is
// allocated once they have grown to the largest lookup): the live postings of the query's keys,
// and an open-addressing table, at most half full, that counts per slot the query keys it
// shares and how many of them are rare. Counting there costs one probe per posting, where
// sorting the postings to group them cost O(n log n) mostly mispredicted comparisons for the
// hundreds of postings of an article whose words are common.
class LookupScratch {
 private:
  friend class LshIndex;
  static constexpr uint64_t kFree = UINT64_MAX;  // no slot is 2^32 - 1
  // Empties the table and sizes it to at least `cells` (a power of two, at least 2).
  void Reset(size_t cells);
  // Counts one shared key for `slot`, rare or not. The table must have a free cell.
  void Add(uint32_t slot, bool rare);
  std::vector<uint64_t> postings;                    // key index << 32 | slot
  std::vector<uint32_t> live;                        // live postings per key
  std::vector<std::pair<uint32_t, uint32_t>> walks;  // chains being walked: {node, key index}
  std::vector<uint64_t> tally;                       // slot << 32 | shared << 16 | rare, or kFree
  std::vector<uint32_t> taken;                       // the tally's cells in use
  int bits = 0;                                      // tally.size() == 2^bits
};

// The 16-bit fingerprints of a query's samples, as a 65,536-bit set: asking whether one of an
// indexed article's check samples is among them costs one bit test.
class KeyFingerprints {
 public:
  static uint16_t Of(uint32_t key) {
    const auto f = static_cast<uint16_t>(key >> 16);
    return f ? f : 1;  // 0 marks an unused cell
  }
  // Replaces the set with the fingerprints of `keys`.
  void Assign(const std::vector<uint32_t>& keys);
  bool Has(uint16_t fp) const { return (bits_[fp >> 6] >> (fp & 63)) & 1; }

 private:
  std::vector<uint64_t> bits_ = std::vector<uint64_t>(1024, 0);
  std::vector<uint16_t> set_;
};

class LshIndex {
 public:
  // `check_samples`: per article, the 16-bit fingerprints of this many of its verification
  // samples are kept (2 bytes each), so that a candidate sharing only one key can be checked
  // for shared text without reading its record.
  explicit LshIndex(uint32_t max_postings, uint32_t check_samples = 0)
      : max_postings_(max_postings), check_samples_(check_samples) {}

  // Adds an article; an id hash that is already live is replaced. `check`: its check samples
  // (the first check_samples are kept; fewer means "not a full set", never filtered).
  void Insert(uint64_t id_hash, uint32_t bucket, const std::vector<uint32_t>& keys,
              const std::vector<uint32_t>& check = {});
  // The bucket of a live article, or nullopt.
  std::optional<uint32_t> FindId(uint64_t id_hash) const;
  // Live articles sharing a key with `keys`, most shared keys first (then most rare keys,
  // then earliest inserted). A key with at most `rare_postings` live articles is rare: one
  // shared rare key is evidence, one shared common key (boilerplate) is not. `scratch` reused.
  // Articles without a shared rare key are returned only when they share at least
  // `common_needed` keys (1: all). Only the first `max_out` of that order are returned. At most
  // 65,535 keys.
  void Lookup(const std::vector<uint32_t>& keys, uint32_t rare_postings, LookupScratch* scratch,
              std::vector<Candidate>* out, uint32_t common_needed = 1,
              size_t max_out = SIZE_MAX) const;
  // How many of a candidate's check samples are among `query` (the fingerprints of the query's
  // samples); -1 when it holds fewer than check_samples (a short text: too few to judge by).
  int32_t CheckShared(const Candidate& c, const KeyFingerprints& query) const;
  // Asks the CPU for c's check samples ahead of CheckShared (a random place in a large array).
  void PrefetchCheck(const Candidate& c) const {
    if (check_samples_ > 0 && c.shared_keys == 1) {
      __builtin_prefetch(check_.data() + static_cast<size_t>(c.slot) * check_samples_);
    }
  }
  // Every article in a bucket below `min_bucket` becomes dead (invisible), now; memory is
  // given back at the next rehash.
  void ExpireBefore(uint32_t min_bucket);

  uint32_t min_bucket() const { return min_bucket_; }
  size_t live_articles() const { return live_slots_; }
  size_t live_entries() const { return live_entries_; }
  size_t MemoryBytes() const;

 private:
  struct Slot {
    uint64_t id_hash;
    uint32_t bucket;
    uint32_t entries;  // key entries this slot owns in the table
  };
  // A distinct key. `ref` is kEmpty for a free cell, a slot when the key has one posting, or
  // kChain | node index (into nodes_) for a chain of postings, newest first.
  struct KeyCell {
    uint32_t key;
    uint32_t ref;
  };
  struct Node {
    uint32_t slot;
    uint32_t next;  // kEmpty ends the chain
  };
  static constexpr uint32_t kEmpty = UINT32_MAX;
  static constexpr uint32_t kChain = 0x80000000u;  // slots and nodes stay below 2^31 - 1

  // Live: in the window and not replaced. Kept as one bit per slot (live_bits_), so that the
  // many liveness tests of a lookup hit a small array instead of the slots.
  bool Live(uint32_t slot) const { return (live_bits_[slot >> 6] >> (slot & 63)) & 1; }
  void SetLive(uint32_t slot, bool live) {
    const uint64_t bit = uint64_t{1} << (slot & 63);
    live_bits_[slot >> 6] = live ? (live_bits_[slot >> 6] | bit) : (live_bits_[slot >> 6] & ~bit);
  }
  size_t Home(uint32_t key) const;
  size_t IdHome(uint64_t id_hash) const;
  uint32_t FindSlot(uint64_t id_hash) const;   // kEmpty when not live
  KeyCell* FindKey(uint32_t key);              // the key's cell, or the free cell it would take
  const KeyCell* FindKey(uint32_t key) const;  // nullptr when absent
  // Adds a posting unless the key already has max_postings_ live ones.
  bool InsertEntry(uint32_t key, uint32_t slot);
  // Adds a posting to `cell` (from FindKey), without checks.
  void AddPosting(KeyCell* cell, uint32_t key, uint32_t slot);
  void IdMapPut(uint64_t id_hash, uint32_t slot);
  // Drops dead slots, postings and keys; sizes the tables for `extra` more entries.
  void Rehash(size_t extra_entries, size_t extra_slots);

  uint32_t max_postings_;
  uint32_t check_samples_;
  uint32_t min_bucket_ = 0;
  std::vector<Slot> slots_;
  std::vector<uint16_t> check_;   // check_samples_ fingerprints per slot, 0 = unused
  std::vector<uint64_t> live_bits_;  // one bit per slot: Live()
  std::vector<KeyCell> keys_;     // distinct keys, open addressing (or empty)
  std::vector<Node> nodes_;       // postings of keys held by more than one article
  std::vector<uint32_t> id_map_;  // slot per cell, kEmpty when free
  size_t keys_used_ = 0;          // occupied key cells, keys without live postings included
  size_t postings_ = 0;           // postings, dead included
  size_t id_used_ = 0;
  size_t live_slots_ = 0;
  size_t live_entries_ = 0;
  std::map<uint32_t, std::pair<size_t, size_t>> per_bucket_;  // bucket -> {slots, entries}
};

}  // namespace newsflow::dedup
