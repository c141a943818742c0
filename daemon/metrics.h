// DaemonMetrics: every metric the daemon itself exports (docs/metrics.md), resolved once.
//
// Handles are created at start-up; the hot path only increments or observes through stored
// pointers. Per-partition gauges are created when a partition is first assigned (a bounded
// set: the topic's partitions). Refresh*() methods are called from the consumer thread about
// once a second. Thread-safe as prometheus-cpp metrics are.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "state/store.h"

namespace newsflow {

class DaemonMetrics {
 public:
  explicit DaemonMetrics(prometheus::Registry& registry);

  prometheus::Gauge* ready;
  prometheus::Counter* consumed;
  prometheus::Counter* produced;
  prometheus::Counter* output_delivery_failures;
  prometheus::Counter* dead_letter_delivery_failures;
  prometheus::Histogram* end_to_end_latency;
  prometheus::Histogram* processing_latency;
  prometheus::Counter* commits;
  prometheus::Counter* commit_failures;
  prometheus::Counter* rebalance_assign;
  prometheus::Counter* rebalance_revoke;
  prometheus::Counter* rebalance_lost;
  prometheus::Gauge* assigned_partitions;
  prometheus::Gauge* paused_partitions;
  prometheus::Gauge* in_flight;
  prometheus::Gauge* queued_bytes;
  prometheus::Counter* kafka_errors_transient;
  prometheus::Counter* kafka_errors_fatal;

  // Labelled by declared (bounded) stage and reason names.
  void DeadLettered(std::string_view stage, std::string_view reason);
  void Dropped(std::string_view stage, std::string_view reason);

  struct PartitionGauges {
    prometheus::Gauge* lag_records;
    prometheus::Gauge* lag_seconds;
    prometheus::Gauge* committed_offset;
  };
  PartitionGauges& Partition(int32_t partition);

  void RefreshProcess();
  void RefreshState(state::Store& store);

 private:
  prometheus::Family<prometheus::Counter>& dead_lettered_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Gauge>& lag_records_;
  prometheus::Family<prometheus::Gauge>& lag_seconds_;
  prometheus::Family<prometheus::Gauge>& committed_offset_;
  prometheus::Counter* cpu_seconds_;
  prometheus::Gauge* rss_bytes_;
  prometheus::Gauge* open_fds_;
  prometheus::Gauge* state_live_bytes_;
  prometheus::Gauge* state_sst_files_;
  prometheus::Gauge* state_pending_compaction_;
  prometheus::Counter* state_write_stalls_;
  prometheus::Gauge* state_keys_;
  prometheus::Gauge* state_memtables_;
  prometheus::Gauge* state_block_cache_;
  double last_cpu_seconds_ = 0;
  uint64_t last_stalls_ = 0;
  std::mutex mu_;
  std::map<int32_t, PartitionGauges> partitions_;
};

}  // namespace newsflow
