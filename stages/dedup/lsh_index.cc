#include "stages/dedup/lsh_index.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>

#include "common/hash.h"

namespace newsflow::dedup {
namespace {

// Tables are sized freely (not powers of two) and addressed by multiply-shift range reduction,
// so memory follows the live entry count instead of doubling.
size_t Reduce(uint64_t hash, size_t n) {
  return static_cast<size_t>((static_cast<unsigned __int128>(hash) * n) >> 64);
}


constexpr double kMaxLoad = 0.8;      // rehash above this share of occupied cells
constexpr double kTargetLoad = 0.55;  // share after a rehash
constexpr size_t kMinCells = 1024;

}  // namespace

void LookupScratch::Reset(size_t cells) {
  bits = 1;
  while ((size_t{1} << bits) < cells) ++bits;
  tally.assign(size_t{1} << bits, kFree);  // keeps the capacity: no allocation once warm
  taken.clear();
}

void LookupScratch::Add(uint32_t slot, bool rare) {
  const size_t mask = tally.size() - 1;
  // Slots are consecutive integers: a multiplicative hash spreads neighbours over the table.
  for (size_t i = (slot * 0x9E3779B97F4A7C15ULL) >> (64 - bits);; i = (i + 1) & mask) {
    uint64_t& cell = tally[i];
    if (cell == kFree) {
      cell = static_cast<uint64_t>(slot) << 32 | uint64_t{1} << 16 | uint64_t{rare};
      taken.push_back(static_cast<uint32_t>(i));
      return;
    }
    if ((cell >> 32) == slot) {
      cell += uint64_t{1} << 16 | uint64_t{rare};
      return;
    }
  }
}

void KeyFingerprints::Assign(const std::vector<uint32_t>& keys) {
  for (uint16_t fp : set_) bits_[fp >> 6] = 0;
  set_.clear();
  for (uint32_t key : keys) {
    const uint16_t fp = Of(key);
    bits_[fp >> 6] |= uint64_t{1} << (fp & 63);
    set_.push_back(fp);
  }
}

size_t LshIndex::Home(uint32_t key) const { return Reduce(Mix64(key), keys_.size()); }
size_t LshIndex::IdHome(uint64_t id_hash) const { return Reduce(Mix64(id_hash), id_map_.size()); }

uint32_t LshIndex::FindSlot(uint64_t id_hash) const {
  if (id_map_.empty()) return kEmpty;
  for (size_t i = IdHome(id_hash);; i = (i + 1 == id_map_.size()) ? 0 : i + 1) {
    const uint32_t s = id_map_[i];
    if (s == kEmpty) return kEmpty;
    if (slots_[s].id_hash == id_hash && Live(s)) return s;
  }
}

std::optional<uint32_t> LshIndex::FindId(uint64_t id_hash) const {
  const uint32_t s = FindSlot(id_hash);
  if (s == kEmpty) return std::nullopt;
  return slots_[s].bucket;
}

void LshIndex::IdMapPut(uint64_t id_hash, uint32_t slot) {
  size_t i = IdHome(id_hash);
  while (id_map_[i] != kEmpty) i = (i + 1 == id_map_.size()) ? 0 : i + 1;
  id_map_[i] = slot;
  ++id_used_;
}

LshIndex::KeyCell* LshIndex::FindKey(uint32_t key) {
  size_t i = Home(key);
  while (keys_[i].ref != kEmpty && keys_[i].key != key) i = (i + 1 == keys_.size()) ? 0 : i + 1;
  return &keys_[i];
}

const LshIndex::KeyCell* LshIndex::FindKey(uint32_t key) const {
  if (keys_.empty()) return nullptr;
  for (size_t i = Home(key); keys_[i].ref != kEmpty; i = (i + 1 == keys_.size()) ? 0 : i + 1) {
    if (keys_[i].key == key) return &keys_[i];
  }
  return nullptr;
}

void LshIndex::AddPosting(KeyCell* cell, uint32_t key, uint32_t slot) {
  ++postings_;
  if (cell->ref == kEmpty) {
    *cell = KeyCell{key, slot};
    ++keys_used_;
    return;
  }
  if ((cell->ref & kChain) == 0) {  // a single posting becomes a chain
    nodes_.push_back(Node{cell->ref, kEmpty});
    cell->ref = kChain | static_cast<uint32_t>(nodes_.size() - 1);
  }
  nodes_.push_back(Node{slot, cell->ref & ~kChain});
  cell->ref = kChain | static_cast<uint32_t>(nodes_.size() - 1);
}

bool LshIndex::InsertEntry(uint32_t key, uint32_t slot) {
  KeyCell* cell = FindKey(key);
  if (cell->ref != kEmpty) {
    if ((cell->ref & kChain) == 0) {
      if (!Live(cell->ref)) {  // the only posting is dead: reuse it
        cell->ref = slot;
        return true;
      }
      if (max_postings_ <= 1) return false;
    } else {
      uint32_t live = 0;
      for (uint32_t n = cell->ref & ~kChain; n != kEmpty; n = nodes_[n].next) {
        if (Live(nodes_[n].slot) && ++live >= max_postings_) return false;
      }
    }
  }
  AddPosting(cell, key, slot);
  return true;
}

void LshIndex::Insert(uint64_t id_hash, uint32_t bucket, const std::vector<uint32_t>& keys,
                      const std::vector<uint32_t>& check) {
  const uint32_t old = FindSlot(id_hash);
  if (old != kEmpty) {
    auto& counts = per_bucket_[slots_[old].bucket];
    counts.first -= 1;
    counts.second -= slots_[old].entries;
    --live_slots_;
    live_entries_ -= slots_[old].entries;
    SetLive(old, false);
  }
  if (static_cast<double>(keys_used_ + keys.size()) >
          kMaxLoad * static_cast<double>(keys_.size()) ||
      static_cast<double>(id_used_ + 1) > kMaxLoad * static_cast<double>(id_map_.size()) ||
      slots_.size() >= kChain - 1 || nodes_.size() + 2 * keys.size() >= kChain - 1) {
    Rehash(keys.size(), 1);
  }
  const auto slot = static_cast<uint32_t>(slots_.size());
  slots_.push_back(Slot{id_hash, bucket, 0});
  if (live_bits_.size() * 64 < slots_.size()) live_bits_.push_back(0);
  SetLive(slot, bucket >= min_bucket_);
  for (uint32_t j = 0; j < check_samples_; ++j) {
    check_.push_back(j < check.size() ? KeyFingerprints::Of(check[j]) : 0);
  }
  uint32_t added = 0;
  for (uint32_t key : keys) __builtin_prefetch(&keys_[Home(key)], 1);
  for (uint32_t key : keys) added += InsertEntry(key, slot) ? 1 : 0;
  slots_[slot].entries = added;
  IdMapPut(id_hash, slot);
  auto& counts = per_bucket_[bucket];
  counts.first += 1;
  counts.second += added;
  ++live_slots_;
  live_entries_ += added;
}

int32_t LshIndex::CheckShared(const Candidate& c, const KeyFingerprints& query) const {
  if (check_samples_ == 0) return -1;
  const uint16_t* f = &check_[static_cast<size_t>(c.slot) * check_samples_];
  if (f[check_samples_ - 1] == 0) return -1;  // a short text: too few to judge by
  int32_t n = 0;
  for (uint32_t j = 0; j < check_samples_; ++j) n += query.Has(f[j]) ? 1 : 0;
  return n;
}

void LshIndex::Lookup(const std::vector<uint32_t>& keys, uint32_t rare_postings,
                      LookupScratch* scratch, std::vector<Candidate>* out,
                      uint32_t common_needed, size_t max_out) const {
  out->clear();
  if (keys_.empty()) return;
  // The keys' cells are random places in a table far larger than the caches: ask for all of
  // them first so that the misses overlap instead of coming one after another.
  for (uint32_t key : keys) __builtin_prefetch(&keys_[Home(key)]);
  // Each key's live postings, as key index << 32 | slot, and how many each key has. Chain
  // nodes are scattered over a large array, one cache miss each: the chains are walked side
  // by side, one node of each per round, so that their misses overlap instead of queueing.
  std::vector<uint64_t>& postings = scratch->postings;
  std::vector<uint32_t>& live = scratch->live;
  std::vector<std::pair<uint32_t, uint32_t>>& walks = scratch->walks;  // {node, key index}
  postings.clear();
  walks.clear();
  live.assign(keys.size(), 0);
  for (uint32_t k = 0; k < keys.size(); ++k) {
    const KeyCell* cell = FindKey(keys[k]);
    if (!cell) continue;
    if ((cell->ref & kChain) == 0) {
      if (Live(cell->ref)) {
        postings.push_back(uint64_t{k} << 32 | cell->ref);
        ++live[k];
      }
    } else {
      const uint32_t first = cell->ref & ~kChain;
      __builtin_prefetch(&nodes_[first]);
      walks.emplace_back(first, k);
    }
  }
  while (!walks.empty()) {
    for (size_t j = 0; j < walks.size();) {
      const Node node = nodes_[walks[j].first];
      const uint32_t k = walks[j].second;
      if (Live(node.slot)) {
        postings.push_back(uint64_t{k} << 32 | node.slot);
        ++live[k];
      }
      if (node.next == kEmpty) {
        walks[j] = walks.back();
        walks.pop_back();
      } else {
        __builtin_prefetch(&nodes_[node.next]);
        walks[j].first = node.next;
        ++j;
      }
    }
  }
  // At most half full, whatever the number of distinct slots.
  scratch->Reset(2 * postings.size());
  for (uint64_t p : postings) {
    scratch->Add(static_cast<uint32_t>(p), live[p >> 32] <= rare_postings);
  }
  for (uint32_t i : scratch->taken) {
    const uint64_t cell = scratch->tally[i];
    const auto slot = static_cast<uint32_t>(cell >> 32);
    const auto shared = static_cast<uint32_t>((cell >> 16) & 0xFFFF);
    const auto rare = static_cast<uint32_t>(cell & 0xFFFF);
    if (rare == 0 && shared < common_needed) continue;
    out->push_back(Candidate{0, 0, shared, rare, slot});
  }
  // Slots are numbered in insertion order (a rehash keeps their order): the last tie-break is
  // "earliest inserted", without a stable sort's buffer allocation. A total order, so the best
  // max_out are the same whichever way they are picked.
  const auto better = [](const Candidate& a, const Candidate& b) {
    if (a.shared_keys != b.shared_keys) return a.shared_keys > b.shared_keys;
    if (a.rare_keys != b.rare_keys) return a.rare_keys > b.rare_keys;
    return a.slot < b.slot;
  };
  if (out->size() > max_out) {
    std::nth_element(out->begin(), out->begin() + static_cast<ptrdiff_t>(max_out), out->end(),
                     better);
    out->resize(max_out);
  }
  std::sort(out->begin(), out->end(), better);
  // Only the candidates returned read their slot (a random place in a large array).
  for (const Candidate& c : *out) __builtin_prefetch(&slots_[c.slot]);
  for (Candidate& c : *out) {
    c.id_hash = slots_[c.slot].id_hash;
    c.bucket = slots_[c.slot].bucket;
  }
}

void LshIndex::ExpireBefore(uint32_t min_bucket) {
  if (min_bucket <= min_bucket_) return;
  min_bucket_ = min_bucket;
  size_t dead_entries = 0;
  bool expired = false;
  for (auto it = per_bucket_.begin(); it != per_bucket_.end() && it->first < min_bucket;) {
    live_slots_ -= it->second.first;
    live_entries_ -= it->second.second;
    dead_entries += it->second.second;
    it = per_bucket_.erase(it);
    expired = true;
  }
  // One pass over the slots when a bucket with articles leaves the window (once per bucket
  // length of event time).
  if (expired) {
    for (size_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].bucket < min_bucket) SetLive(static_cast<uint32_t>(s), false);
    }
  }
  // Give memory back promptly once a third of the table is dead.
  if (dead_entries > 0 && 3 * (postings_ - live_entries_) > postings_) Rehash(0, 0);
}

void LshIndex::Rehash(size_t extra_entries, size_t extra_slots) {
  std::vector<uint32_t> remap(slots_.size(), kEmpty);
  std::vector<Slot> slots;
  slots.reserve(live_slots_ + extra_slots);
  std::vector<uint16_t> check;
  check.reserve((live_slots_ + extra_slots) * check_samples_);
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (!Live(static_cast<uint32_t>(s))) continue;
    remap[s] = static_cast<uint32_t>(slots.size());
    slots.push_back(slots_[s]);
    check.insert(check.end(), check_.begin() + static_cast<ptrdiff_t>(s * check_samples_),
                 check_.begin() + static_cast<ptrdiff_t>((s + 1) * check_samples_));
  }
  check_.swap(check);
  check = {};
  std::vector<KeyCell> old_keys;
  old_keys.swap(keys_);
  std::vector<Node> old_nodes;
  old_nodes.swap(nodes_);
  const auto cells = [](size_t n) {
    return std::max(kMinCells, static_cast<size_t>(static_cast<double>(n) / kTargetLoad) + 1);
  };
  // Live keys are at most the keys held and at most the live postings.
  keys_.assign(cells(std::min(keys_used_, live_entries_) + extra_entries), KeyCell{0, kEmpty});
  size_t chained = 0;
  for (const KeyCell& c : old_keys) {
    if (c.ref != kEmpty && (c.ref & kChain)) {
      for (uint32_t n = c.ref & ~kChain; n != kEmpty; n = old_nodes[n].next) ++chained;
    }
  }
  nodes_.reserve(std::min(chained, live_entries_) + extra_entries);
  keys_used_ = 0;
  postings_ = 0;
  // Chains are rebuilt oldest first, so that each keeps its newest-first order.
  std::vector<uint32_t> chain;
  for (const KeyCell& c : old_keys) {
    if (c.ref == kEmpty) continue;
    chain.clear();
    if ((c.ref & kChain) == 0) {
      if (remap[c.ref] != kEmpty) chain.push_back(remap[c.ref]);
    } else {
      for (uint32_t n = c.ref & ~kChain; n != kEmpty; n = old_nodes[n].next) {
        if (remap[old_nodes[n].slot] != kEmpty) chain.push_back(remap[old_nodes[n].slot]);
      }
    }
    if (chain.empty()) continue;
    KeyCell* cell = FindKey(c.key);
    for (size_t j = chain.size(); j-- > 0;) AddPosting(cell, c.key, chain[j]);
  }
  old_keys = {};
  old_nodes = {};
  slots_.swap(slots);
  slots = {};
  live_bits_.assign((slots_.size() + extra_slots + 63) / 64, 0);
  for (size_t s = 0; s < slots_.size(); ++s) SetLive(static_cast<uint32_t>(s), true);
  id_map_.assign(cells(live_slots_ + extra_slots), kEmpty);
  id_used_ = 0;
  for (size_t s = 0; s < slots_.size(); ++s) IdMapPut(slots_[s].id_hash, static_cast<uint32_t>(s));
#if defined(__GLIBC__)
  // The old tables were tens or hundreds of MB; glibc keeps freed heap pages unless asked, and
  // a rehash is rare (growth, or a third of the postings dead), so give them back now.
  malloc_trim(0);
#endif
}

size_t LshIndex::MemoryBytes() const {
  return slots_.capacity() * sizeof(Slot) + check_.capacity() * sizeof(uint16_t) +
         live_bits_.capacity() * sizeof(uint64_t) + keys_.capacity() * sizeof(KeyCell) +
         nodes_.capacity() * sizeof(Node) + id_map_.capacity() * sizeof(uint32_t) +
         per_bucket_.size() * 64;
}

}  // namespace newsflow::dedup
