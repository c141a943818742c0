// Integration-test harness: a real Kafka broker (address from NEWSFLOW_TEST_KAFKA, started by
// scripts/kafka.sh), topic administration, producing and reading records, committed offsets,
// and newsflowd run as a child process that tests can signal or kill.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace newsflow::testing {

// The broker's bootstrap address; fails the test (REQUIRE) when NEWSFLOW_TEST_KAFKA is unset.
std::string KafkaBootstrap();
// A name unique to this run, for topics and groups.
std::string UniqueName(const std::string& prefix);

void CreateTopic(const std::string& topic, int partitions);

struct Record {
  std::string key;
  std::string value;
  int32_t partition = -1;
  int64_t offset = -1;
  std::map<std::string, std::string> headers;
};

// Produces the values (with keys when given) and waits until all are acknowledged.
// `timestamp_ms` > 0 sets every record's timestamp.
void Produce(const std::string& topic, const std::vector<std::string>& values,
             const std::vector<std::string>& keys = {}, int32_t partition = -1,
             int64_t timestamp_ms = 0);

// Reads the whole topic from the beginning until `expected` records were read and no more
// arrive for `quiet`, or `timeout` passes.
std::vector<Record> ReadAll(const std::string& topic, size_t expected,
                            std::chrono::milliseconds timeout,
                            std::chrono::milliseconds quiet = std::chrono::milliseconds(1500));

// Committed offsets of `group` on `topic`, per partition (absent when none committed).
std::map<int32_t, int64_t> CommittedOffsets(const std::string& group, const std::string& topic,
                                            int partitions);
// High watermarks per partition.
std::map<int32_t, int64_t> EndOffsets(const std::string& topic, int partitions);

// A JSON input record with a distinct, realistic-looking body.
std::string ArticleJson(const std::string& id, size_t body_bytes = 600);

// newsflowd as a child process, its stderr in a log file.
class DaemonProcess {
 public:
  DaemonProcess(std::vector<std::string> args, std::string log_path);
  ~DaemonProcess();  // kills (SIGKILL) if still running
  void Signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed) or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool Running();
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> status_;
};

// Writes a daemon config for the given topics/group/state dir; `extra` is appended YAML.
std::string WriteConfig(const std::string& dir, const std::string& input,
                        const std::string& output, const std::string& dead_letter,
                        const std::string& group, const std::string& extra);

// The `id` of an output record (REQUIREs valid JSON with a string id).
std::string IdOf(const std::string& json);

// Every stage this build registers, as a YAML flow list ("[clean, language, ...]"): the
// full chain.
std::string AllStages();

// Path of the newsflowd binary under test (NEWSFLOWD, set by ctest).
std::string NewsflowdPath();

// Waits until `pred` holds or the deadline passes; returns whether it held.
template <class Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace newsflow::testing
