#include "stages/dedup/record_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace newsflow::dedup {

RecordCache::RecordCache(size_t max_bytes) {
  words_ = max_bytes / sizeof(uint32_t);
  if (words_ == 0) return;
  ring_.reset(new uint32_t[words_]);
  slots_.assign(std::bit_ceil(std::max<size_t>(max_bytes / 256, 64)), 0);
}

size_t RecordCache::Slot(uint32_t bucket, uint64_t id_hash) const {
  // The top bits of a multiplicative mix of the whole key.
  const uint64_t h = (id_hash + uint64_t{bucket} * 0x9E3779B97F4A7C15ULL) * 0xD6E8FEB86659FD93ULL;
  return static_cast<size_t>(h >> (64 - std::countr_zero(slots_.size())));
}

bool RecordCache::Find(uint32_t bucket, uint64_t id_hash, View* out) const {
  if (words_ == 0) return false;
  const uint64_t at = slots_[Slot(bucket, id_hash)];
  if (at == 0) return false;
  const uint64_t v = at - 1;
  // A word is overwritten when the head has gone one ring further: the record's first word
  // goes first.
  if (head_ - v > words_) return false;
  const uint32_t* p = ring_.get() + v % words_;
  Header h;
  std::memcpy(&h, p, sizeof h);
  if (h.id_hash != id_hash || h.bucket != bucket) return false;
  const uint32_t* id = p + kHeaderWords;
  out->id = std::string_view(reinterpret_cast<const char*>(id), h.id_bytes);
  out->event_ms = h.event_ms;
  out->text_hash = h.text_hash;
  out->samples = std::span<const uint32_t>(id + (h.id_bytes + 3) / 4, h.samples);
  return true;
}

void RecordCache::Put(uint32_t bucket, uint64_t id_hash, std::string_view id, int64_t event_ms,
                      uint64_t text_hash, std::span<const uint32_t> samples) {
  if (words_ == 0) return;
  const size_t id_words = (id.size() + 3) / 4;
  const size_t words = kHeaderWords + id_words + samples.size();
  const size_t n = words_;
  if (words > n) return;
  uint64_t v = head_;
  if (v % n + words > n) v += n - v % n;  // a record never wraps: start again at the front
  uint32_t* p = ring_.get() + v % n;
  Header h{};
  h.id_hash = id_hash;
  h.bucket = bucket;
  h.id_bytes = static_cast<uint32_t>(id.size());
  h.samples = static_cast<uint32_t>(samples.size());
  h.event_ms = event_ms;
  h.text_hash = text_hash;
  std::memcpy(p, &h, sizeof h);
  std::memcpy(p + kHeaderWords, id.data(), id.size());
  std::copy(samples.begin(), samples.end(), p + kHeaderWords + id_words);
  head_ = v + words;
  slots_[Slot(bucket, id_hash)] = v + 1;
}

}  // namespace newsflow::dedup
