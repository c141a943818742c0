// Replay: reprocessing a range of a topic (a backfill, or a dead-letter re-drive).
//
// A replay is the daemon's own path (same workers, stage chain, producer, offset tracking)
// with a manual assignment instead of a group subscription: it consumes [start, end) of every
// partition of the source topic and exits when all are done. Its progress is committed under
// its own consumer group (`<kafka.group_id>.replay.<name>`, never the live group), with each
// partition's end offset stored in the commit metadata, so a replay that is killed and started
// again with the same name resumes where it was and stops at the same end.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace newsflow {

struct ReplayOptions {
  std::string name = "replay";       // --name: identifies the replay's progress group
  std::string source_topic;          // --source-topic: default kafka.input_topic (or a DLQ)
  std::string output_topic;          // --output-topic: default kafka.output_topic
  // Start: a timestamp (epoch ms), explicit offsets per partition, or the beginning.
  std::optional<int64_t> from_time_ms;
  std::map<int32_t, int64_t> from_offsets;
  // End (exclusive): a timestamp, explicit offsets, or the high watermarks seen at start.
  std::optional<int64_t> to_time_ms;
  std::map<int32_t, int64_t> to_offsets;
  bool reset = false;                // --reset: ignore earlier progress of this replay name
  double max_records_per_s = 0;      // --rate: 0 = unlimited
  double max_bytes_per_s = 0;        // --mb-per-s (stored in bytes/s): 0 = unlimited
  int progress_interval_s = 5;       // structured progress lines when not on a terminal
};

// The range a replay covers, per partition: [start, end). Built at start.
struct ReplayRange {
  int64_t start = 0;
  int64_t end = 0;
  int64_t resume = 0;  // where this run starts (start, or the committed progress)
};

// "0:100,1:250" -> {0:100, 1:250}; returns false on a malformed list.
bool ParsePartitionOffsets(const std::string& text, std::map<int32_t, int64_t>* out);

}  // namespace newsflow
