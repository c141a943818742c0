#include "fault_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>

#include <prometheus/registry.h>

#include "harness.h"

namespace newsflow::testing {

size_t RecordCount(size_t fallback) {
  const char* n = std::getenv("NEWSFLOW_FAULTS_RECORDS");
  if (n && std::atoi(n) > 0) return static_cast<size_t>(std::atoi(n));
  return fallback;
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Topics::Topics(const std::string& scenario)
    : input(UniqueName("faults-" + scenario + "-in")),
      output(UniqueName("faults-" + scenario + "-out")),
      dead_letter(UniqueName("faults-" + scenario + "-dlq")),
      group(UniqueName("faults-" + scenario)) {}

size_t Input::poison() const {
  if (poison_every == 0) return 0;
  return static_cast<size_t>(partitions) * ((per_partition + poison_every - 1) / poison_every);
}

namespace {
std::string Key(int p, size_t offset) { return "p" + std::to_string(p) + "-" + std::to_string(offset); }
bool IsPoison(const Input& in, size_t offset) {
  return in.poison_every != 0 && offset % in.poison_every == 0;
}
}  // namespace

void Input::ProduceTo(const std::string& topic) const {
  for (int p = 0; p < partitions; ++p) {
    std::vector<std::string> values, keys;
    for (size_t i = 0; i < per_partition; ++i) {
      keys.push_back(Key(p, i));
      values.push_back(IsPoison(*this, i) ? "{not json " + keys.back()
                                          : ArticleJson(keys.back(), 300));
    }
    Produce(topic, values, keys, p);
  }
}

InProcessDaemon::InProcessDaemon(const std::string& bootstrap, const Topics& topics,
                                 std::vector<std::string> sets) {
  CommonOptions opts;
  opts.sets = {"kafka.input_topic=" + topics.input,
               "kafka.output_topic=" + topics.output,
               "kafka.dead_letter_topic=" + topics.dead_letter,
               "kafka.group_id=" + topics.group,
               "pipeline.stages=[]",
               "pipeline.commit_interval_ms=200",
               "pipeline.shutdown_grace_ms=15000",
               "admin.listen=127.0.0.1",
               "admin.port=0",
               "logging.level=error"};
  for (auto& s : sets) opts.sets.push_back(std::move(s));
  auto rt = BuildRuntime(opts, StateMode::kMemory);
  INFO((rt.ok() ? std::string() : rt.error().message));
  REQUIRE(rt.ok());
  runtime_ = std::move(rt).value();
  DaemonOptions d;
  d.bootstrap_override = bootstrap;
  d.on_ready = [this](uint16_t port) { admin_port_ = port; };
  daemon_ = std::make_unique<KafkaDaemon>(*runtime_, d);
  thread_ = std::thread([this] {
    exit_code_ = daemon_->Run();
    exited_ = true;
  });
  // CHECK, not REQUIRE: throwing here would leave the thread unjoined.
  CHECK(WaitFor([&] { return admin_port_ != 0 || exited_; }, std::chrono::seconds(30)));
}

InProcessDaemon::~InProcessDaemon() {
  if (thread_.joinable()) Stop();
}

size_t InProcessDaemon::Acked() const {
  const auto c = daemon_->counts();
  return c.produced + c.dead_lettered + c.dropped;
}

bool InProcessDaemon::WaitAcked(size_t n, std::chrono::milliseconds timeout) {
  return WaitFor([&] { return Acked() >= n || exited_; }, timeout) && Acked() >= n;
}

std::optional<int> InProcessDaemon::WaitExit(std::chrono::milliseconds timeout) {
  if (!WaitFor([&] { return exited_.load(); }, timeout)) return std::nullopt;
  if (thread_.joinable()) thread_.join();
  return exit_code_.load();
}

int InProcessDaemon::Stop() {
  daemon_->Stop();
  if (thread_.joinable()) thread_.join();
  return exit_code_;
}

double InProcessDaemon::Metric(const std::string& name) const {
  double sum = 0;
  for (const auto& family : runtime_->metrics->Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) sum += m.counter.value + m.gauge.value;
  }
  return sum;
}

int InProcessDaemon::AdminStatus(const std::string& path) const {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(admin_port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
      char buf[64] = {};
      const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
      if (n > 12) std::sscanf(buf, "HTTP/%*s %d", &status);
    }
  }
  ::close(fd);
  return status;
}

Verdict Verify(const Topics& topics, const Input& input, bool partial) {
  Verdict v;
  v.in = input.total();
  const size_t good = partial ? 1 : v.in - input.poison();
  const size_t poison = partial ? 1 : input.poison();
  const auto quiet = std::chrono::milliseconds(partial ? 2000 : 700);
  const auto timeout = std::chrono::seconds(partial ? 15 : 60);
  const auto outputs = ReadAll(topics.output, good, timeout, quiet);
  const auto dead = ReadAll(topics.dead_letter, poison, timeout, quiet);
  v.out = outputs.size();
  v.dead_lettered = dead.size();
  std::set<std::string> seen, dead_keys;
  for (const auto& r : outputs) seen.insert(r.key);
  for (const auto& r : dead) {
    seen.insert(r.key);
    dead_keys.insert(r.key);
  }
  v.duplicated = v.out + v.dead_lettered - seen.size();
  for (int p = 0; p < input.partitions; ++p) {
    for (size_t i = 0; i < input.per_partition; ++i) {
      const std::string k = Key(p, i);
      if (!seen.count(k)) ++v.lost;
      if (IsPoison(input, i) && !dead_keys.count(k)) ++v.poison_not_dead_lettered;
    }
  }
  v.committed = CommittedOffsets(topics.group, topics.input, input.partitions);
  for (const auto& [p, offset] : v.committed) {
    for (int64_t i = 0; i < offset; ++i) {
      if (i >= static_cast<int64_t>(input.per_partition) || !seen.count(Key(p, i))) {
        v.committed_past_delivery.push_back("partition " + std::to_string(p) + " committed " +
                                            std::to_string(offset) + " but offset " +
                                            std::to_string(i) + " was not delivered");
        break;
      }
    }
  }
  return v;
}

void ReportRow(const std::string& scenario, const Verdict& v, double recovery_seconds,
               const std::string& note) {
  char row[512];
  std::snprintf(row, sizeof row, "%s\t%zu\t%zu\t%zu\t%zu\t%zu\t%.2f\t%s", scenario.c_str(), v.in,
                v.out, v.dead_lettered, v.lost, v.duplicated, recovery_seconds, note.c_str());
  std::printf("FAULTS-ROW\t%s\n", row);
  std::fflush(stdout);
  if (const char* path = std::getenv("NEWSFLOW_FAULTS_REPORT")) {
    std::ofstream f(path, std::ios::app);
    f << row << "\n";
  }
}

}  // namespace newsflow::testing
