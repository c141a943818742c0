#include "daemon/demo.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/json_writer.h"
#include "common/log.h"
#include "daemon/embedded_kafka.h"
#include "daemon/kafka_daemon.h"
#include "daemon/kafka_util.h"

namespace newsflow {
namespace {

struct Input {
  std::string key;
  std::string value;
};

std::vector<Input> LoadInputs(const DemoOptions& o, std::string* error) {
  std::vector<Input> out;
  for (const auto& path : o.inputs) {
    std::ifstream in(path);
    if (!in) {
      *error = "cannot read " + path;
      return {};
    }
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) out.push_back({"", line});
  }
  if (!o.seeds_dir.empty()) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(o.seeds_dir, ec))
      if (e.path().extension() == ".txt") files.push_back(e.path());
    if (ec) {
      *error = "cannot read " + o.seeds_dir + ": " + ec.message();
      return {};
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string v;
      JsonWriter w(&v);
      w.BeginObject();
      w.Field("id", f.filename().string());
      w.Field("source", "seeds");
      w.Field("text", ss.str());
      w.EndObject();
      out.push_back({"", v});
    }
  }
  return out;
}

void PrintRecord(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) return;
  auto str = [&](simdjson::dom::element e) {
    std::string_view s;
    return e.get_string().get(s) ? std::string("-") : std::string(s);
  };
  std::string title = str(doc["title"]);
  if (title.size() > 60) title = title.substr(0, 57) + "...";
  std::cout << "  " << str(doc["id"]).substr(0, 24) << "\n    title:    " << title << "\n";
  if (!doc["language"].error())
    std::cout << "    language: " << str(doc["language"]["code"]) << "\n";
  if (!doc["dedup"].error()) {
    std::cout << "    dedup:    " << str(doc["dedup"]["status"]);
    if (!doc["dedup"]["of"].is_null()) std::cout << " of " << str(doc["dedup"]["of"]);
    std::cout << "\n";
  }
  simdjson::dom::array ents;
  if (!doc["entities"].get_array().get(ents)) {
    std::cout << "    entities:";
    int n = 0;
    for (auto e : ents) {
      if (n++ == 6) {
        std::cout << " ...";
        break;
      }
      std::cout << " " << str(e["name"]) << " (" << str(e["type"]) << ")";
    }
    std::cout << "\n";
  }
  std::string_view text;
  if (!doc["text"].get_string().get(text)) {
    std::string t(text.substr(0, 160));
    std::replace(t.begin(), t.end(), '\n', ' ');
    std::cout << "    text:     " << t << (text.size() > 160 ? "..." : "") << "\n";
  }
}

}  // namespace

int RunDemo(const DemoOptions& o) {
  std::string error;
  std::vector<Input> inputs = LoadInputs(o, &error);
  if (!error.empty()) {
    std::cerr << "newsflowd demo: " << error << "\n";
    return 1;
  }
  if (inputs.empty()) {
    std::cerr << "newsflowd demo: no input records (give --input FILE or --seeds DIR)\n";
    return 2;
  }
  auto rt = BuildRuntime(o.common, StateMode::kMemory);
  if (!rt.ok()) {
    std::cerr << "newsflowd demo: " << rt.error().message << "\n";
    return 1;
  }
  auto& cfg = (*rt)->config;
  auto cluster = EmbeddedKafka::Start(1);
  if (!cluster.ok()) {
    std::cerr << "newsflowd demo: " << cluster.error().message << "\n";
    return 1;
  }
  for (const auto& t : {cfg.kafka.input_topic, cfg.kafka.output_topic, cfg.kafka.dead_letter_topic}) {
    Status s = (*cluster)->CreateTopic(t, 2);
    if (!s.ok()) {
      std::cerr << "newsflowd demo: " << s.error().message << "\n";
      return 1;
    }
  }
  const std::string bootstrap = (*cluster)->bootstrap();
  std::cout << "embedded Kafka (mock cluster) at " << bootstrap << "\n";

  // Produce the sample articles.
  {
    auto conf = kafka::MakeConf({{"bootstrap.servers", bootstrap}});
    auto producer = kafka::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
    if (!producer.ok()) {
      std::cerr << producer.error().message << "\n";
      return 1;
    }
    for (const auto& in : inputs) {
      rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(cfg.kafka.input_topic.c_str()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_VALUE(const_cast<char*>(in.value.data()), in.value.size()),
                        RD_KAFKA_V_END);
    }
    if (rd_kafka_flush(producer->get(), 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "newsflowd demo: could not produce the sample articles\n";
      return 1;
    }
  }
  std::cout << "produced " << inputs.size() << " articles to " << cfg.kafka.input_topic << "\n";

  DaemonOptions dopt;
  dopt.bootstrap_override = bootstrap;
  dopt.admin_server = false;
  KafkaDaemon daemon(**rt, dopt);
  int rc = 0;
  std::thread runner([&] { rc = daemon.Run(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto c = daemon.counts();
    if (c.produced + c.dead_lettered + c.dropped >= inputs.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  daemon.Stop();
  runner.join();
  const auto c = daemon.counts();
  std::cout << "daemon: consumed " << c.consumed << ", produced " << c.produced
            << ", dead-lettered " << c.dead_lettered << ", dropped " << c.dropped << " (exit "
            << rc << ")\n";

  // Read back the output and dead-letter topics.
  auto conf = kafka::MakeConf({{"bootstrap.servers", bootstrap},
                               {"group.id", "newsflow-demo-reader"},
                               {"auto.offset.reset", "earliest"},
                               {"enable.auto.commit", "false"}});
  auto consumer = kafka::MakeHandle(RD_KAFKA_CONSUMER, std::move(conf).value());
  if (!consumer.ok()) return 1;
  rd_kafka_poll_set_consumer(consumer->get());
  kafka::PartitionList topics(rd_kafka_topic_partition_list_new(2));
  rd_kafka_topic_partition_list_add(topics.get(), cfg.kafka.output_topic.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  rd_kafka_topic_partition_list_add(topics.get(), cfg.kafka.dead_letter_topic.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer->get(), topics.get());
  std::ofstream out;
  if (!o.output.empty()) out.open(o.output);
  uint64_t seen = 0;
  const uint64_t expected = c.produced + c.dead_lettered;
  const auto read_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::cout << "\nenriched records (" << cfg.kafka.output_topic << "):\n";
  std::vector<std::string> dead;
  while (seen < expected && std::chrono::steady_clock::now() < read_deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer->get(), 200);
    if (!m) continue;
    if (!m->err) {
      ++seen;
      const std::string_view v(static_cast<const char*>(m->payload), m->len);
      if (cfg.kafka.dead_letter_topic == rd_kafka_topic_name(m->rkt)) {
        rd_kafka_headers_t* h = nullptr;
        std::string reason = "?", stage = "?";
        if (!rd_kafka_message_headers(m, &h)) {
          const void* val;
          size_t size;
          if (!rd_kafka_header_get_last(h, "newsflow.reason", &val, &size))
            reason.assign(static_cast<const char*>(val), size);
          if (!rd_kafka_header_get_last(h, "newsflow.stage", &val, &size))
            stage.assign(static_cast<const char*>(val), size);
        }
        dead.push_back(stage + "/" + reason + ": " + std::string(v.substr(0, 60)));
      } else {
        PrintRecord(v);
        if (out) out << v << "\n";
      }
    }
    rd_kafka_message_destroy(m);
  }
  if (!dead.empty()) {
    std::cout << "\ndead letters (" << cfg.kafka.dead_letter_topic << "):\n";
    for (const auto& d : dead) std::cout << "  " << d << "\n";
  }
  rd_kafka_consumer_close(consumer->get());
  if (!o.output.empty()) std::cout << "\nfull records written to " << o.output << "\n";
  const bool complete = c.produced + c.dead_lettered + c.dropped == inputs.size() &&
                        seen == expected;
  if (!complete) std::cerr << "newsflowd demo: not every record was accounted for\n";
  return rc == 0 && complete ? 0 : 1;
}

}  // namespace newsflow
