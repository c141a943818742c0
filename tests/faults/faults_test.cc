// Fault injection: KafkaDaemon in-process against librdkafka's mock cluster (request errors,
// a broker going down and up, slow round trips, tight in-flight bounds) and against the real
// broker (restarted mid-stream), and newsflowd run against broken RocksDB state directories.
// Every Kafka scenario checks: no record lost, poison records dead-lettered, nothing committed
// past what was delivered, duplicates counted, readiness and metrics consistent. Each scenario
// appends a row to $NEWSFLOW_FAULTS_REPORT (scripts/faults.sh prints the table).
//
// Tags: [faults] mock cluster and state directories; [kafka] the real broker, at
// 127.0.0.1:$NEWSFLOW_FAULTS_KAFKA_PORT (restarted with scripts/kafka.sh restart), or
// NEWSFLOW_TEST_KAFKA when no port is given.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <functional>

#include "daemon/embedded_kafka.h"
#include "fault_util.h"
#include "harness.h"
#include "stages/builtin.h"
#include "state/rocks_store.h"
#include "test_util.h"

namespace newsflow::testing {
namespace {

namespace fs = std::filesystem;

// The --set flag that runs every registered stage.
std::string AllStagesSet() {
  StageRegistry registry;
  RegisterBuiltinStages(&registry);
  std::string names;
  for (const auto* f : registry.All()) names.append(names.empty() ? "" : ",").append(f->Name());
  return "pipeline.stages=[" + names + "]";
}
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Kafka protocol API keys the mock cluster takes for injected errors.
constexpr int16_t kProduce = 0, kFetch = 1, kOffsetCommit = 8, kJoinGroup = 11;

void CheckNothingLost(const Verdict& v, const Input& input, bool clean_stop) {
  INFO("in " << v.in << " out " << v.out << " dead " << v.dead_lettered << " dup "
             << v.duplicated);
  CHECK(v.lost == 0);
  CHECK(v.poison_not_dead_lettered == 0);
  for (const auto& s : v.committed_past_delivery) FAIL_CHECK(s);
  if (clean_stop) {
    // A clean drain commits everything that was delivered, which is everything.
    for (int p = 0; p < input.partitions; ++p) {
      INFO("partition " << p);
      CHECK(v.committed.count(p) == 1);
      if (v.committed.count(p)) CHECK(v.committed.at(p) == static_cast<int64_t>(input.per_partition));
    }
  }
}

std::unique_ptr<EmbeddedKafka> StartMock(const Topics& t, int partitions, int brokers = 1) {
  auto ek = EmbeddedKafka::Start(brokers);
  REQUIRE(ek.ok());
  auto k = std::move(ek).value();
  for (const auto& topic : {t.input, t.output, t.dead_letter})
    REQUIRE(k->CreateTopic(topic, partitions).ok());
  ::setenv("NEWSFLOW_TEST_KAFKA", k->bootstrap().c_str(), 1);
  return k;
}

struct MockScenario {
  std::string name;
  std::vector<std::string> sets;
  // Before the daemon starts (e.g. errors for its first requests).
  std::function<void(rd_kafka_mock_cluster_t*)> before;
  // Mid-stream, once a quarter of `total` is acknowledged; returns a note once the fault is
  // over (the recovery clock starts then, unless `clock_from_start`).
  std::function<std::string(rd_kafka_mock_cluster_t*, InProcessDaemon&, size_t total)> during;
  // After the last acknowledgement, before the daemon stops: extra checks.
  std::function<void(InProcessDaemon&)> after;
  bool clock_from_start = false;
};

void RunMock(const MockScenario& s) {
  Topics t(s.name);
  Input input;
  input.per_partition = RecordCount(500) / 4;
  input.poison_every = 50;
  auto kafka = StartMock(t, input.partitions);
  input.ProduceTo(t.input);
  if (s.before) s.before(kafka->cluster());
  auto clock = Clock::now();
  std::string note;
  double recovery = 0;
  int code = -1;
  {
    InProcessDaemon d(kafka->bootstrap(), t, s.sets);
    CHECK(d.AdminStatus("/readyz") == 200);
    if (s.during) {
      REQUIRE(d.WaitAcked(input.total() / 4, seconds(120)));
      note = s.during(kafka->cluster(), d, input.total());
      if (!s.clock_from_start) clock = Clock::now();
    }
    INFO(s.name << ": acknowledged " << d.Acked() << " of " << input.total());
    REQUIRE(d.WaitAcked(input.total(), seconds(180)));
    recovery = SecondsSince(clock);
    if (s.after) s.after(d);
    // Ready again: after an outage the daemon re-checks the broker once a second, so the last
    // records can be acknowledged (fast, under ASan too) before the next check has run.
    WaitFor([&] { return d.AdminStatus("/readyz") == 200 && d.Metric("newsflow_ready") == 1; },
            seconds(10));
    CHECK(d.AdminStatus("/readyz") == 200);
    CHECK(d.Metric("newsflow_ready") == 1);
    CHECK(d.Metric("newsflow_records_consumed_total") >= static_cast<double>(input.total()));
    CHECK(d.Metric("newsflow_records_dead_lettered_total") ==
          static_cast<double>(d.counts().dead_lettered));
    code = d.Stop();
    CHECK(d.Metric("newsflow_ready") == 0);
  }
  CHECK(code == 0);
  const Verdict v = Verify(t, input);
  CheckNothingLost(v, input, true);
  ReportRow(s.name, v, recovery, note);
}

TEST_CASE("mock: baseline, no fault", "[faults]") {
  RunMock({"baseline", {}, nullptr, nullptr, nullptr});
}

TEST_CASE("mock: every registered stage, no fault", "[faults]") {
  RunMock({"all_stages", {AllStagesSet()}, nullptr, nullptr, nullptr});
}

TEST_CASE("mock: retriable Produce errors are retried, nothing lost", "[faults]") {
  // Injected before the start so that the daemon's first Produce requests meet them.
  RunMock({"produce_retriable", {},
           [](rd_kafka_mock_cluster_t* c) {
             rd_kafka_mock_push_request_errors(
                 c, kProduce, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                 RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                 RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                 RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
           },
           nullptr, nullptr});
}

TEST_CASE("mock: Fetch errors", "[faults]") {
  RunMock({"fetch_errors", {},
           [](rd_kafka_mock_cluster_t* c) {
             rd_kafka_mock_push_request_errors(
                 c, kFetch, 5, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                 RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                 RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                 RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
           },
           nullptr, nullptr});
}

TEST_CASE("mock: OffsetCommit errors are retried at the next interval", "[faults]") {
  RunMock({"commit_errors", {},
           [](rd_kafka_mock_cluster_t* c) {
             rd_kafka_mock_push_request_errors(
                 c, kOffsetCommit, 4, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
           },
           nullptr,
           [](InProcessDaemon& d) {
             // The failed commits are counted (librdkafka may absorb some by retrying).
             WARN("commit failures counted: " << d.Metric("newsflow_commit_failures_total"));
           }});
}

TEST_CASE("mock: JoinGroup errors delay the start, nothing lost", "[faults]") {
  RunMock({"join_errors", {},
           [](rd_kafka_mock_cluster_t* c) {
             rd_kafka_mock_push_request_errors(
                 c, kJoinGroup, 3, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                 RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                 RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
           },
           nullptr, nullptr});
}

TEST_CASE("mock: the broker goes down mid-stream and comes back", "[faults]") {
  // A slowed flow (50 ms round trips, 16 records in flight) so that the fault lands mid-stream.
  RunMock({"broker_down_up",
           {"pipeline.max_in_flight=16", "pipeline.max_in_flight_per_partition=8"},
           [](rd_kafka_mock_cluster_t* c) { rd_kafka_mock_broker_set_rtt(c, 1, 50); },
           [](rd_kafka_mock_cluster_t* c, InProcessDaemon& d, size_t total) {
             const double errors = d.Metric("newsflow_kafka_errors_total");
             const size_t acked = d.Acked();
             CHECK(acked < total);  // the fault lands mid-stream
             REQUIRE(rd_kafka_mock_broker_set_down(c, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
             // Down until the daemon has noticed (a transport error counted), at most 10 s.
             const bool noticed = WaitFor(
                 [&] { return d.Metric("newsflow_kafka_errors_total") > errors; }, seconds(10));
             CHECK(noticed);
             // Not ready while no broker answers (/readyz 503, newsflow_ready 0).
             const bool unready = WaitFor(
                 [&] {
                   return d.AdminStatus("/readyz") == 503 && d.Metric("newsflow_ready") == 0;
                 },
                 seconds(15));
             CHECK(unready);
             const int ready = d.AdminStatus("/readyz");
             const size_t acked_while_down = d.Acked() - acked;
             REQUIRE(rd_kafka_mock_broker_set_up(c, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
             rd_kafka_mock_broker_set_rtt(c, 1, 0);
             return "down at " + std::to_string(acked) + " acked; error counted " +
                    (noticed ? "yes" : "no") + "; /readyz " + std::to_string(ready) +
                    " while down; " + std::to_string(acked_while_down) + " acked while down";
           },
           nullptr});
}

TEST_CASE("mock: slow round trips (250 ms)", "[faults]") {
  RunMock({"slow_rtt_250ms", {},
           [](rd_kafka_mock_cluster_t* c) { rd_kafka_mock_broker_set_rtt(c, 1, 250); }, nullptr,
           nullptr});
}

TEST_CASE("mock: tight in-flight bounds pause partitions, memory stays bounded", "[faults]") {
  double max_in_flight = 0;
  bool paused_seen = false;
  RunMock({"backpressure_64",
           {"pipeline.max_in_flight=64", "pipeline.max_in_flight_per_partition=16"},
           [](rd_kafka_mock_cluster_t* c) { rd_kafka_mock_broker_set_rtt(c, 1, 50); },
           [&](rd_kafka_mock_cluster_t*, InProcessDaemon& d, size_t total) {
             // Sample the in-flight gauge while the rest flows.
             WaitFor(
                 [&] {
                   max_in_flight = std::max(max_in_flight, d.Metric("newsflow_in_flight_records"));
                   paused_seen |= d.Metric("newsflow_paused_partitions") > 0;
                   return d.Acked() >= total;
                 },
                 seconds(120));
             return "max in flight " + std::to_string(static_cast<int>(max_in_flight)) +
                    (paused_seen ? ", partitions paused" : "");
           },
           [&](InProcessDaemon&) { CHECK(max_in_flight <= 64); }, /*clock_from_start=*/true});
}

TEST_CASE("mock: a byte bound on queued input pauses partitions, memory stays bounded",
          "[faults]") {
  // Every stage (slower than the fetch) and a 16 KiB bound: the worker queues would hold the
  // whole input (~600 bytes per record) without it.
  constexpr double kBound = 16384;
  double max_bytes = 0;
  bool paused_seen = false;
  RunMock({"backpressure_16KiB",
           {AllStagesSet(), "pipeline.max_queued_bytes=16384"}, nullptr,
           [&](rd_kafka_mock_cluster_t*, InProcessDaemon& d, size_t total) {
             WaitFor(
                 [&] {
                   max_bytes = std::max(max_bytes, d.Metric("newsflow_queued_input_bytes"));
                   paused_seen |= d.Metric("newsflow_paused_partitions") > 0;
                   return d.Acked() >= total;
                 },
                 seconds(120));
             return "max queued " + std::to_string(static_cast<int>(max_bytes)) + " bytes" +
                    (paused_seen ? ", partitions paused" : "");
           },
           [&](InProcessDaemon&) {
             // The bound is checked after each record is queued: at most one record over it.
             CHECK(max_bytes <= kBound + 2048);
             CHECK(paused_seen);
           },
           /*clock_from_start=*/true});
}

TEST_CASE("mock: a Produce the broker refuses stops the daemon uncommitted; a restart "
          "delivers it", "[faults]") {
  Topics t("produce_fatal");
  Input input;
  input.per_partition = RecordCount(500) / 4;
  input.poison_every = 50;
  auto kafka = StartMock(t, input.partitions);
  input.ProduceTo(t.input);
  // A slowed flow (50 ms round trips, 16 records in flight) so that the refusal lands
  // mid-stream, with records delivered before it and after it in flight.
  const std::vector<std::string> slow = {"pipeline.max_in_flight=16",
                                         "pipeline.max_in_flight_per_partition=8"};
  rd_kafka_mock_broker_set_rtt(kafka->cluster(), 1, 50);
  std::optional<int> code;
  {
    InProcessDaemon d(kafka->bootstrap(), t, slow);
    REQUIRE(d.WaitAcked(input.total() / 4, seconds(120)));
    CHECK(d.Acked() < input.total());
    // A permanent error: librdkafka does not retry it, the record is refused.
    rd_kafka_mock_push_request_errors(kafka->cluster(), kProduce, 1,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    code = d.WaitExit(seconds(60));
    CHECK(d.Metric("newsflow_delivery_failures_total") >= 1);
    CHECK(d.Metric("newsflow_ready") == 0);
  }
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  // What was committed at the fatal exit must all have been delivered.
  const Verdict at_exit = Verify(t, input, /*partial=*/true);
  for (const auto& s : at_exit.committed_past_delivery) FAIL_CHECK(s);
  rd_kafka_mock_broker_set_rtt(kafka->cluster(), 1, 0);
  const auto clock = Clock::now();
  int code2 = -1;
  {
    InProcessDaemon d(kafka->bootstrap(), t);
    // The restart resumes from the committed offsets: everything is acknowledged again or
    // for the first time.
    REQUIRE(WaitFor(
        [&] {
          const auto v = CommittedOffsets(t.group, t.input, input.partitions);
          size_t sum = 0;
          for (const auto& [p, o] : v) sum += static_cast<size_t>(o);
          return sum == input.total();
        },
        seconds(120)));
    code2 = d.Stop();
  }
  const double recovery = SecondsSince(clock);
  CHECK(code2 == 0);
  const Verdict v = Verify(t, input);
  CheckNothingLost(v, input, true);
  ReportRow("produce_refused_restart", v, recovery, "exit 1 without committing, then restart");
}

// ---- the real broker ----

std::string RealBroker() {
  if (const char* port = std::getenv("NEWSFLOW_FAULTS_KAFKA_PORT"))
    return std::string("127.0.0.1:") + port;
  return KafkaBootstrap();
}

TEST_CASE("real broker: restarted mid-stream, nothing lost", "[kafka]") {
  const std::string bootstrap = RealBroker();
  ::setenv("NEWSFLOW_TEST_KAFKA", bootstrap.c_str(), 1);
  const std::string port = bootstrap.substr(bootstrap.rfind(':') + 1);
  Topics t("broker_restart");
  Input input;
  input.per_partition = std::min<size_t>(RecordCount(1000), 1000) / 4;
  input.poison_every = 50;
  for (const auto& topic : {t.input, t.output, t.dead_letter}) CreateTopic(topic, input.partitions);
  input.ProduceTo(t.input);
  double recovery = 0;
  std::string note;
  int code = -1;
  {
    // A throttled flow (8 records in flight, 200 ms producer linger: about 40 records/s) so
    // that the broker goes down while most of the input is still to come.
    InProcessDaemon d(bootstrap, t,
                      {"pipeline.max_in_flight=8", "pipeline.max_in_flight_per_partition=2",
                       "kafka.producer_properties={linger.ms: 200}"});
    REQUIRE(d.WaitAcked(input.total() / 4, seconds(120)));
    const size_t acked_before = d.Acked();
    const auto restart_started = Clock::now();
    const std::string cmd = (SourceDir() / "scripts" / "kafka.sh").string() +
                            " restart --port " + port + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    const size_t acked_after = d.Acked();
    CHECK(acked_after < input.total());  // the outage landed mid-stream
    note = "restart at " + std::to_string(acked_before) + " acked, took " +
           std::to_string(SecondsSince(restart_started)).substr(0, 4) + " s, " +
           std::to_string(acked_after) + " acked when up";
    const auto clock = Clock::now();
    INFO("acknowledged " << d.Acked() << " of " << input.total());
    REQUIRE(d.WaitAcked(input.total(), seconds(300)));
    recovery = SecondsSince(clock);
    // Ready again, as in the mock scenarios: the last records can be acknowledged (they were
    // fetched before the restart, the producer reconnected first) before the consumer's own
    // connection is back from its reconnect back-off and the daemon's next check has run.
    WaitFor([&] { return d.AdminStatus("/readyz") == 200; }, seconds(30));
    CHECK(d.AdminStatus("/readyz") == 200);
    CHECK(d.Metric("newsflow_kafka_errors_total") >= 1);
    code = d.Stop();
  }
  CHECK(code == 0);
  const Verdict v = Verify(t, input);
  CheckNothingLost(v, input, true);
  ReportRow("real_broker_restart", v, recovery, note);
}

// ---- RocksDB state directory faults (newsflowd run as a child process) ----

std::string StateConfig(const std::string& dir, const std::string& state_dir,
                        const std::string& brokers, const std::string& extra = "") {
  const std::string path = dir + "/state-faults.yaml";
  std::ofstream f(path);
  f << "kafka:\n  brokers: \"" << brokers << "\"\n  group_id: state-faults\n"
    << "admin:\n  listen: 127.0.0.1\n  port: 0\n"
    << "pipeline:\n  stages: []\n  shutdown_grace_ms: 2000\n"
    << "state:\n  dir: " << state_dir << "\n" << extra;
  REQUIRE(f.good());
  return path;
}

void MakeState(const std::string& dir) {
  state::RocksOptions o;
  o.dir = dir;
  o.block_cache_mb = 8;
  auto s = state::OpenRocksStore(o);
  REQUIRE(s.ok());
}

struct RunOutcome {
  std::optional<int> code;
  std::string log;
};

// Runs newsflowd run; when `expect_running`, waits for "newsflowd running" and sends SIGTERM.
RunOutcome RunNewsflowd(const std::string& config, const std::string& log, bool expect_running) {
  DaemonProcess p({"run", "--config", config}, log);
  if (expect_running) {
    WaitFor([&] { return p.Log().find("newsflowd running") != std::string::npos || !p.Running(); },
            seconds(60));
    p.Signal(SIGTERM);
  }
  RunOutcome o;
  o.code = p.Wait(seconds(60));
  o.log = p.Log();
  return o;
}

// A tmpfs at `dir` (root only); false when it cannot be mounted.
bool MountTmpfs(const std::string& dir, const std::string& size) {
  fs::create_directories(dir);
  return ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
}

void Row(const std::string& scenario, const RunOutcome& o, const std::string& note) {
  Verdict v;
  ReportRow(scenario, v, 0,
            "exit " + (o.code ? std::to_string(*o.code) : std::string("none")) + "; " + note);
}

std::string FirstLineWith(const std::string& log, const std::string& needle) {
  const size_t at = log.find(needle);
  if (at == std::string::npos) return "";
  const size_t start = log.rfind('\n', at) == std::string::npos ? 0 : log.rfind('\n', at) + 1;
  const size_t end = log.find('\n', at);
  std::string line = log.substr(start, end - start);
  // From the error itself on, without the directory (a temporary path).
  if (const size_t e = line.find(": ", line.find("cannot open state at")); e != std::string::npos)
    line = line.substr(e + 2);
  return line.substr(0, 90);
}

TEST_CASE("state: corrupt at start, on_corruption fail: clear error, exit 1", "[faults]") {
  TempDir tmp;
  const std::string state_dir = (tmp.path() / "state").string();
  MakeState(state_dir);
  { std::ofstream(state_dir + "/CURRENT", std::ios::trunc) << "garbage"; }
  const auto o = RunNewsflowd(StateConfig(tmp.path(), state_dir, "127.0.0.1:1"),
                              (tmp.path() / "log").string(), false);
  INFO(o.log);
  REQUIRE(o.code.has_value());
  CHECK(*o.code == 1);
  CHECK(o.log.find("cannot open state at " + state_dir) != std::string::npos);
  CHECK(o.log.find("Corruption") != std::string::npos);
  Row("state_corrupt_fail", o, FirstLineWith(o.log, "Corruption"));
}

TEST_CASE("state: corrupt at start, on_corruption rebuild: moved aside, starts empty",
          "[faults]") {
  TempDir tmp;
  const std::string state_dir = (tmp.path() / "state").string();
  MakeState(state_dir);
  { std::ofstream(state_dir + "/CURRENT", std::ios::trunc) << "garbage"; }
  Topics t("state_rebuild");
  auto kafka = StartMock(t, 1);
  const auto o = RunNewsflowd(
      StateConfig(tmp.path(), state_dir, kafka->bootstrap(), "  on_corruption: rebuild\n"),
      (tmp.path() / "log").string(), true);
  INFO(o.log);
  REQUIRE(o.code.has_value());
  CHECK(*o.code == 0);
  CHECK(o.log.find("state is corrupt; moving it aside") != std::string::npos);
  size_t aside = 0;
  for (const auto& e : fs::directory_iterator(tmp.path()))
    if (e.path().filename().string().rfind("state.corrupt-", 0) == 0) ++aside;
  CHECK(aside == 1);
  CHECK(fs::exists(state_dir + "/CURRENT"));
  Row("state_corrupt_rebuild", o, "moved aside (" + std::to_string(aside) + "), started empty");
}

TEST_CASE("state: missing directory (nested) is created", "[faults]") {
  TempDir tmp;
  const std::string state_dir = (tmp.path() / "a" / "b" / "state").string();
  Topics t("state_missing");
  auto kafka = StartMock(t, 1);
  const auto o = RunNewsflowd(StateConfig(tmp.path(), state_dir, kafka->bootstrap()),
                              (tmp.path() / "log").string(), true);
  INFO(o.log);
  REQUIRE(o.code.has_value());
  CHECK(*o.code == 0);
  CHECK(fs::exists(state_dir + "/CURRENT"));
  Row("state_missing", o, "created, started");
}

TEST_CASE("state: read-only directory: clear error, exit 1", "[faults]") {
  TempDir tmp;
  const std::string mnt = (tmp.path() / "ro").string();
  if (!MountTmpfs(mnt, "128m")) {
    WARN("cannot mount a tmpfs (not root?): read-only state scenario skipped");
    return;
  }
  const std::string state_dir = mnt + "/state";
  MakeState(state_dir);
  REQUIRE(::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0);
  const auto o = RunNewsflowd(StateConfig(tmp.path(), state_dir, "127.0.0.1:1"),
                              (tmp.path() / "log").string(), false);
  ::umount(mnt.c_str());
  INFO(o.log);
  REQUIRE(o.code.has_value());
  CHECK(*o.code == 1);
  CHECK(o.log.find("cannot open state at " + state_dir) != std::string::npos);
  Row("state_read_only", o, FirstLineWith(o.log, "cannot open state"));
}

TEST_CASE("state: full disk at start: clear error, exit 1", "[faults]") {
  TempDir tmp;
  const std::string mnt = (tmp.path() / "full").string();
  if (!MountTmpfs(mnt, "1m")) {
    WARN("cannot mount a tmpfs (not root?): full-disk state scenario skipped");
    return;
  }
  {
    // Fill it.
    std::ofstream fill(mnt + "/fill", std::ios::binary);
    const std::string block(4096, 'x');
    for (int i = 0; i < 1024 && fill.good(); ++i) fill.write(block.data(), block.size());
  }
  const std::string state_dir = mnt + "/state";
  const auto o = RunNewsflowd(StateConfig(tmp.path(), state_dir, "127.0.0.1:1"),
                              (tmp.path() / "log").string(), false);
  ::umount(mnt.c_str());
  INFO(o.log);
  REQUIRE(o.code.has_value());
  CHECK(*o.code == 1);
  CHECK(o.log.find("state") != std::string::npos);
  CHECK(o.log.find("No space left on device") != std::string::npos);
  Row("state_disk_full", o, FirstLineWith(o.log, "cannot open state"));
}

TEST_CASE("state: the disk fills while running: writes fail with an error, no abort",
          "[faults]") {
  TempDir tmp;
  const std::string mnt = (tmp.path() / "filling").string();
  if (!MountTmpfs(mnt, "96m")) {
    WARN("cannot mount a tmpfs (not root?): disk-full-while-running scenario skipped");
    return;
  }
  // In a child process: RocksDB may abort on ENOSPC, which must not take the test binary down.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGABRT, SIG_DFL);  // not Catch's handler: the parent reports
    state::RocksOptions o;
    o.dir = mnt + "/state";
    o.block_cache_mb = 8;
    auto store = state::OpenRocksStore(o);
    if (!store.ok()) _exit(3);
    const std::string value(64 << 10, 'v');
    for (int i = 0; i < 4096; ++i) {
      state::WriteBatch b;
      b.Put("key-" + std::to_string(i), value);
      if (!(*store)->Write(b).ok()) _exit(0);  // the error surfaced: the caller decides
    }
    _exit(4);  // 256 MiB written to a 96 MiB disk without an error
  }
  int st = 0;
  REQUIRE(waitpid(pid, &st, 0) == pid);
  ::umount(mnt.c_str());
  const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  INFO("child exit " << code << " (0: write error returned; 134: aborted in RocksDB)");
  CHECK(code == 0);
  Verdict v;
  ReportRow("state_disk_fills_running", v, 0,
            "writer exit " + std::to_string(code) +
                (code == 0 ? "; Write() returned the error" : "; aborted"));
}

// ---- limits that protect the process ----

TEST_CASE("limits: documented bounds exist with defaults", "[faults]") {
  config::Errors errors;
  const auto cfg = config::LoadConfig("", {}, {}, &errors);
  REQUIRE(errors.empty());
  CHECK(cfg.input.max_record_bytes == 10 * 1024 * 1024);
  CHECK(cfg.pipeline.max_in_flight == 20000);
  CHECK(cfg.pipeline.max_in_flight_per_partition == 5000);
  CHECK(cfg.pipeline.max_queued_bytes == 64LL * 1024 * 1024);
  // Below the minimum is rejected, not silently clamped.
  config::Errors bad;
  config::LoadConfig("", {},
                     {"input.max_record_bytes=10", "pipeline.max_in_flight=0",
                      "pipeline.max_queued_bytes=100"},
                     &bad);
  CHECK(bad.list().size() == 3);
}

}  // namespace
}  // namespace newsflow::testing
