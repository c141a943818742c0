// newsflow-bench: end-to-end throughput and latency of the daemon path through a real Kafka
// broker.
//
// Throughput mode (default): produces every input record to a fresh topic first, then runs
// KafkaDaemon in this process (the same code `newsflowd run` runs) and measures from the first
// record consumed to the last output acknowledged: the sustained rate with a full backlog.
//
// Rate mode (--rate N): starts the daemon first, then produces the records at N per second
// while it runs, and reads the output (and dead-letter) topic back with a plain consumer; the
// end-to-end latency of a record is from the bench's produce() call to the moment that consumer
// holds the output record. The producer sends immediately (linger.ms=0) so the figure is the
// pipeline's, not the feeder's batching.
//
// Both modes also report the process CPU time over the measured window (so articles per
// CPU-second: the rate per core), the share of it spent in each stage (from the daemon's own
// newsflow_stage_duration_seconds histograms: wall time inside Stage::Process, summed over
// workers), the peak RSS of the daemon phase (VmHWM, reset after the input is produced and its
// memory released) and the size of the RocksDB state directory at the end.
//
// Prints a table line and a JSON object (and appends the JSON to --json FILE when given).
//
//   newsflow-bench --brokers 127.0.0.1:19092 --records 20000 --size 4096 [--stages clean,...]
//                  [--workers 2] [--partitions 2] [--input FILE.jsonl [--limit N]]
//                  [--config FILE] [--label L] [--rate N] [--json FILE] [--timeout-s S]
//                  [--keep-topics] [--state-dir DIR]
//   newsflow-bench --list-stages      the stages this build registers, one per line
//
// The run's topics are deleted at the end unless --keep-topics is given (a 20,000-record mix is
// ~600 MB of broker log per run). The state is a fresh directory, removed at the end, unless
// --state-dir names one: then the stages start from what it holds (e.g. a dedup window that
// `dedup-bench --preload N --state-dir DIR` filled, for the memory with N articles indexed; the
// peak RSS then includes the index rebuild) and it is kept.
#include <librdkafka/rdkafka.h>
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <prometheus/registry.h>
#include <simdjson.h>

#include "common/json_writer.h"
#include "common/log.h"
#include "daemon/kafka_daemon.h"
#include "daemon/kafka_util.h"
#include "daemon/setup.h"
#include "stages/builtin.h"
#include "stages/core/registry.h"

using namespace newsflow;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string brokers = "127.0.0.1:19092";
  size_t records = 20000;
  size_t size = 4096;
  std::string stages;  // comma-separated; "" = passthrough
  int workers = 2;
  int partitions = 2;
  std::string input;
  size_t limit = 0;  // with --input: use only the first N records (0 = all)
  std::string config;
  std::string label;
  double rate = 0;  // records/s for the latency mode; 0 = throughput mode
  std::string json_path;
  int timeout_s = 1200;
  bool keep_topics = false;
  std::string state_dir;  // kept; empty: a fresh directory, removed at the end
};

const char* kWords[] = {"minister", "harbour", "council", "election", "storm",  "market",
                        "talks",    "border",  "summit",  "treaty",   "budget", "court",
                        "ruling",   "protest", "ferry",   "festival", "research", "coalition"};

std::string MakeArticle(size_t i, size_t size, std::mt19937& rng) {
  std::string body;
  while (body.size() + 200 < size) {
    for (int w = 0; w < 12; ++w) {
      body += kWords[rng() % (sizeof kWords / sizeof kWords[0])];
      body += ' ';
    }
    body += std::to_string(rng()) + ".";
    body += (rng() % 5 == 0) ? "\n\n" : " ";
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("id", "bench-" + std::to_string(i));
  w.Field("url", "https://bench.example.test/" + std::to_string(i));
  w.Field("source", "bench");
  w.Field("published_at", "2024-01-26T08:00:00Z");
  w.Field("title", "Bench article " + std::to_string(i));
  w.Field("text", body);
  w.EndObject();
  return out;
}

// The input records one at a time, so the bench never holds the whole input in memory (a mix
// of 20,000 records is ~600 MB, which would otherwise dominate the peak RSS).
class Source {
 public:
  explicit Source(const Options& o) : o_(o), rng_(7) {
    if (!o.input.empty()) in_.open(o.input);
  }
  bool ok() const { return o_.input.empty() || in_.good(); }
  bool Next(std::string* value) {
    if (!o_.input.empty()) {
      if (o_.limit && n_ >= o_.limit) return false;
      while (std::getline(in_, *value)) {
        if (value->empty()) continue;
        ++n_;
        return true;
      }
      return false;
    }
    if (n_ >= o_.records) return false;
    *value = MakeArticle(n_++, o_.size, rng_);
    return true;
  }

 private:
  const Options& o_;
  std::ifstream in_;
  std::mt19937 rng_;
  size_t n_ = 0;
};

bool CreateTopic(rd_kafka_t* rk, const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  bool ok = ev && rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_NO_ERROR;
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  return ok;
}

void DeleteTopics(const std::string& brokers, const std::vector<std::string>& topics) {
  auto conf = kafka::MakeConf({{"bootstrap.servers", brokers}});
  if (!conf.ok()) return;
  auto admin = kafka::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
  if (!admin.ok()) return;
  std::vector<rd_kafka_DeleteTopic_t*> del;
  for (const auto& t : topics) del.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  rd_kafka_queue_t* q = rd_kafka_queue_new(admin->get());
  rd_kafka_DeleteTopics(admin->get(), del.data(), del.size(), nullptr, q);
  if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000)) rd_kafka_event_destroy(ev);
  rd_kafka_DeleteTopic_destroy_array(del.data(), del.size());
  rd_kafka_queue_destroy(q);
}

void Produce(rd_kafka_t* rk, const std::string& topic, const std::string& value,
             std::string_view key, int32_t partition = RD_KAFKA_PARTITION_UA) {
  while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                           RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                           RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
    rd_kafka_poll(rk, 10);
  rd_kafka_poll(rk, 0);
}

double CpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

// Peak RSS (VmHWM) in MiB; ResetPeakRss() makes the kernel restart it from the current RSS.
double PeakRssMib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}
bool ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  return clear.good();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) n += it->file_size(ec);
  return n;
}

struct StageTime {
  double seconds = 0;
  uint64_t calls = 0;
};

// What the daemon's own latency histograms say: the share at or under 50 ms (a bucket bound)
// and the p50/p99 bucket upper bounds.
struct HistogramView {
  double le_50ms = -1, p50 = -1, p99 = -1;
};
HistogramView ViewOf(const prometheus::ClientMetric::Histogram& h) {
  HistogramView v;
  if (h.sample_count == 0) return v;
  for (const auto& b : h.bucket) {
    const double share = static_cast<double>(b.cumulative_count) / h.sample_count;
    if (std::abs(b.upper_bound - 0.05) < 1e-9) v.le_50ms = share;
    if (v.p50 < 0 && share >= 0.5) v.p50 = b.upper_bound;
    if (v.p99 < 0 && share >= 0.99) v.p99 = b.upper_bound;
  }
  return v;
}

// Per-stage time and the daemon's latency histograms, from its registry.
void ReadMetrics(prometheus::Registry& registry, std::map<std::string, StageTime>* stages,
                 HistogramView* end_to_end, HistogramView* processing) {
  for (const auto& family : registry.Collect()) {
    if (family.name == "newsflow_stage_duration_seconds") {
      for (const auto& m : family.metric) {
        std::string stage;
        for (const auto& l : m.label)
          if (l.name == "stage") stage = l.value;
        (*stages)[stage].seconds += m.histogram.sample_sum;
        (*stages)[stage].calls += m.histogram.sample_count;
      }
    } else if (family.name == "newsflow_end_to_end_latency_seconds" && !family.metric.empty()) {
      *end_to_end = ViewOf(family.metric[0].histogram);
    } else if (family.name == "newsflow_processing_latency_seconds" && !family.metric.empty()) {
      *processing = ViewOf(family.metric[0].histogram);
    }
  }
}

double Percentile(std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()));
  return sorted[i];
}

// Reads the output and dead-letter topics from the beginning (no group) and records, for each
// key the bench sent, the time from send to arrival here.
class LatencyReader {
 public:
  bool Start(const Options& o, const std::string& out_topic, const std::string& dlq) {
    auto conf = kafka::MakeConf({{"bootstrap.servers", o.brokers},
                                 {"group.id", "newsflow-bench-latency"},
                                 {"enable.auto.commit", "false"},
                                 {"fetch.wait.max.ms", "100"},
                                 {"fetch.message.max.bytes", "20000000"}});
    if (!conf.ok()) return false;
    auto h = kafka::MakeHandle(RD_KAFKA_CONSUMER, std::move(conf).value());
    if (!h.ok()) return false;
    consumer_ = std::move(h).value();
    rd_kafka_poll_set_consumer(consumer_.get());
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(o.partitions + 1);
    for (int p = 0; p < o.partitions; ++p)
      rd_kafka_topic_partition_list_add(parts, out_topic.c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_topic_partition_list_add(parts, dlq.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    const bool ok = rd_kafka_assign(consumer_.get(), parts) == RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(parts);
    if (ok) thread_ = std::thread([this] { Loop(); });
    return ok;
  }
  void Sent(std::string key, Clock::time_point at) {
    std::lock_guard lock(mu_);
    sent_[std::move(key)] = at;
  }
  size_t received() const { return received_; }
  Clock::time_point last_arrival() {
    std::lock_guard lock(mu_);
    return last_;
  }
  std::vector<double> TakeLatencies(size_t skip) {
    Stop();
    std::lock_guard lock(mu_);
    std::vector<double> out(latencies_.begin() + std::min(skip, latencies_.size()),
                            latencies_.end());
    std::sort(out.begin(), out.end());
    return out;
  }
  // Where the records slower than `ms` were sent: their count, and the seconds of the run
  // (from `t0`) holding most of them, e.g. "31 over 50 ms; sent in second 0: 29, 7: 2". One
  // stall shows as one second; a machine that is merely busy spreads them.
  std::string SlowSeconds(Clock::time_point t0, double ms) {
    std::lock_guard lock(mu_);
    std::map<long, size_t> per_second;
    size_t slow = 0;
    for (size_t i = 0; i < latencies_.size(); ++i) {
      if (latencies_[i] <= ms || sent_at_[i] < t0) continue;
      ++slow;
      ++per_second[static_cast<long>(std::chrono::duration<double>(sent_at_[i] - t0).count())];
    }
    std::vector<std::pair<size_t, long>> top;
    for (const auto& [second, n] : per_second) top.emplace_back(n, second);
    std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::string out = std::to_string(slow) + " over " + std::to_string(static_cast<int>(ms)) +
                      " ms";
    for (size_t i = 0; i < top.size() && i < 4; ++i) {
      out += (i == 0 ? "; sent in second " : ", ") + std::to_string(top[i].second) + ": " +
             std::to_string(top[i].first);
    }
    return out;
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (consumer_) rd_kafka_consumer_close(consumer_.get());
    consumer_.reset();
  }
  ~LatencyReader() { Stop(); }

 private:
  void Loop() {
    while (!stop_) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 50);
      if (!m) continue;
      const auto now = Clock::now();
      if (!m->err) {
        std::string key(static_cast<const char*>(m->key), m->key_len);
        std::lock_guard lock(mu_);
        auto it = sent_.find(key);
        if (it != sent_.end()) {
          latencies_.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
          sent_at_.push_back(it->second);
          sent_.erase(it);
          last_ = now;
          ++received_;
        }
      }
      rd_kafka_message_destroy(m);
    }
  }
  kafka::Handle consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> sent_;
  std::vector<double> latencies_;  // in arrival order
  std::vector<Clock::time_point> sent_at_;  // the same records' send times
  Clock::time_point last_{};
  std::atomic<size_t> received_{0};
};

// The article id of a JSON input record ("" when it has none: the daemon then derives one, and
// the latency of that record cannot be matched).
std::string IdOf(simdjson::dom::parser& parser, const std::string& value) {
  simdjson::dom::element doc;
  if (parser.parse(value).get(doc)) return "";
  simdjson::dom::element id;
  if (doc["id"].get(id)) return "";
  std::string_view s;
  if (!id.get_string().get(s)) return std::string(s);
  int64_t n;
  if (!id.get_int64().get(n)) return std::to_string(n);
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--brokers") o.brokers = next();
    else if (a == "--records") o.records = std::stoul(next());
    else if (a == "--size") o.size = std::stoul(next());
    else if (a == "--stages") o.stages = next();
    else if (a == "--workers") o.workers = std::stoi(next());
    else if (a == "--partitions") o.partitions = std::stoi(next());
    else if (a == "--input") o.input = next();
    else if (a == "--limit") o.limit = std::stoul(next());
    else if (a == "--config") o.config = next();
    else if (a == "--label") o.label = next();
    else if (a == "--rate") o.rate = std::stod(next());
    else if (a == "--json") o.json_path = next();
    else if (a == "--timeout-s") o.timeout_s = std::stoi(next());
    else if (a == "--keep-topics") o.keep_topics = true;
    else if (a == "--state-dir") o.state_dir = next();
    else if (a == "--list-stages") {
      StageRegistry registry;
      RegisterBuiltinStages(&registry);
      for (const StageFactory* f : registry.All()) std::cout << f->Name() << "\n";
      return 0;
    }
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  log::Configure(log::Level::kWarn, log::Format::kText);
  const bool rate_mode = o.rate > 0;
  Source source(o);
  if (!source.ok()) {
    std::cerr << "cannot read " << o.input << "\n";
    return 1;
  }

  const std::string run =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  const std::string in_topic = "bench-in-" + run, out_topic = "bench-out-" + run,
                    dlq = "bench-dlq-" + run;
  auto conf = kafka::MakeConf({{"bootstrap.servers", o.brokers},
                               {"linger.ms", rate_mode ? "0" : "20"},
                               {"batch.size", "1000000"},
                               {"message.max.bytes", "20000000"}});
  auto producer = kafka::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
  if (!producer.ok() || !CreateTopic(producer->get(), in_topic, o.partitions) ||
      !CreateTopic(producer->get(), out_topic, o.partitions) ||
      !CreateTopic(producer->get(), dlq, 1)) {
    std::cerr << "cannot reach the broker at " << o.brokers << " or create topics\n";
    return 1;
  }
  size_t records = 0, bytes = 0;
  std::string value;
  // Input records are keyed by their article id in both modes, as a crawler would key them: the
  // default partitioner then spreads them over the partitions. Without a key, librdkafka's
  // sticky partitioner put 2,988 of 3,000 records in one partition, and one of two workers idled.
  simdjson::dom::parser id_parser;
  if (!rate_mode) {
    while (source.Next(&value)) {
      Produce(producer->get(), in_topic, value, IdOf(id_parser, value));
      ++records;
      bytes += value.size();
    }
    rd_kafka_flush(producer->get(), 120000);
    producer->reset();
    std::string().swap(value);
    malloc_trim(0);
  }

  CommonOptions common;
  common.config_path = o.config;
  common.sets = {"kafka.brokers=" + o.brokers,
                 "kafka.input_topic=" + in_topic,
                 "kafka.output_topic=" + out_topic,
                 "kafka.dead_letter_topic=" + dlq,
                 "kafka.group_id=bench-" + run,
                 "kafka.producer_properties={message.max.bytes: 20000000}",
                 "pipeline.workers=" + std::to_string(o.workers),
                 "pipeline.stages=[" + o.stages + "]",
                 "admin.port=0",
                 "admin.listen=127.0.0.1",
                 "logging.level=warn"};
  const std::string state_dir =
      o.state_dir.empty() ? "/tmp/newsflow-bench-state-" + run : o.state_dir;
  common.state_dir = state_dir;
  const bool peak_reset = ResetPeakRss();
  auto rt = BuildRuntime(common, StateMode::kConfigured);
  if (!rt.ok()) {
    std::cerr << rt.error().message << "\n";
    return 1;
  }
  std::atomic<bool> ready{false};
  DaemonOptions dopts;
  dopts.on_ready = [&](uint16_t) { ready = true; };
  auto daemon_ptr = std::make_unique<KafkaDaemon>(**rt, dopts);
  KafkaDaemon& daemon = *daemon_ptr;
  int rc = 0;
  const double cpu_start = CpuSeconds();
  double cpu_t0 = cpu_start;
  std::thread runner([&] { rc = daemon.Run(); });
  Clock::time_point t0{}, t1{};
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s);
  std::vector<double> latencies;
  std::string slow_seconds;  // rate mode: where the records over 50 ms were sent
  size_t lost = 0;

  if (!rate_mode) {
    while (Clock::now() < deadline) {
      const auto c = daemon.counts();
      if (t0 == Clock::time_point{} && c.consumed > 0) t0 = Clock::now();
      if (c.produced + c.dead_lettered + c.dropped >= records) {
        t1 = Clock::now();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  } else {
    // Warm-up: one record per partition through the whole path (group joined, partitions
    // assigned, every worker's stages touched) before the paced run; not counted. With one
    // record only, the other workers met their first record inside the measured run.
    LatencyReader reader;
    while (!ready && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!reader.Start(o, out_topic, dlq)) {
      std::cerr << "cannot start the latency consumer\n";
      daemon.Stop();
      runner.join();
      return 1;
    }
    size_t sent = 0;
    for (int p = 0; p < o.partitions && source.Next(&value); ++p) {
      std::string key = IdOf(id_parser, value);
      reader.Sent(key, Clock::now());
      Produce(producer->get(), in_topic, value, key, p);
      ++sent;
    }
    rd_kafka_flush(producer->get(), 10000);
    while (reader.received() < sent && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const size_t warm_up = sent;
    cpu_t0 = CpuSeconds();
    t0 = Clock::now();
    const auto period = std::chrono::duration<double>(1.0 / o.rate);
    size_t paced = 0;
    while (source.Next(&value) && Clock::now() < deadline) {
      std::this_thread::sleep_until(t0 +
                                    std::chrono::duration_cast<Clock::duration>(period * paced));
      std::string key = IdOf(id_parser, value);
      reader.Sent(key, Clock::now());
      Produce(producer->get(), in_topic, value, key);
      ++paced;
      ++sent;
      bytes += value.size();
    }
    rd_kafka_flush(producer->get(), 60000);
    records = paced;
    const auto drain_deadline = std::min(deadline, Clock::now() + std::chrono::seconds(60));
    while (reader.received() < sent && Clock::now() < drain_deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    t1 = reader.received() >= sent ? reader.last_arrival() : Clock::time_point{};
    lost = sent - reader.received();
    latencies = reader.TakeLatencies(warm_up);
    slow_seconds = reader.SlowSeconds(t0, 50);
  }
  const double cpu_end = CpuSeconds();
  daemon.Stop();
  runner.join();
  std::map<std::string, StageTime> stage_times;
  HistogramView daemon_e2e, daemon_processing;
  ReadMetrics(*(*rt)->metrics, &stage_times, &daemon_e2e, &daemon_processing);
  const double peak_rss = PeakRssMib();
  const auto c = daemon.counts();
  daemon_ptr.reset();
  rt->reset();  // closes the state store (flushes RocksDB) before its size is taken
  const uint64_t state_bytes = DirBytes(state_dir);
  std::error_code ec;
  if (o.state_dir.empty()) std::filesystem::remove_all(state_dir, ec);
  producer->reset();
  if (!o.keep_topics) DeleteTopics(o.brokers, {in_topic, out_topic, dlq});
  if (t1 == Clock::time_point{} || records == 0) {
    std::cerr << "timed out (" << lost << " records without output)\n";
    return 1;
  }
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  const double cpu = (rate_mode ? cpu_end - cpu_t0 : cpu_end - cpu_start);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const double rate = records / secs, mbps = bytes / secs / 1e6;
  const double per_cpu_s = cpu > 0 ? records / cpu : 0;
  double stage_sum = 0;
  for (const auto& [name, t] : stage_times) stage_sum += t.seconds;
  // Stage times are wall time inside Process(): on an oversubscribed machine they include time
  // the thread waited for a core and can add up to more than the process CPU time. Shares are
  // then taken of the stage total, so they still add up to at most 100%.
  const double share_base = std::max(cpu, stage_sum);

  std::printf("%-24s records=%zu avg_bytes=%zu stages=[%s] workers=%d partitions=%d  "
              "%.0f articles/s  %.1f MB/s  (%.2f s; out=%lu dead=%lu; peak RSS %.0f MiB)\n",
              o.label.empty() ? "bench" : o.label.c_str(), records, bytes / records,
              o.stages.c_str(), o.workers, o.partitions, rate, mbps, secs,
              static_cast<unsigned long>(c.produced), static_cast<unsigned long>(c.dead_lettered),
              peak_rss);
  std::printf("%-24s cpu %.2f s = %.0f articles per CPU-second; state %.1f MiB", "",
              cpu, per_cpu_s, state_bytes / 1048576.0);
  for (const auto& [name, t] : stage_times)
    std::printf("; %s %.1f%% (%.0f us/article)", name.c_str(),
                share_base > 0 ? 100 * t.seconds / share_base : 0,
                t.calls ? 1e6 * t.seconds / t.calls : 0);
  std::printf("\n");
  if (rate_mode) {
    std::printf("%-24s at %.0f/s: latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms "
                "(%zu records)\n%-24s daemon's histograms: record timestamp to output acked "
                "%.1f%% <= 50 ms; consumed to output acked %.1f%% <= 50 ms, p99 <= %g s\n",
                "", o.rate, Percentile(latencies, 0.5), Percentile(latencies, 0.9),
                Percentile(latencies, 0.99), latencies.empty() ? 0 : latencies.back(),
                latencies.size(), "", 100 * daemon_e2e.le_50ms, 100 * daemon_processing.le_50ms,
                daemon_processing.p99);
    std::printf("%-24s slow records: %s\n", "", slow_seconds.c_str());
  }

  std::string json;
  JsonWriter w(&json);
  auto Num = [&w](std::string_view key, double v, int precision) {
    w.Key(key);
    w.Double(v, precision);
  };
  w.BeginObject();
  w.Field("label", o.label);
  w.Field("records", static_cast<int64_t>(records));
  w.Field("avg_bytes", static_cast<int64_t>(bytes / records));
  w.Field("stages", o.stages);
  w.Field("workers", static_cast<int64_t>(o.workers));
  w.Field("partitions", static_cast<int64_t>(o.partitions));
  Num("articles_per_s", rate, 1);
  Num("mb_per_s", mbps, 2);
  Num("seconds", secs, 3);
  Num("peak_rss_mib", peak_rss, 1);
  w.Field("peak_rss_daemon_phase_only", peak_reset);
  Num("cpu_seconds", cpu, 3);
  Num("articles_per_cpu_s", per_cpu_s, 1);
  w.Field("state_bytes", static_cast<int64_t>(state_bytes));
  w.Field("produced", static_cast<int64_t>(c.produced));
  w.Field("dead_lettered", static_cast<int64_t>(c.dead_lettered));
  w.Field("dropped", static_cast<int64_t>(c.dropped));
  w.Key("stage_cpu");
  w.BeginObject();
  for (const auto& [name, t] : stage_times) {
    w.Key(name);
    w.BeginObject();
    Num("seconds", t.seconds, 4);
    Num("share", share_base > 0 ? t.seconds / share_base : 0, 4);
    Num("us_per_article", t.calls ? 1e6 * t.seconds / t.calls : 0, 1);
    w.EndObject();
  }
  w.EndObject();
  Num("other_cpu_share", cpu > 0 ? std::max(0.0, 1 - stage_sum / cpu) : 0, 4);
  if (rate_mode) {
    Num("rate", o.rate, 1);
    w.Key("latency_ms");
    w.BeginObject();
    Num("p50", Percentile(latencies, 0.5), 2);
    Num("p90", Percentile(latencies, 0.9), 2);
    Num("p99", Percentile(latencies, 0.99), 2);
    Num("max", latencies.empty() ? 0 : latencies.back(), 2);
    w.Field("samples", static_cast<int64_t>(latencies.size()));
    w.EndObject();
    Num("daemon_e2e_le_50ms_share", daemon_e2e.le_50ms, 4);
    Num("daemon_processing_le_50ms_share", daemon_processing.le_50ms, 4);
    Num("daemon_processing_p50_bucket_s", daemon_processing.p50, 4);
    Num("daemon_processing_p99_bucket_s", daemon_processing.p99, 4);
    w.Field("slow_records", slow_seconds);
  }
  w.EndObject();
  std::printf("%s\n", json.c_str());
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path, std::ios::app);
    out << json << "\n";
  }
  return rc;
}
