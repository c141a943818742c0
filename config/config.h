// The daemon's typed configuration: YAML file, then environment overrides, then --set flags.
//
// Every field carries its meaning, range and default beside it; the example file
// config/newsflow.example.yaml documents the same keys and is loaded by a test. Stage options
// (the `stages:` mapping) belong to each stage and are parsed by that stage's factory from
// `stages_node`; this module does not know them. Loading reports every error at once, each with
// its path. Control plane only: not used on the per-record path; not thread-safe while loading,
// immutable afterwards.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/section.h"

namespace newsflow::config {

struct KafkaConfig {
  // Bootstrap servers, "host:port[,host:port]". Default: "127.0.0.1:9092". Ignored when
  // `embedded` is true.
  std::string brokers = "127.0.0.1:9092";
  // Start librdkafka's in-process mock cluster and use it instead of `brokers` (quickstart and
  // demos only: it keeps nothing across restarts). Default: false.
  bool embedded = false;
  // Topic of raw articles. Default: "articles.raw".
  std::string input_topic = "articles.raw";
  // Topic of enriched records. Default: "articles.enriched".
  std::string output_topic = "articles.enriched";
  // Topic for records that cannot be processed (original bytes, reason headers). Required: a
  // bad record is never skipped silently. Default: "articles.dead-letter".
  std::string dead_letter_topic = "articles.dead-letter";
  // Consumer group id. Default: "newsflow".
  std::string group_id = "newsflow";
  // Where a group with no committed offset starts: "earliest" or "latest". Default: "earliest".
  std::string auto_offset_reset = "earliest";
  // librdkafka properties for both the consumer and the producer (security.protocol,
  // sasl.*, ssl.*, ...); values may be given as "${ENV_NAME}" to read a secret from the
  // environment. Secrets are never logged. Default: empty.
  std::map<std::string, std::string> properties;
  // Extra librdkafka properties for the consumer only / producer only. Default: empty.
  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
};

struct InputConfig {
  // "json": each record value is a JSON object (see docs/records.md). "raw": the value is a bare
  // article body and the Kafka key is its id. Default: "json".
  std::string format = "json";
  // With format "raw": is the body "html", "text", or "auto" (HTML when it starts with '<' after
  // white space). Default: "auto".
  std::string raw_body = "auto";
  // Records larger than this many bytes are dead-lettered (reason too_large).
  // Range: [1024, 268435456]. Default: 10485760 (10 MiB).
  int64_t max_record_bytes = 10 * 1024 * 1024;
  // What to do with invalid UTF-8: "dead_letter" (reason invalid_utf8) or "repair" (replace each
  // invalid sequence with U+FFFD and go on). Default: "dead_letter".
  std::string invalid_utf8 = "dead_letter";
};

struct PipelineConfig {
  // The stage chain, in order. Known stages: clean, language, dedup, entities.
  // Default: all four in that order.
  std::vector<std::string> stages = {"clean", "language", "dedup", "entities"};
  // Worker threads running the chain; each input partition is handled by one worker, so more
  // workers than assigned partitions idle. Range: [1, 256]. Default: 2.
  int64_t workers = 2;
  // Records consumed but not yet acknowledged, over all partitions; above it partitions are
  // paused. It bounds the worker queues. Queued records are not started on a rebalance or
  // shutdown (they are consumed again by the next owner), so a deep queue costs memory, not
  // duplicates; a shallow one costs throughput (each pause drops librdkafka's prefetched
  // records, each resume fetches them again). Range: [1, 1000000]. Default: 20000.
  int64_t max_in_flight = 20000;
  // The same bound per partition. Range: [1, 1000000]. Default: 5000.
  int64_t max_in_flight_per_partition = 5000;
  // Input bytes of records consumed and not yet through the stage chain (waiting for a worker
  // or inside one); above it partitions are paused. With max_in_flight it bounds the worker
  // queues' memory whatever the record sizes; outputs awaiting acknowledgement are bounded by
  // the producer's queue.buffering.max.kbytes (set to 262144 unless kafka.producer names it).
  // 64 MiB holds seconds of work for the workers at the mix's ~32 KB per article; a larger
  // bound adds memory, not throughput (docs/benchmarks.md, "Both workers busy").
  // Range: [4096, 68719476736]. Default: 67108864 (64 MiB).
  int64_t max_queued_bytes = 64LL * 1024 * 1024;
  // How often acknowledged offsets are committed, in milliseconds. Range: [10, 600000].
  // Default: 1000.
  int64_t commit_interval_ms = 1000;
  // On SIGTERM/SIGINT, how long to wait for in-flight records to be acknowledged before
  // committing what is done and exiting. Range: [0, 3600000]. Default: 30000.
  int64_t shutdown_grace_ms = 30000;
};

struct StateConfig {
  // Directory of the RocksDB state (dedup index, verdicts). Created if missing.
  // Default: "/var/lib/newsflow/state".
  std::string dir = "/var/lib/newsflow/state";
  // RocksDB block cache size in MiB. Range: [8, 65536]. Default: 64.
  int64_t block_cache_mb = 64;
  // RocksDB memtable size in MiB; at most three are held (3x this in memory). Range:
  // [4, 4096]. Default: 32.
  int64_t write_buffer_mb = 32;
  // What to do when the state directory cannot be opened because it is corrupt: "fail" (exit
  // with an error) or "rebuild" (move it aside, start empty, log a warning). Default: "fail".
  std::string on_corruption = "fail";
};

struct AdminConfig {
  // Address of the admin HTTP server (/metrics, /healthz, /readyz). Default: "0.0.0.0".
  std::string listen = "0.0.0.0";
  // Its port; 0 picks a free one (tests). Range: [0, 65535]. Default: 8080.
  int64_t port = 8080;
};

struct LoggingConfig {
  // "debug", "info", "warn" or "error". Default: "info".
  std::string level = "info";
  // "text" or "json" (JSON lines). Default: "text".
  std::string format = "text";
};

struct Config {
  KafkaConfig kafka;
  InputConfig input;
  PipelineConfig pipeline;
  StateConfig state;
  AdminConfig admin;
  LoggingConfig logging;
  // The raw `stages:` mapping; each stage's factory parses its own part.
  YAML::Node stages_node;
};

// Parses a complete document (after overrides). Errors are appended to `errors`, and unknown
// top-level keys under the known sections are reported. Stage sections are not checked here.
Config ParseConfig(const YAML::Node& root, Errors* errors);

// Reads `path` ("" means no file: all defaults), applies environment overrides from `env`
// (entries "NEWSFLOW_<SECTION>__<KEY>=value", e.g. NEWSFLOW_KAFKA__BROKERS; nested keys joined
// by "__"; keys lowercased) and then `sets` ("section.key=value", from --set flags), and parses
// the result. Values are YAML scalars or flow collections ("[clean, dedup]").
// On a file or YAML syntax error, the error is recorded and a default Config returned.
Config LoadConfig(const std::string& path, const std::vector<std::string>& env,
                  const std::vector<std::string>& sets, Errors* errors);

// librdkafka properties with values of secret-looking keys (password, secret, key, token,
// sasl.jaas) replaced by "***", for logging.
std::map<std::string, std::string> RedactedProperties(
    const std::map<std::string, std::string>& props);

// Resolves "${NAME}" values from the environment. Missing variables are recorded as errors.
std::map<std::string, std::string> ResolveSecrets(const std::map<std::string, std::string>& props,
                                                  const std::string& path, Errors* errors);

}  // namespace newsflow::config
