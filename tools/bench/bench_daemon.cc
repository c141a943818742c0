// newsflow-bench: end-to-end throughput of the daemon path through a real Kafka broker.
//
// Produces the input records to a fresh topic first, then runs KafkaDaemon in this process
// (the same code `newsflowd run` runs) and measures from the first record consumed to the
// last output acknowledged. Prints a table line and a JSON object.
//
//   newsflow-bench --brokers 127.0.0.1:19092 --records 20000 --size 4096 [--stages clean,...]
//                  [--workers 2] [--partitions 2] [--input FILE.jsonl] [--config FILE]
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/json_writer.h"
#include "common/log.h"
#include "daemon/kafka_daemon.h"
#include "daemon/kafka_util.h"
#include "daemon/setup.h"

using namespace newsflow;

namespace {

struct Options {
  std::string brokers = "127.0.0.1:19092";
  size_t records = 20000;
  size_t size = 4096;
  std::string stages;  // comma-separated; "" = passthrough
  int workers = 2;
  int partitions = 2;
  std::string input;
  std::string config;
  std::string label;
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
    else if (a == "--config") o.config = next();
    else if (a == "--label") o.label = next();
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  log::Configure(log::Level::kWarn, log::Format::kText);
  std::vector<std::string> values;
  if (!o.input.empty()) {
    std::ifstream in(o.input);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) values.push_back(line);
    o.records = values.size();
  } else {
    std::mt19937 rng(7);
    for (size_t i = 0; i < o.records; ++i) values.push_back(MakeArticle(i, o.size, rng));
  }
  size_t bytes = 0;
  for (const auto& v : values) bytes += v.size();

  const std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  const std::string in_topic = "bench-in-" + run, out_topic = "bench-out-" + run,
                    dlq = "bench-dlq-" + run;
  auto conf = kafka::MakeConf({{"bootstrap.servers", o.brokers}, {"linger.ms", "20"},
                               {"batch.size", "1000000"}, {"message.max.bytes", "20000000"}});
  auto producer = kafka::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
  if (!producer.ok() || !CreateTopic(producer->get(), in_topic, o.partitions) ||
      !CreateTopic(producer->get(), out_topic, o.partitions) ||
      !CreateTopic(producer->get(), dlq, 1)) {
    std::cerr << "cannot reach the broker at " << o.brokers << " or create topics\n";
    return 1;
  }
  for (const auto& v : values) {
    while (rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(in_topic.c_str()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(producer->get(), 10);
  }
  rd_kafka_flush(producer->get(), 120000);

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
  const std::string state_dir = "/tmp/newsflow-bench-state-" + run;
  common.state_dir = state_dir;
  auto rt = BuildRuntime(common, StateMode::kConfigured);
  if (!rt.ok()) {
    std::cerr << rt.error().message << "\n";
    return 1;
  }
  KafkaDaemon daemon(**rt, DaemonOptions{});
  int rc = 0;
  std::thread runner([&] { rc = daemon.Run(); });
  using Clock = std::chrono::steady_clock;
  Clock::time_point t0{}, t1{};
  const auto deadline = Clock::now() + std::chrono::minutes(20);
  while (Clock::now() < deadline) {
    const auto c = daemon.counts();
    if (t0 == Clock::time_point{} && c.consumed > 0) t0 = Clock::now();
    if (c.produced + c.dead_lettered + c.dropped >= o.records) {
      t1 = Clock::now();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  daemon.Stop();
  runner.join();
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
  if (t1 == Clock::time_point{}) {
    std::cerr << "timed out\n";
    return 1;
  }
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const auto c = daemon.counts();
  const double rate = o.records / secs, mbps = bytes / secs / 1e6;
  std::printf("%-24s records=%zu avg_bytes=%zu stages=[%s] workers=%d partitions=%d  "
              "%.0f articles/s  %.1f MB/s  (%.2f s; out=%lu dead=%lu; peak RSS %.0f MiB)\n",
              o.label.empty() ? "bench" : o.label.c_str(), o.records, bytes / o.records,
              o.stages.c_str(), o.workers, o.partitions, rate, mbps, secs,
              static_cast<unsigned long>(c.produced), static_cast<unsigned long>(c.dead_lettered),
              ru.ru_maxrss / 1024.0);
  std::printf("{\"label\":\"%s\",\"records\":%zu,\"avg_bytes\":%zu,\"stages\":\"%s\","
              "\"workers\":%d,\"partitions\":%d,\"articles_per_s\":%.1f,\"mb_per_s\":%.2f,"
              "\"seconds\":%.3f,\"peak_rss_mib\":%.1f}\n",
              o.label.c_str(), o.records, bytes / o.records, o.stages.c_str(), o.workers,
              o.partitions, rate, mbps, secs, ru.ru_maxrss / 1024.0);
  return rc;
}
