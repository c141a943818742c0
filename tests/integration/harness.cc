#include "harness.h"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <random>
#include <sstream>

#include <simdjson.h>

#include "common/json_writer.h"
#include "stages/builtin.h"

namespace newsflow::testing {
namespace {

rd_kafka_t* NewClient(rd_kafka_type_t type, std::map<std::string, std::string> props) {
  props["bootstrap.servers"] = KafkaBootstrap();
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : props)
    REQUIRE(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  REQUIRE(rk != nullptr);
  return rk;
}

const char* kWords[] = {"minister", "harbour",  "council", "election", "storm",   "market",
                        "talks",    "border",   "summit",  "treaty",   "budget",  "court",
                        "ruling",   "protest",  "ferry",   "festival", "research", "vaccine",
                        "coalition", "strike",  "airport", "railway",  "drought", "harvest"};

}  // namespace

std::string KafkaBootstrap() {
  const char* b = std::getenv("NEWSFLOW_TEST_KAFKA");
  INFO("Set NEWSFLOW_TEST_KAFKA (scripts/kafka.sh start prints it); scripts/test.sh does this.");
  REQUIRE(b != nullptr);
  return b;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000) + "-" +
         std::to_string(counter++);
}

void CreateTopic(const std::string& topic, int partitions) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER, {});
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  REQUIRE(nt != nullptr);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  REQUIRE(ev != nullptr);
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
  REQUIRE(res != nullptr);
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
  REQUIRE(n == 1);
  const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[0]);
  INFO(rd_kafka_err2str(e));
  CHECK((e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS));
  rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

void Produce(const std::string& topic, const std::vector<std::string>& values,
             const std::vector<std::string>& keys, int32_t partition, int64_t timestamp_ms) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER, {{"linger.ms", "5"}, {"acks", "all"}});
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string* key = i < keys.size() ? &keys[i] : nullptr;
    while (true) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_KEY(key ? const_cast<char*>(key->data()) : nullptr, key ? key->size() : 0),
          RD_KAFKA_V_VALUE(const_cast<char*>(values[i].data()), values[i].size()),
          RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 50);
        continue;
      }
      REQUIRE(err == RD_KAFKA_RESP_ERR_NO_ERROR);
      break;
    }
  }
  REQUIRE(rd_kafka_flush(rk, 60000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
}

std::vector<Record> ReadAll(const std::string& topic, size_t expected,
                            std::chrono::milliseconds timeout, std::chrono::milliseconds quiet) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_CONSUMER, {{"group.id", UniqueName("reader")},
                                                  {"auto.offset.reset", "earliest"},
                                                  {"enable.auto.commit", "false"}});
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), RD_KAFKA_PARTITION_UA);
  REQUIRE(rd_kafka_subscribe(rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<Record> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto last = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    if (out.size() >= expected && std::chrono::steady_clock::now() - last > quiet) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err) {
      Record r;
      if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
      r.value.assign(static_cast<const char*>(m->payload), m->len);
      r.partition = m->partition;
      r.offset = m->offset;
      rd_kafka_headers_t* h = nullptr;
      if (!rd_kafka_message_headers(m, &h)) {
        const char* name;
        const void* val;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(h, i, &name, &val, &size); ++i)
          r.headers[name] = std::string(static_cast<const char*>(val), size);
      }
      out.push_back(std::move(r));
      last = std::chrono::steady_clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

std::map<int32_t, int64_t> CommittedOffsets(const std::string& group, const std::string& topic,
                                            int partitions) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_CONSUMER, {{"group.id", group}});
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  REQUIRE(rd_kafka_committed(rk, list, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  std::map<int32_t, int64_t> out;
  for (int i = 0; i < list->cnt; ++i)
    if (list->elems[i].offset >= 0) out[list->elems[i].partition] = list->elems[i].offset;
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return out;
}

std::map<int32_t, int64_t> EndOffsets(const std::string& topic, int partitions) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER, {});
  std::map<int32_t, int64_t> out;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    REQUIRE(rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 30000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR);
    out[p] = high;
  }
  rd_kafka_destroy(rk);
  return out;
}

std::string ArticleJson(const std::string& id, size_t body_bytes) {
  std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>()(id)));
  std::string body;
  while (body.size() < body_bytes) {
    std::string sentence = "The";
    const int n = 8 + static_cast<int>(rng() % 10);
    for (int i = 0; i < n; ++i) {
      sentence += " ";
      sentence += kWords[rng() % (sizeof kWords / sizeof kWords[0])];
    }
    sentence += " " + std::to_string(rng() % 100000) + ".";
    body += sentence;
    body += (rng() % 4 == 0) ? "\n\n" : " ";
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("id", id);
  w.Field("url", "https://news.example.test/" + id);
  w.Field("source", "Test Wire");
  w.Field("published_at", "2024-01-26T08:00:00Z");
  w.Field("title", "Report " + id);
  w.Field("text", body);
  w.EndObject();
  return out;
}

std::string IdOf(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view id;
  REQUIRE_FALSE(parser.parse(json)["id"].get_string().get(id));
  return std::string(id);
}

std::string AllStages() {
  StageRegistry registry;
  RegisterBuiltinStages(&registry);
  std::string list = "[";
  for (const auto* f : registry.All())
    list += (list.size() > 1 ? ", " : "") + std::string(f->Name());
  return list + "]";
}

std::string NewsflowdPath() {
  const char* p = std::getenv("NEWSFLOWD");
  REQUIRE(p != nullptr);
  return p;
}

std::string WriteConfig(const std::string& dir, const std::string& input,
                        const std::string& output, const std::string& dead_letter,
                        const std::string& group, const std::string& extra) {
  const std::string path = dir + "/config-" + group + ".yaml";
  std::ofstream f(path);
  f << "kafka:\n  brokers: " << KafkaBootstrap() << "\n  input_topic: " << input
    << "\n  output_topic: " << output << "\n  dead_letter_topic: " << dead_letter
    << "\n  group_id: " << group << "\n"
    << "admin:\n  listen: 127.0.0.1\n  port: 0\n"
    << extra;
  REQUIRE(f.good());
  return path;
}

DaemonProcess::DaemonProcess(std::vector<std::string> args, std::string log_path)
    : log_path_(std::move(log_path)) {
  const std::string bin = NewsflowdPath();
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 2);
      dup2(fd, 1);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
}

DaemonProcess::~DaemonProcess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

void DaemonProcess::Signal(int sig) {
  if (Running()) kill(pid_, sig);
}

bool DaemonProcess::Running() {
  if (status_) return false;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return r == 0;
}

std::optional<int> DaemonProcess::Wait(std::chrono::milliseconds timeout) {
  WaitFor([&] { return !Running(); }, timeout);
  return status_;
}

std::string DaemonProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace newsflow::testing
