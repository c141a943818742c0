// KafkaDaemon: consume -> stage chain -> produce, at least once, nothing lost.
//
// Threads: the caller's thread runs the consumer loop (poll, dispatch, back-pressure, commits,
// rebalances, metrics); `pipeline.workers` worker threads each run a RecordProcessor over the
// partitions hashed to them (so a partition's records are processed and produced in order);
// one delivery thread serves the producer's delivery reports, acknowledging offsets in the
// OffsetTracker. An input offset is committed only when it and every earlier offset of its
// partition have their output or dead-letter record acknowledged by the broker.
//
// Run() returns the process exit code: 0 after a clean drain (stop requested), 1 after a fatal
// error (a record the broker would not take, a fatal client error), having committed only
// what was delivered. Stop() may be called from any thread (signal handlers set a flag that
// the caller forwards).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/replay.h"
#include "daemon/setup.h"

namespace newsflow {

struct DaemonOptions {
  // Overrides kafka.brokers (embedded cluster, tests). Empty: use the config.
  std::string bootstrap_override;
  // Called once the daemon is ready (consumer created, admin server up), with the admin port.
  std::function<void(uint16_t admin_port)> on_ready;
  // Start the admin server (the demo runs without one).
  bool admin_server = true;
  // Checked by the consumer loop: set (e.g. from a signal handler) to drain and stop.
  const std::atomic<bool>* stop_flag = nullptr;
  // Replay mode (daemon/replay.h): a manual assignment of a range; exits when done.
  std::optional<ReplayOptions> replay;
};

class KafkaDaemon {
 public:
  KafkaDaemon(Runtime& runtime, DaemonOptions options);
  ~KafkaDaemon();
  int Run();
  void Stop();

  struct Counts {
    uint64_t consumed = 0, produced = 0, dead_lettered = 0, dropped = 0;
  };
  Counts counts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newsflow
