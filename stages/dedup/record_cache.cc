#include "stages/dedup/record_cache.h"

#include <utility>

namespace newsflow::dedup {

size_t RecordCache::Bytes(const MatchRecord& r) {
  // The entry, its map node (about four words) and the two heap blocks.
  return sizeof(Entry) + 4 * sizeof(void*) + sizeof(uint64_t) + r.id.capacity() +
         r.samples.capacity() * sizeof(uint32_t);
}

const MatchRecord* RecordCache::Find(uint32_t bucket, uint64_t id_hash) const {
  const auto it = map_.find(Key{bucket, id_hash});
  if (it == map_.end()) return nullptr;
  return &order_[static_cast<size_t>(it->second - first_seq_)].record;
}

void RecordCache::Put(uint32_t bucket, uint64_t id_hash, MatchRecord record) {
  if (max_bytes_ == 0) return;
  const Key key{bucket, id_hash};
  const size_t bytes = Bytes(record);
  if (bytes > max_bytes_) return;
  if (const auto it = map_.find(key); it != map_.end()) {
    Entry& e = order_[static_cast<size_t>(it->second - first_seq_)];
    bytes_ = bytes_ - e.bytes + bytes;
    e.record = std::move(record);
    e.bytes = bytes;
  } else {
    map_.emplace(key, first_seq_ + order_.size());
    order_.push_back(Entry{key, std::move(record), bytes});
    bytes_ += bytes;
  }
  while (bytes_ > max_bytes_ && order_.size() > 1) {
    const Entry& front = order_.front();
    map_.erase(front.key);
    bytes_ -= front.bytes;
    order_.pop_front();
    ++first_seq_;
  }
}

}  // namespace newsflow::dedup
