#include "daemon/metrics.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stages/core/record.h"

namespace newsflow {
namespace {

prometheus::Counter* Counter(prometheus::Registry& r, const std::string& name,
                             const std::string& help, const prometheus::Labels& labels = {}) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add(labels);
}

prometheus::Gauge* Gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

}  // namespace

DaemonMetrics::DaemonMetrics(prometheus::Registry& r)
    : dead_lettered_(prometheus::BuildCounter()
                         .Name("newsflow_records_dead_lettered_total")
                         .Help("Records acknowledged on the dead-letter topic, by stage and reason")
                         .Register(r)),
      dropped_(prometheus::BuildCounter()
                   .Name("newsflow_records_dropped_total")
                   .Help("Records a stage dropped (no output record; offset committed)")
                   .Register(r)),
      lag_records_(prometheus::BuildGauge()
                       .Name("newsflow_consumer_lag_records")
                       .Help("High watermark minus the next offset to consume, per partition")
                       .Register(r)),
      lag_seconds_(prometheus::BuildGauge()
                       .Name("newsflow_consumer_lag_seconds")
                       .Help("Age of the oldest unacknowledged record, per partition; 0 when "
                             "caught up")
                       .Register(r)),
      committed_offset_(prometheus::BuildGauge()
                            .Name("newsflow_committed_offset")
                            .Help("Last committed offset, per partition")
                            .Register(r)) {
  prometheus::BuildGauge()
      .Name("newsflow_build_info")
      .Help("Build information; always 1")
      .Register(r)
      .Add({{"version", NewsflowVersion()}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("newsflow_process_start_time_seconds")
      .Help("Unix time the process started")
      .Register(r)
      .Add({})
      .Set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
               .count());
  ready = Gauge(r, "newsflow_ready", "1 when ready: connected, state open, not draining");
  consumed = Counter(r, "newsflow_records_consumed_total", "Records fetched from the input topic");
  produced = Counter(r, "newsflow_records_produced_total",
                     "Enriched records acknowledged by the broker");
  auto& failures = prometheus::BuildCounter()
                       .Name("newsflow_delivery_failures_total")
                       .Help("Produce attempts the broker did not acknowledge")
                       .Register(r);
  output_delivery_failures = &failures.Add({{"topic_kind", "output"}});
  dead_letter_delivery_failures = &failures.Add({{"topic_kind", "dead_letter"}});
  end_to_end_latency = &prometheus::BuildHistogram()
                            .Name("newsflow_end_to_end_latency_seconds")
                            .Help("Input record timestamp to output acknowledged")
                            .Register(r)
                            .Add({}, kLatencyBuckets);
  processing_latency = &prometheus::BuildHistogram()
                            .Name("newsflow_processing_latency_seconds")
                            .Help("Consumed to output acknowledged")
                            .Register(r)
                            .Add({}, kLatencyBuckets);
  commits = Counter(r, "newsflow_commits_total", "Successful offset commits");
  commit_failures = Counter(r, "newsflow_commit_failures_total", "Failed offset commits");
  auto& rebalances = prometheus::BuildCounter()
                         .Name("newsflow_rebalances_total")
                         .Help("Rebalance events by type")
                         .Register(r);
  rebalance_assign = &rebalances.Add({{"type", "assign"}});
  rebalance_revoke = &rebalances.Add({{"type", "revoke"}});
  rebalance_lost = &rebalances.Add({{"type", "lost"}});
  assigned_partitions = Gauge(r, "newsflow_assigned_partitions", "Partitions currently assigned");
  paused_partitions =
      Gauge(r, "newsflow_paused_partitions", "Partitions paused for back-pressure");
  in_flight = Gauge(r, "newsflow_in_flight_records", "Consumed but not yet acknowledged");
  queued_bytes = Gauge(r, "newsflow_queued_input_bytes",
                       "Input bytes consumed and not yet through the stage chain");
  auto& kafka_errors = prometheus::BuildCounter()
                           .Name("newsflow_kafka_errors_total")
                           .Help("Client errors reported by librdkafka, by kind")
                           .Register(r);
  kafka_errors_transient = &kafka_errors.Add({{"kind", "transient"}});
  kafka_errors_fatal = &kafka_errors.Add({{"kind", "fatal"}});
  cpu_seconds_ = Counter(r, "newsflow_process_cpu_seconds_total",
                         "User and system CPU time of the process");
  rss_bytes_ = Gauge(r, "newsflow_process_resident_memory_bytes", "Resident set size");
  open_fds_ = Gauge(r, "newsflow_process_open_fds", "Open file descriptors");
  state_live_bytes_ = Gauge(r, "newsflow_state_live_data_bytes", "RocksDB estimated live data");
  state_sst_files_ = Gauge(r, "newsflow_state_sst_files", "RocksDB SST files");
  state_pending_compaction_ = Gauge(r, "newsflow_state_pending_compaction_bytes",
                                    "RocksDB estimated pending compaction bytes");
  state_write_stalls_ = Counter(r, "newsflow_state_write_stalls_total",
                                "RocksDB stalled or slowed-down writes");
  state_keys_ = Gauge(r, "newsflow_state_estimated_keys", "RocksDB estimated number of keys");
  auto& state_memory = prometheus::BuildGauge()
                           .Name("newsflow_state_memory_bytes")
                           .Help("Memory RocksDB holds, by part")
                           .Register(r);
  state_memtables_ = &state_memory.Add({{"part", "memtables"}});
  state_block_cache_ = &state_memory.Add({{"part", "block_cache"}});
}

void DaemonMetrics::DeadLettered(std::string_view stage, std::string_view reason) {
  dead_lettered_.Add({{"stage", std::string(stage)}, {"reason", std::string(reason)}})
      .Increment();
}

void DaemonMetrics::Dropped(std::string_view stage, std::string_view reason) {
  dropped_.Add({{"stage", std::string(stage)}, {"reason", std::string(reason)}}).Increment();
}

DaemonMetrics::PartitionGauges& DaemonMetrics::Partition(int32_t partition) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it != partitions_.end()) return it->second;
  const prometheus::Labels labels{{"partition", std::to_string(partition)}};
  PartitionGauges g{&lag_records_.Add(labels), &lag_seconds_.Add(labels),
                    &committed_offset_.Add(labels)};
  return partitions_.emplace(partition, g).first->second;
}

void DaemonMetrics::RefreshProcess() {
  // /proc/self/stat fields 14 and 15 are utime and stime in clock ticks; statm's second field is
  // resident pages.
  std::ifstream stat("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = content.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(content.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    const double cpu = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    if (cpu > last_cpu_seconds_) {
      cpu_seconds_->Increment(cpu - last_cpu_seconds_);
      last_cpu_seconds_ = cpu;
    }
  }
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  if (statm >> pages_total >> pages_resident)
    rss_bytes_->Set(static_cast<double>(pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE))));
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  open_fds_->Set(static_cast<double>(fds));
}

void DaemonMetrics::RefreshState(state::Store& store) {
  const state::StoreStats s = store.Stats();
  state_live_bytes_->Set(static_cast<double>(s.live_data_bytes));
  state_sst_files_->Set(static_cast<double>(s.sst_files));
  state_pending_compaction_->Set(static_cast<double>(s.pending_compaction_bytes));
  state_keys_->Set(static_cast<double>(s.estimated_keys));
  state_memtables_->Set(static_cast<double>(s.memtable_bytes));
  state_block_cache_->Set(static_cast<double>(s.block_cache_bytes));
  if (s.write_stalls > last_stalls_) {
    state_write_stalls_->Increment(static_cast<double>(s.write_stalls - last_stalls_));
    last_stalls_ = s.write_stalls;
  }
}

}  // namespace newsflow
