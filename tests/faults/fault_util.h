// Helpers for the fault-injection tests: newsflowd's KafkaDaemon run in-process (memory state,
// admin server on a free port) against any bootstrap, the input/verification bookkeeping
// (records in, out, dead-lettered, lost, duplicated, committed past delivery) and the report
// row each scenario appends to $NEWSFLOW_FAULTS_REPORT for scripts/faults.sh.
// Test-only; each object is used from the test's thread (the daemon runs on its own).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/kafka_daemon.h"
#include "daemon/setup.h"

namespace newsflow::testing {

// Records per scenario: $NEWSFLOW_FAULTS_RECORDS, else `fallback`.
size_t RecordCount(size_t fallback);

// The topics and group of one scenario, with unique names.
struct Topics {
  explicit Topics(const std::string& scenario);
  std::string input, output, dead_letter, group;
};

// The input of a scenario: `per_partition` records produced to each of `partitions`
// partitions in order, so the key "p<P>-<offset>" names each record's input offset. Every
// `poison_every`-th record (0: none) is not JSON and must be dead-lettered.
struct Input {
  int partitions = 4;
  size_t per_partition = 0;
  size_t poison_every = 0;
  size_t total() const { return per_partition * static_cast<size_t>(partitions); }
  size_t poison() const;
  // Produces it through the harness (NEWSFLOW_TEST_KAFKA names the cluster).
  void ProduceTo(const std::string& topic) const;
};

// KafkaDaemon in a thread of this process. `sets` are --set flags on top of the defaults
// written here (topics, group, pipeline.stages=[], 127.0.0.1:0 admin, 200 ms commits).
class InProcessDaemon {
 public:
  InProcessDaemon(const std::string& bootstrap, const Topics& topics,
                  std::vector<std::string> sets = {});
  ~InProcessDaemon();  // stops and joins
  // Waits until acknowledged outputs + dead letters reach `n`; false on timeout or exit.
  bool WaitAcked(size_t n, std::chrono::milliseconds timeout);
  // Waits for Run() to return by itself (fatal error).
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  int Stop();  // Stop(), join; returns Run()'s exit code
  size_t Acked() const;
  KafkaDaemon::Counts counts() const { return daemon_->counts(); }
  // Sum over every series of the metric family `name` in the daemon's registry.
  double Metric(const std::string& name) const;
  // HTTP status of GET `path` on the admin server (0 when it does not answer).
  int AdminStatus(const std::string& path) const;
  bool exited() const { return exited_; }

 private:
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<KafkaDaemon> daemon_;
  std::thread thread_;
  std::atomic<uint16_t> admin_port_{0};
  std::atomic<bool> exited_{false};
  std::atomic<int> exit_code_{-1};
};

// What came out, checked against the input.
struct Verdict {
  size_t in = 0, out = 0, dead_lettered = 0, lost = 0, duplicated = 0;
  size_t poison_not_dead_lettered = 0;
  // Partitions whose committed offset covers an input record with no output or dead letter.
  std::vector<std::string> committed_past_delivery;
  std::map<int32_t, int64_t> committed;
};
// Reads the output and dead-letter topics (through the harness) and compares. `partial`: not
// everything is expected to be there yet (after a fatal stop): read what there is.
Verdict Verify(const Topics& topics, const Input& input, bool partial = false);

// Prints one scenario row and appends it (tab-separated) to $NEWSFLOW_FAULTS_REPORT.
void ReportRow(const std::string& scenario, const Verdict& v, double recovery_seconds,
               const std::string& note);

double SecondsSince(std::chrono::steady_clock::time_point t);

}  // namespace newsflow::testing
