// OffsetTracker: which input offsets may be committed, per partition.
//
// An offset becomes committable only when its output (or dead-letter) record and the records
// of every earlier offset of that partition have been acknowledged by the broker. Each
// assignment of a partition gets a new epoch; acknowledgements carrying an older epoch (a
// partition revoked and perhaps re-assigned meanwhile) are ignored, so we never commit for a
// partition we no longer own. Thread-safe: the consumer thread adds and commits, the delivery
// thread acknowledges; one mutex guards everything (operations are O(log n) and short).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace newsflow {

class OffsetTracker {
 public:
  struct Committable {
    int32_t partition;
    uint64_t epoch;
    int64_t offset;  // the next offset to consume: last acknowledged contiguous offset + 1
  };
  struct PartitionState {
    int32_t partition;
    size_t in_flight;
    int64_t oldest_in_flight_ts_ms;  // Kafka timestamp of the oldest unacknowledged record
  };

  // Starts tracking `partition` under a new epoch, returned. Forgets any earlier epoch.
  uint64_t Assign(int32_t partition);
  // Stops tracking `partition`; later acknowledgements for it are ignored.
  void Revoke(int32_t partition);
  bool Owned(int32_t partition, uint64_t epoch) const;

  // Records that `offset` was consumed. Offsets of a partition must be added in increasing
  // order. Returns false when the partition/epoch is not owned (the record must be skipped).
  bool Add(int32_t partition, uint64_t epoch, int64_t offset, int64_t timestamp_ms);
  // A worker is about to process `offset`. False when the partition is no longer owned or is
  // being given up (StopStarting): the record is then skipped, stays unacknowledged and so
  // blocks commits past it: the next owner consumes it again.
  bool Start(int32_t partition, uint64_t epoch, int64_t offset);
  // No new record of `partition` (all when empty) may start; records already started finish.
  void StopStarting(const std::vector<int32_t>& partitions = {});
  // Started but not yet acknowledged records of `partition` (all when empty).
  size_t Started(const std::vector<int32_t>& partitions = {}) const;
  // Marks `offset` acknowledged. Returns false when the epoch is stale or the offset unknown.
  bool Ack(int32_t partition, uint64_t epoch, int64_t offset);

  // Offsets that advanced since the last MarkCommitted, for the given partitions (all when
  // empty).
  std::vector<Committable> PendingCommits(const std::vector<int32_t>& partitions = {}) const;
  void MarkCommitted(int32_t partition, uint64_t epoch, int64_t offset);
  std::optional<int64_t> LastCommitted(int32_t partition) const;

  size_t InFlight() const;
  size_t InFlight(int32_t partition) const;
  std::vector<PartitionState> States() const;
  uint64_t Epoch(int32_t partition) const;  // 0 when not owned

 private:
  struct Pending {
    int64_t offset;
    int64_t timestamp_ms;
    bool acked;
    bool started;
  };
  struct Partition {
    uint64_t epoch = 0;
    std::deque<Pending> pending;      // consumed, in offset order, front not yet acknowledged
    int64_t committable = -1;         // next offset to commit; -1 when nothing yet
    int64_t committed = -1;           // last committed (next offset), -1 when none
    size_t started = 0;               // started, not yet acknowledged
    bool stopping = false;            // StopStarting: no new record may start
  };
  mutable std::mutex mu_;
  std::map<int32_t, Partition> partitions_;
  uint64_t next_epoch_ = 1;
  size_t in_flight_ = 0;
};

}  // namespace newsflow
