#include "daemon/offset_tracker.h"

#include <algorithm>

namespace newsflow {

uint64_t OffsetTracker::Assign(int32_t partition) {
  std::lock_guard lock(mu_);
  Partition& p = partitions_[partition];
  in_flight_ -= p.pending.size();
  p = Partition{};
  p.epoch = next_epoch_++;
  return p.epoch;
}

void OffsetTracker::Revoke(int32_t partition) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  in_flight_ -= it->second.pending.size();
  partitions_.erase(it);
}

bool OffsetTracker::Owned(int32_t partition, uint64_t epoch) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  return it != partitions_.end() && it->second.epoch == epoch;
}

bool OffsetTracker::Add(int32_t partition, uint64_t epoch, int64_t offset, int64_t ts) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || it->second.epoch != epoch) return false;
  Partition& p = it->second;
  if (!p.pending.empty() && offset <= p.pending.back().offset) return false;
  p.pending.push_back({offset, ts, false, false});
  ++in_flight_;
  return true;
}

bool OffsetTracker::Ack(int32_t partition, uint64_t epoch, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || it->second.epoch != epoch) return false;
  Partition& p = it->second;
  auto pos = std::lower_bound(p.pending.begin(), p.pending.end(), offset,
                              [](const Pending& e, int64_t o) { return e.offset < o; });
  if (pos == p.pending.end() || pos->offset != offset || pos->acked) return false;
  pos->acked = true;
  if (pos->started) --p.started;
  while (!p.pending.empty() && p.pending.front().acked) {
    p.committable = p.pending.front().offset + 1;
    p.pending.pop_front();
    --in_flight_;
  }
  return true;
}

bool OffsetTracker::Start(int32_t partition, uint64_t epoch, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || it->second.epoch != epoch || it->second.stopping) return false;
  Partition& p = it->second;
  auto pos = std::lower_bound(p.pending.begin(), p.pending.end(), offset,
                              [](const Pending& e, int64_t o) { return e.offset < o; });
  if (pos == p.pending.end() || pos->offset != offset || pos->started) return false;
  pos->started = true;
  ++p.started;
  return true;
}

void OffsetTracker::StopStarting(const std::vector<int32_t>& only) {
  std::lock_guard lock(mu_);
  for (auto& [id, p] : partitions_)
    if (only.empty() || std::find(only.begin(), only.end(), id) != only.end()) p.stopping = true;
}

size_t OffsetTracker::Started(const std::vector<int32_t>& only) const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, p] : partitions_)
    if (only.empty() || std::find(only.begin(), only.end(), id) != only.end()) n += p.started;
  return n;
}

std::vector<OffsetTracker::Committable> OffsetTracker::PendingCommits(
    const std::vector<int32_t>& only) const {
  std::lock_guard lock(mu_);
  std::vector<Committable> out;
  for (const auto& [id, p] : partitions_) {
    if (!only.empty() && std::find(only.begin(), only.end(), id) == only.end()) continue;
    if (p.committable >= 0 && p.committable > p.committed) out.push_back({id, p.epoch, p.committable});
  }
  return out;
}

void OffsetTracker::MarkCommitted(int32_t partition, uint64_t epoch, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || it->second.epoch != epoch) return;
  it->second.committed = std::max(it->second.committed, offset);
}

std::optional<int64_t> OffsetTracker::LastCommitted(int32_t partition) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || it->second.committed < 0) return std::nullopt;
  return it->second.committed;
}

size_t OffsetTracker::InFlight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

size_t OffsetTracker::InFlight(int32_t partition) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  return it == partitions_.end() ? 0 : it->second.pending.size();
}

std::vector<OffsetTracker::PartitionState> OffsetTracker::States() const {
  std::lock_guard lock(mu_);
  std::vector<PartitionState> out;
  for (const auto& [id, p] : partitions_) {
    out.push_back({id, p.pending.size(),
                   p.pending.empty() ? -1 : p.pending.front().timestamp_ms});
  }
  return out;
}

uint64_t OffsetTracker::Epoch(int32_t partition) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  return it == partitions_.end() ? 0 : it->second.epoch;
}

}  // namespace newsflow
