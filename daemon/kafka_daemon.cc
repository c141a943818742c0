#include "daemon/kafka_daemon.h"

#include <librdkafka/rdkafka.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/time.h"
#include "daemon/admin_server.h"
#include "daemon/kafka_util.h"
#include "daemon/metrics.h"
#include "daemon/offset_tracker.h"
#include "stages/core/processor.h"

namespace newsflow {
namespace {

using Clock = std::chrono::steady_clock;

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

// Input bytes held by a job, counted in `counter` from consume until the job is destroyed
// (processed, or discarded on a revoke or shutdown): the byte side of back-pressure.
class HeldBytes {
 public:
  HeldBytes() = default;
  HeldBytes(std::atomic<int64_t>* counter, int64_t n) : counter_(counter), n_(n) {
    counter_->fetch_add(n_, std::memory_order_relaxed);
  }
  HeldBytes(HeldBytes&& o) noexcept : counter_(std::exchange(o.counter_, nullptr)), n_(o.n_) {}
  HeldBytes& operator=(HeldBytes&& o) noexcept {
    Release();
    counter_ = std::exchange(o.counter_, nullptr);
    n_ = o.n_;
    return *this;
  }
  HeldBytes(const HeldBytes&) = delete;
  HeldBytes& operator=(const HeldBytes&) = delete;
  ~HeldBytes() { Release(); }

 private:
  void Release() {
    if (counter_) counter_->fetch_sub(n_, std::memory_order_relaxed);
    counter_ = nullptr;
  }
  std::atomic<int64_t>* counter_ = nullptr;
  int64_t n_ = 0;
};

struct Job {
  Message message;
  uint64_t epoch;
  Clock::time_point consumed_at;
  HeldBytes held;
};

// What a delivery report needs to acknowledge an input offset.
struct Delivery {
  int32_t partition;
  uint64_t epoch;
  int64_t offset;
  int64_t record_ts_ms;
  Clock::time_point consumed_at;
  bool dead_letter;
  std::string_view stage;   // static
  std::string_view reason;  // static
};

// A bounded-by-construction FIFO (the in-flight limits bound what is queued).
class JobQueue {
 public:
  void Push(Job job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  // Blocks until a job or Close(); false when closed and empty.
  bool Pop(Job* job) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !jobs_.empty(); });
    if (jobs_.empty()) return false;
    *job = std::move(jobs_.front());
    jobs_.pop_front();
    return true;
  }
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      jobs_.clear();  // abandoned: their offsets are not committed, they will be consumed again
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool closed_ = false;
};

std::string ErrName(rd_kafka_resp_err_t err) { return rd_kafka_err2str(err); }

}  // namespace

struct KafkaDaemon::Impl {
  Runtime& rt;
  DaemonOptions options;
  const config::Config& cfg;
  DaemonMetrics metrics;
  OffsetTracker tracker;
  kafka::Handle consumer;
  kafka::Handle producer;
  // Input bytes of queued and running jobs (HeldBytes); declared before the queues, which
  // release into it when they are destroyed.
  std::atomic<int64_t> queued_bytes{0};
  std::vector<std::unique_ptr<JobQueue>> queues;
  std::vector<std::thread> workers;
  std::thread delivery_thread;
  std::atomic<bool> delivery_running{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> fatal{false};
  std::atomic<bool> closing{false};
  std::atomic<bool> ready{false};      // connected and not draining (/readyz)
  std::atomic<bool> connected{false};  // a metadata round trip succeeded since the last outage
  uint64_t connection_checks = 0;      // consumer thread only
  std::atomic<int64_t> heartbeat_ms{0};
  std::atomic<uint64_t> n_consumed{0}, n_produced{0}, n_dead{0}, n_dropped{0};
  std::mutex ack_mu;
  std::condition_variable ack_cv;  // notified on every acknowledgement
  std::set<int32_t> assigned;      // consumer thread only
  std::set<int32_t> paused;        // consumer thread only
  std::map<int32_t, int64_t> last_consumed_ts;  // consumer thread only
  std::unique_ptr<AdminServer> admin;

  // Replay mode only (consumer thread).
  bool replay_mode = false;
  std::map<int32_t, ReplayRange> ranges;
  std::set<int32_t> exhausted;      // consumed up to the end of its range
  std::map<int32_t, int64_t> positions;  // next offset to consume, refreshed each second
  Clock::time_point replay_started;
  uint64_t throttle_records = 0, throttle_bytes = 0;
  prometheus::Gauge* replay_remaining = nullptr;

  std::string source_topic;
  std::string output_topic;

  Impl(Runtime& r, DaemonOptions o)
      : rt(r), options(std::move(o)), cfg(r.config), metrics(*r.metrics) {
    replay_mode = options.replay.has_value();
    source_topic = replay_mode && !options.replay->source_topic.empty()
                       ? options.replay->source_topic
                       : cfg.kafka.input_topic;
    output_topic = replay_mode && !options.replay->output_topic.empty()
                       ? options.replay->output_topic
                       : cfg.kafka.output_topic;
  }

  // ---- set-up ----

  std::map<std::string, std::string> BaseProps() const {
    std::map<std::string, std::string> p = cfg.kafka.properties;
    p["bootstrap.servers"] =
        options.bootstrap_override.empty() ? cfg.kafka.brokers : options.bootstrap_override;
    p.emplace("client.id", "newsflowd");
    return p;
  }

  Status CreateClients() {
    auto cprops = BaseProps();
    cprops["group.id"] = replay_mode ? ReplayGroup() : cfg.kafka.group_id;
    // Eager assignors, not cooperative-sticky: with librdkafka 2.0 (Debian 12), a cooperative
    // member that holds no partitions when it closes (as during a hand-over) sends no
    // LeaveGroup, so the group waits a whole session timeout for it; a commit queued behind the
    // survivor's pending JoinGroup then fails with an illegal generation, which marks the
    // survivor's assignment lost and redoes everything since its last commit. An eager member
    // leaves at once. consumer_properties may still choose cooperative-sticky.
    cprops["partition.assignment.strategy"] = "range,roundrobin";
    cprops["enable.auto.commit"] = "false";
    cprops["enable.auto.offset.store"] = "false";
    cprops["auto.offset.reset"] = cfg.kafka.auto_offset_reset;
    cprops.emplace("enable.partition.eof", "false");
    for (const auto& [k, v] : cfg.kafka.consumer_properties) cprops[k] = v;
    auto cconf = kafka::MakeConf(cprops);
    if (!cconf.ok()) return cconf.error();
    rd_kafka_conf_set_opaque(cconf->get(), this);
    rd_kafka_conf_set_rebalance_cb(cconf->get(), &Impl::RebalanceCb);
    rd_kafka_conf_set_error_cb(cconf->get(), &Impl::ErrorCb);
    rd_kafka_conf_set_log_cb(cconf->get(), &Impl::LogCb);
    auto c = kafka::MakeHandle(RD_KAFKA_CONSUMER, std::move(cconf).value());
    if (!c.ok()) return c.error();
    consumer = std::move(c).value();
    rd_kafka_poll_set_consumer(consumer.get());

    auto pprops = BaseProps();
    pprops.emplace("enable.idempotence", "true");
    pprops.emplace("acks", "all");
    pprops.emplace("linger.ms", "5");
    // Outputs awaiting acknowledgement: 256 MiB rather than librdkafka's 1 GiB (see
    // pipeline.max_queued_bytes for the input side).
    pprops.emplace("queue.buffering.max.kbytes", "262144");
    pprops.emplace("compression.type", "lz4");
    for (const auto& [k, v] : cfg.kafka.producer_properties) pprops[k] = v;
    auto pconf = kafka::MakeConf(pprops);
    if (!pconf.ok()) return pconf.error();
    rd_kafka_conf_set_opaque(pconf->get(), this);
    rd_kafka_conf_set_dr_msg_cb(pconf->get(), &Impl::DeliveryCb);
    rd_kafka_conf_set_error_cb(pconf->get(), &Impl::ErrorCb);
    rd_kafka_conf_set_log_cb(pconf->get(), &Impl::LogCb);
    auto p = kafka::MakeHandle(RD_KAFKA_PRODUCER, std::move(pconf).value());
    if (!p.ok()) return p.error();
    producer = std::move(p).value();

    if (replay_mode) return StartReplay();
    kafka::PartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), source_topic.c_str(),
                                      RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer.get(), topics.get());
    if (err) return MakeError("subscribe to " + source_topic + ": " + ErrName(err));
    return Status::Ok();
  }

  // ---- callbacks ----

  static void LogCb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
    // syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug.
    const log::Level l = level <= 3   ? log::Level::kError
                         : level == 4 ? log::Level::kWarn
                         : level <= 6 ? log::Level::kInfo
                                      : log::Level::kDebug;
    log::Write(l, "librdkafka", {{"facility", fac}, {"message", buf}});
  }

  static void ErrorCb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      const rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
      self->metrics.kafka_errors_fatal->Increment();
      log::Error("fatal kafka error", {{"error", ErrName(orig)}, {"reason", buf}});
      self->fatal = true;
      return;
    }
    self->metrics.kafka_errors_transient->Increment();
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) self->connected = false;
    log::Warn("kafka error", {{"error", ErrName(static_cast<rd_kafka_resp_err_t>(err))},
                              {"reason", reason}});
  }

  static void RebalanceCb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<Impl*>(opaque)->Rebalance(rk, err, parts);
  }

  static void DeliveryCb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    static_cast<Impl*>(opaque)->Delivered(m);
  }

  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < parts->cnt; ++i) {
        const int32_t p = parts->elems[i].partition;
        tracker.Assign(p);
        assigned.insert(p);
        paused.erase(p);
        metrics.Partition(p);
      }
      metrics.rebalance_assign->Increment();
      rd_kafka_error_t* e = nullptr;
      if (cooperative) {
        e = rd_kafka_incremental_assign(rk, parts);
      } else {
        rd_kafka_assign(rk, parts);
      }
      if (e) {
        log::Error("incremental assign failed", {{"error", rd_kafka_error_string(e)}});
        rd_kafka_error_destroy(e);
      }
      // librdkafka keeps a partition's paused state across a lost assignment and a new one;
      // our back-pressure state starts afresh, so the partition must start resumed.
      rd_kafka_resume_partitions(rk, parts);
      log::Info("partitions assigned", {{"count", std::to_string(parts->cnt)},
                                        {"assigned", std::to_string(assigned.size())}});
    } else {
      const bool lost = rd_kafka_assignment_lost(rk);
      std::vector<int32_t> revoked;
      for (int i = 0; i < parts->cnt; ++i) revoked.push_back(parts->elems[i].partition);
      if (lost) {
        metrics.rebalance_lost->Increment();
        log::Warn("partitions lost; in-flight records will be processed by their new owner",
                  {{"count", std::to_string(revoked.size())}});
      } else {
        metrics.rebalance_revoke->Increment();
        // Start no more of their queued records (the next owner consumes them again), let the
        // started ones be acknowledged (bounded), and commit while we still own them.
        tracker.StopStarting(revoked);
        if (!closing) WaitStarted(revoked, Clock::now() + std::chrono::milliseconds(
                                                            cfg.pipeline.shutdown_grace_ms));
        Commit(revoked);
      }
      for (int32_t p : revoked) {
        tracker.Revoke(p);  // late acknowledgements are now ignored; queued jobs are skipped
        assigned.erase(p);
        paused.erase(p);
      }
      if (cooperative) {
        rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts);
        if (e) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, nullptr);
      }
      log::Info("partitions revoked", {{"count", std::to_string(revoked.size())},
                                       {"lost", lost ? "true" : "false"}});
    }
    metrics.assigned_partitions->Set(static_cast<double>(assigned.size()));
  }

  void Delivered(const rd_kafka_message_t* m) {
    std::unique_ptr<Delivery> d(static_cast<Delivery*>(m->_private));
    if (m->err) {
      (d->dead_letter ? metrics.dead_letter_delivery_failures : metrics.output_delivery_failures)
          ->Increment();
      log::Error("record not delivered; stopping without committing it",
                 {{"topic", rd_kafka_topic_name(m->rkt)},
                  {"error", ErrName(m->err)},
                  {"source_partition", std::to_string(d->partition)},
                  {"source_offset", std::to_string(d->offset)}});
      fatal = true;
      ack_cv.notify_all();
      return;
    }
    if (!tracker.Ack(d->partition, d->epoch, d->offset)) return;  // revoked meanwhile
    if (d->dead_letter) {
      metrics.DeadLettered(d->stage, d->reason);
      ++n_dead;
    } else {
      metrics.produced->Increment();
      ++n_produced;
    }
    const auto now = Clock::now();
    metrics.processing_latency->Observe(
        std::chrono::duration<double>(now - d->consumed_at).count());
    if (d->record_ts_ms > 0) {
      metrics.end_to_end_latency->Observe(
          std::max<int64_t>(0, NowMillis() - d->record_ts_ms) / 1000.0);
    }
    ack_cv.notify_all();
  }

  // ---- workers ----

  void Worker(int index) {
    RecordProcessor processor(*rt.pipeline, rt.parse_options, rt.info, index);
    Job job;
    while (queues[index]->Pop(&job)) {
      rd_kafka_message_t* m = job.message.get();
      // Revoked or being given up: skipped, uncommitted; the next owner consumes it again.
      if (!tracker.Start(m->partition, job.epoch, m->offset)) continue;
      Origin origin;
      origin.topic = source_topic;
      origin.partition = m->partition;
      origin.offset = m->offset;
      rd_kafka_timestamp_type_t tstype;
      origin.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
      const std::string_view value(static_cast<const char*>(m->payload), m->len);
      const std::string_view key(static_cast<const char*>(m->key), m->key_len);
      const ProcessResult& r = processor.Process(value, key, origin, NowMillis());
      auto d = std::make_unique<Delivery>(Delivery{m->partition, job.epoch, m->offset,
                                                   origin.timestamp_ms, job.consumed_at, false,
                                                   r.stage, r.reason});
      if (r.fate == RecordFate::kFatal) {
        // Not the record's fault: stop without committing it, so a restart retries it.
        log::Error("stage environment failure; stopping without committing the record",
                   {{"stage", std::string(r.stage)},
                    {"reason", std::string(r.reason)},
                    {"source_partition", std::to_string(m->partition)},
                    {"source_offset", std::to_string(m->offset)}});
        fatal = true;
        ack_cv.notify_all();
        continue;
      }
      if (r.fate == RecordFate::kDropped) {
        metrics.Dropped(r.stage, r.reason);
        ++n_dropped;
        tracker.Ack(m->partition, job.epoch, m->offset);
        ack_cv.notify_all();
        continue;
      }
      if (r.fate == RecordFate::kOutput) {
        const std::string& id = r.article->id;
        rd_kafka_resp_err_t err = Produce(output_topic, id, *r.output, nullptr, d.get());
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
          d->stage = "output";
          d->reason = "output_too_large";
          DeadLetter(m, "output", "output_too_large", "the enriched record exceeds the "
                     "producer's message.max.bytes", std::move(d));
          continue;
        }
        if (err) {
          ProduceFailed(err, *d);
          continue;
        }
        d.release();  // owned by the delivery report now
        continue;
      }
      d->dead_letter = true;
      DeadLetter(m, r.stage, r.reason, r.detail, std::move(d));
    }
  }

  void DeadLetter(rd_kafka_message_t* m, std::string_view stage, std::string_view reason,
                  const std::string& detail, std::unique_ptr<Delivery> d) {
    d->dead_letter = true;
    d->stage = stage;
    d->reason = reason;
    rd_kafka_headers_t* h = rd_kafka_headers_new(8);
    auto add = [&](const char* name, const std::string& v) {
      rd_kafka_header_add(h, name, -1, v.data(), static_cast<ssize_t>(v.size()));
    };
    add("newsflow.reason", std::string(reason));
    add("newsflow.stage", std::string(stage));
    if (!detail.empty()) add("newsflow.detail", detail.substr(0, 1024));
    add("newsflow.source.topic", source_topic);
    add("newsflow.source.partition", std::to_string(m->partition));
    add("newsflow.source.offset", std::to_string(m->offset));
    rd_kafka_timestamp_type_t tstype;
    add("newsflow.source.timestamp", std::to_string(rd_kafka_message_timestamp(m, &tstype)));
    const std::string_view key(static_cast<const char*>(m->key), m->key_len);
    const std::string_view value(static_cast<const char*>(m->payload), m->len);
    rd_kafka_resp_err_t err = Produce(cfg.kafka.dead_letter_topic, key, value, h, d.get());
    if (err) {
      rd_kafka_headers_destroy(h);
      ProduceFailed(err, *d);
      return;
    }
    d.release();
  }

  // Produces a copy of `value`; waits while the producer queue is full (back-pressure on this
  // worker, and through the in-flight bound on the consumer). Ownership of `headers` passes to
  // librdkafka on success.
  rd_kafka_resp_err_t Produce(const std::string& topic, std::string_view key,
                              std::string_view value, rd_kafka_headers_t* headers, Delivery* d) {
    while (true) {
      rd_kafka_resp_err_t err;
      if (headers) {
        err = rd_kafka_producev(
            producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
      } else {
        err = rd_kafka_producev(
            producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
      }
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return err;
      if (fatal) return RD_KAFKA_RESP_ERR__FATAL;
      std::unique_lock lock(ack_mu);
      ack_cv.wait_for(lock, std::chrono::milliseconds(20));
    }
  }

  void ProduceFailed(rd_kafka_resp_err_t err, const Delivery& d) {
    (d.dead_letter ? metrics.dead_letter_delivery_failures : metrics.output_delivery_failures)
        ->Increment();
    log::Error("cannot produce record; stopping without committing it",
               {{"error", ErrName(err)},
                {"source_partition", std::to_string(d.partition)},
                {"source_offset", std::to_string(d.offset)}});
    fatal = true;
    ack_cv.notify_all();
  }

  // ---- consumer thread ----

  void Dispatch(rd_kafka_message_t* raw) {
    Message m(raw);
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
      metrics.kafka_errors_transient->Increment();
      log::Warn("consume error", {{"error", ErrName(m->err)}});
      return;
    }
    if (replay_mode) {
      auto it = ranges.find(m->partition);
      if (it == ranges.end() || m->offset >= it->second.end) {
        MarkExhausted(m->partition);
        return;  // past the range: not tracked, not processed
      }
      if (m->offset + 1 >= it->second.end) MarkExhausted(m->partition);
      Throttle(m->len);
    }
    const uint64_t epoch = tracker.Epoch(m->partition);
    rd_kafka_timestamp_type_t tstype;
    const int64_t ts = rd_kafka_message_timestamp(m.get(), &tstype);
    if (epoch == 0 || !tracker.Add(m->partition, epoch, m->offset, ts)) return;
    metrics.consumed->Increment();
    ++n_consumed;
    last_consumed_ts[m->partition] = ts;
    const size_t q = static_cast<size_t>(m->partition) % queues.size();
    const auto bytes = static_cast<int64_t>(m->len + m->key_len);
    queues[q]->Push(Job{std::move(m), epoch, Clock::now(), HeldBytes(&queued_bytes, bytes)});
  }

  void ApplyBackPressure() {
    const size_t total = tracker.InFlight();
    const size_t per = static_cast<size_t>(cfg.pipeline.max_in_flight_per_partition);
    const size_t all = static_cast<size_t>(cfg.pipeline.max_in_flight);
    const int64_t bytes = queued_bytes.load(std::memory_order_relaxed);
    const int64_t max_bytes = cfg.pipeline.max_queued_bytes;
    std::vector<int32_t> to_pause, to_resume;
    for (int32_t p : assigned) {
      const size_t n = tracker.InFlight(p);
      const bool over = n >= per || total >= all || bytes >= max_bytes;
      const bool under = n <= per / 2 && total <= all / 2 && bytes <= max_bytes / 2;
      if (over && !paused.count(p)) to_pause.push_back(p);
      if (under && paused.count(p) && !exhausted.count(p)) to_resume.push_back(p);
    }
    auto apply = [&](const std::vector<int32_t>& ps, bool pause) {
      if (ps.empty()) return;
      kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(ps.size())));
      for (int32_t p : ps)
        rd_kafka_topic_partition_list_add(list.get(), source_topic.c_str(), p);
      if (pause) {
        rd_kafka_pause_partitions(consumer.get(), list.get());
        paused.insert(ps.begin(), ps.end());
      } else {
        rd_kafka_resume_partitions(consumer.get(), list.get());
        for (int32_t p : ps) paused.erase(p);
      }
    };
    apply(to_pause, true);
    apply(to_resume, false);
    metrics.paused_partitions->Set(static_cast<double>(paused.size()));
    metrics.in_flight->Set(static_cast<double>(total));
    metrics.queued_bytes->Set(static_cast<double>(bytes));
  }

  void PauseAll() {
    std::vector<int32_t> ps(assigned.begin(), assigned.end());
    if (ps.empty()) return;
    kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(ps.size())));
    for (int32_t p : ps)
      rd_kafka_topic_partition_list_add(list.get(), source_topic.c_str(), p);
    rd_kafka_pause_partitions(consumer.get(), list.get());
    paused.insert(ps.begin(), ps.end());
  }

  // The periodic commit: asynchronous, so that an unreachable broker never blocks the consumer
  // loop (readiness, liveness, rebalances). One at a time; its result arrives in CommitDone on
  // the consumer thread.
  struct CommitBatch {
    Impl* self;
    std::vector<OffsetTracker::Committable> items;
  };
  bool commit_in_flight = false;  // consumer thread only

  void CommitAsync() {
    if (commit_in_flight) return;
    auto pending = tracker.PendingCommits();
    if (pending.empty()) return;
    kafka::PartitionList list = CommitList(pending);
    auto* batch = new CommitBatch{this, std::move(pending)};
    rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer.get());
    const rd_kafka_resp_err_t err =
        rd_kafka_commit_queue(consumer.get(), list.get(), queue, &Impl::CommitDone, batch);
    rd_kafka_queue_destroy(queue);
    if (err) {
      delete batch;
      metrics.commit_failures->Increment();
      log::Warn("offset commit failed; will retry", {{"error", ErrName(err)}});
      return;
    }
    commit_in_flight = true;
  }

  static void CommitDone(rd_kafka_t*, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    std::unique_ptr<CommitBatch> batch(static_cast<CommitBatch*>(opaque));
    Impl* self = batch->self;
    self->commit_in_flight = false;
    if (err) {
      self->metrics.commit_failures->Increment();
      log::Warn("offset commit failed; will retry", {{"error", ErrName(err)}});
      return;
    }
    self->metrics.commits->Increment();
    for (const auto& c : batch->items) {
      const rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_find(
          offsets, self->source_topic.c_str(), c.partition);
      if (tp && tp->err) continue;
      self->tracker.MarkCommitted(c.partition, c.epoch, c.offset);
      self->metrics.Partition(c.partition).committed_offset->Set(static_cast<double>(c.offset));
    }
  }

  kafka::PartitionList CommitList(const std::vector<OffsetTracker::Committable>& pending) {
    kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(pending.size())));
    for (const auto& c : pending) {
      rd_kafka_topic_partition_t* tp =
          rd_kafka_topic_partition_list_add(list.get(), source_topic.c_str(), c.partition);
      tp->offset = c.offset;
      if (replay_mode) {
        // The range's end travels with the progress, so a restarted replay stops at the same
        // place even if the topic has grown since.
        const std::string meta = "end=" + std::to_string(ranges[c.partition].end);
        tp->metadata = strdup(meta.c_str());
        tp->metadata_size = meta.size();
      }
    }
    return list;
  }

  // Commits acknowledged offsets synchronously for `only` partitions (all when empty): on
  // revoke and at shutdown, while the partitions are still ours. Returns false when the commit
  // failed (e.g. a rebalance in progress); nothing is lost by that, but a retry avoids
  // duplicates after a restart or hand-over.
  bool Commit(const std::vector<int32_t>& only = {}) {
    const auto pending = tracker.PendingCommits(only);
    if (pending.empty()) return true;
    kafka::PartitionList list = CommitList(pending);
    const rd_kafka_resp_err_t err = rd_kafka_commit(consumer.get(), list.get(), 0);
    if (err) {
      metrics.commit_failures->Increment();
      log::Warn("offset commit failed; will retry", {{"error", ErrName(err)}});
      return false;
    }
    metrics.commits->Increment();
    for (const auto& c : pending) {
      tracker.MarkCommitted(c.partition, c.epoch, c.offset);
      metrics.Partition(c.partition).committed_offset->Set(static_cast<double>(c.offset));
    }
    return true;
  }

  // Waits until no started record of `partitions` (all when empty) awaits its acknowledgement,
  // the deadline passes, or a fatal error. Delivery reports keep arriving on the delivery
  // thread meanwhile.
  bool WaitStarted(const std::vector<int32_t>& partitions, Clock::time_point deadline) {
    auto drained = [&] { return tracker.Started(partitions) == 0; };
    std::unique_lock lock(ack_mu);
    while (!drained()) {
      if (fatal || Clock::now() >= deadline) return false;
      ack_cv.wait_for(lock, std::chrono::milliseconds(50));
    }
    return true;
  }

  void RefreshLag() {
    const int64_t now = NowMillis();
    std::map<int32_t, int64_t> oldest;
    for (const auto& s : tracker.States())
      if (s.in_flight > 0) oldest[s.partition] = s.oldest_in_flight_ts_ms;
    if (assigned.empty()) return;
    kafka::PartitionList list(
        rd_kafka_topic_partition_list_new(static_cast<int>(assigned.size())));
    for (int32_t p : assigned)
      rd_kafka_topic_partition_list_add(list.get(), source_topic.c_str(), p);
    rd_kafka_position(consumer.get(), list.get());
    for (int i = 0; i < list->cnt; ++i) {
      const int32_t p = list->elems[i].partition;
      int64_t low = 0, high = 0;
      if (rd_kafka_get_watermark_offsets(consumer.get(), source_topic.c_str(), p, &low,
                                         &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
          high < 0)
        continue;
      int64_t position = list->elems[i].offset;
      if (position < 0) position = tracker.LastCommitted(p).value_or(low);
      const int64_t lag = std::max<int64_t>(0, high - position);
      auto& g = metrics.Partition(p);
      g.lag_records->Set(static_cast<double>(lag));
      double seconds = 0;
      if (auto it = oldest.find(p); it != oldest.end() && it->second > 0) {
        seconds = (now - it->second) / 1000.0;
      } else if (lag > 0) {
        auto lc = last_consumed_ts.find(p);
        if (lc != last_consumed_ts.end() && lc->second > 0) seconds = (now - lc->second) / 1000.0;
      }
      g.lag_seconds->Set(std::max(0.0, seconds));
    }
  }

  // Ready means the broker answered a metadata request (since the last all-brokers-down) and we
  // are not draining.
  void CheckConnected(std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(consumer.get(), 0, nullptr, &md, static_cast<int>(timeout.count()));
    if (md) rd_kafka_metadata_destroy(md);
    connected = err == RD_KAFKA_RESP_ERR_NO_ERROR;
    ready = connected.load();
    metrics.ready->Set(ready ? 1 : 0);
  }

  // ---- replay ----

  std::string ReplayGroup() const { return cfg.kafka.group_id + ".replay." + options.replay->name; }

  Status StartReplay() {
    const ReplayOptions& ro = *options.replay;
    rd_kafka_t* c = consumer.get();
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(c, source_topic.c_str(), nullptr);
    rd_kafka_resp_err_t err = rd_kafka_metadata(c, 0, rkt, &md, 30000);
    rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
      const std::string why = err ? ErrName(err) : ErrName(md->topics[0].err);
      if (md) rd_kafka_metadata_destroy(md);
      return MakeError("replay: cannot read topic " + source_topic + ": " + why, "kafka");
    }
    std::vector<int32_t> parts;
    for (int i = 0; i < md->topics[0].partition_cnt; ++i)
      parts.push_back(md->topics[0].partitions[i].id);
    rd_kafka_metadata_destroy(md);
    std::sort(parts.begin(), parts.end());

    std::map<int32_t, int64_t> low, high;
    for (int32_t p : parts) {
      int64_t lo = 0, hi = 0;
      err = rd_kafka_query_watermark_offsets(c, source_topic.c_str(), p, &lo, &hi, 30000);
      if (err) return MakeError("replay: watermarks of partition " + std::to_string(p) + ": " +
                                ErrName(err), "kafka");
      low[p] = lo;
      high[p] = hi;
    }
    // Offsets for a timestamp: the first offset whose timestamp is >= it (the high watermark
    // when none is).
    auto offsets_for = [&](int64_t ts_ms, std::map<int32_t, int64_t>* out) -> Status {
      kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
      for (int32_t p : parts)
        rd_kafka_topic_partition_list_add(list.get(), source_topic.c_str(), p)->offset = ts_ms;
      rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(c, list.get(), 30000);
      if (e) return MakeError("replay: offsets for time: " + ErrName(e), "kafka");
      for (int i = 0; i < list->cnt; ++i) {
        const auto& tp = list->elems[i];
        (*out)[tp.partition] = tp.offset >= 0 ? tp.offset : high[tp.partition];
      }
      return Status::Ok();
    };
    std::map<int32_t, int64_t> start = low, end = high;
    if (ro.from_time_ms) {
      Status s = offsets_for(*ro.from_time_ms, &start);
      if (!s.ok()) return s;
    }
    for (const auto& [p, o] : ro.from_offsets) {
      if (!low.count(p)) return MakeError("replay: no partition " + std::to_string(p), "config");
      start[p] = std::max(o, low[p]);
    }
    if (ro.to_time_ms) {
      Status s = offsets_for(*ro.to_time_ms, &end);
      if (!s.ok()) return s;
    }
    for (const auto& [p, o] : ro.to_offsets) {
      if (!high.count(p)) return MakeError("replay: no partition " + std::to_string(p), "config");
      end[p] = std::min(o, high[p]);
    }
    // Earlier progress of this replay (same name): resume there, with the end it recorded.
    kafka::PartitionList committed(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
    for (int32_t p : parts) rd_kafka_topic_partition_list_add(committed.get(), source_topic.c_str(), p);
    // A partition's own error (e.g. offsets not yet stable, a coordinator still loading) leaves
    // its offset unset, which would read as "no progress" and plan the range afresh over a topic
    // that may have grown: read again for up to 10 s, then refuse.
    for (int attempt = 1; !ro.reset; ++attempt) {
      err = rd_kafka_committed(c, committed.get(), 30000);
      if (err) return MakeError("replay: reading progress: " + ErrName(err), "kafka");
      const rd_kafka_topic_partition_t* failed = nullptr;
      for (int i = 0; i < committed->cnt && !failed; ++i) {
        if (committed->elems[i].err) failed = &committed->elems[i];
      }
      if (!failed) break;
      const std::string why = "replay: reading progress of partition " +
                              std::to_string(failed->partition) + ": " + ErrName(failed->err);
      if (attempt == 10) return MakeError(why, "kafka");
      log::Warn("reading replay progress again", {{"error", why}});
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    kafka::PartitionList assign(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
    int resumed = 0;
    for (int i = 0; i < committed->cnt; ++i) {
      const auto& tp = committed->elems[i];
      ReplayRange r{start[tp.partition], end[tp.partition], start[tp.partition]};
      if (!ro.reset && tp.offset >= 0 && tp.metadata_size > 4) {
        const std::string meta(static_cast<const char*>(tp.metadata), tp.metadata_size);
        if (meta.rfind("end=", 0) == 0) {
          r.end = std::stoll(meta.substr(4));
          r.resume = std::max(tp.offset, r.start);
          ++resumed;
        }
      }
      ranges[tp.partition] = r;
      if (r.resume >= r.end) {
        exhausted.insert(tp.partition);
        continue;
      }
      tracker.Assign(tp.partition);
      assigned.insert(tp.partition);
      metrics.Partition(tp.partition);
      rd_kafka_topic_partition_list_add(assign.get(), source_topic.c_str(), tp.partition)->offset =
          r.resume;
    }
    // Record a fresh plan before the first record is processed: a replay killed before its
    // first periodic commit must still resume with this end, not plan a new one over a topic
    // that has grown meanwhile. Committing the start offset claims nothing as done. Partitions
    // whose range is empty are recorded too: otherwise a restarted replay would find no
    // progress there and replay what arrived in them since.
    kafka::PartitionList plan(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
    for (int i = 0; i < committed->cnt; ++i) {
      const auto& tp = committed->elems[i];
      const ReplayRange& r = ranges[tp.partition];
      if (r.resume != r.start) continue;  // resumed: the plan is already recorded
      rd_kafka_topic_partition_t* e =
          rd_kafka_topic_partition_list_add(plan.get(), source_topic.c_str(), tp.partition);
      e->offset = r.start;
      const std::string meta = "end=" + std::to_string(r.end);
      e->metadata = strdup(meta.c_str());
      e->metadata_size = meta.size();
    }
    if (plan->cnt > 0) {
      err = rd_kafka_commit(c, plan.get(), 0);
      if (err) return MakeError("replay: recording the plan: " + ErrName(err), "kafka");
    }
    if (assign->cnt > 0) {
      err = rd_kafka_assign(c, assign.get());
      if (err) return MakeError("replay: assign: " + ErrName(err), "kafka");
    }
    replay_remaining = &prometheus::BuildGauge()
                            .Name("newsflow_replay_remaining_records")
                            .Help("Records left in the replay's range")
                            .Register(*rt.metrics)
                            .Add({});
    replay_started = Clock::now();
    int64_t total = 0;
    std::string plan_text;  // "partition:resume-end ...", for the log
    for (const auto& [p, r] : ranges) {
      total += std::max<int64_t>(0, r.end - r.resume);
      plan_text += (plan_text.empty() ? "" : " ") + std::to_string(p) + ":" +
                   std::to_string(r.resume) + "-" + std::to_string(r.end);
    }
    log::Info("replay planned", {{"name", ro.name},
                                 {"group", ReplayGroup()},
                                 {"source", source_topic},
                                 {"output", output_topic},
                                 {"partitions", std::to_string(parts.size())},
                                 {"records", std::to_string(total)},
                                 {"resumed_partitions", std::to_string(resumed)},
                                 {"ranges", plan_text}});
    metrics.assigned_partitions->Set(static_cast<double>(assigned.size()));
    return Status::Ok();
  }

  void MarkExhausted(int32_t partition) {
    if (!exhausted.insert(partition).second) return;
    kafka::PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), source_topic.c_str(), partition);
    rd_kafka_pause_partitions(consumer.get(), list.get());
    paused.insert(partition);
  }

  // Holds the consumer back so that records (and bytes) per second stay within the limits.
  void Throttle(size_t bytes) {
    const ReplayOptions& ro = *options.replay;
    ++throttle_records;
    throttle_bytes += bytes;
    double due = 0;
    if (ro.max_records_per_s > 0) due = std::max(due, throttle_records / ro.max_records_per_s);
    if (ro.max_bytes_per_s > 0) due = std::max(due, throttle_bytes / ro.max_bytes_per_s);
    const auto when = replay_started + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(due));
    while (Clock::now() < when && !stop_requested && !(options.stop_flag && *options.stop_flag))
      std::this_thread::sleep_for(std::min<Clock::duration>(when - Clock::now(),
                                                            std::chrono::milliseconds(100)));
  }

  void RefreshPositions() {
    if (assigned.empty()) return;
    kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(assigned.size())));
    for (int32_t p : assigned) rd_kafka_topic_partition_list_add(list.get(), source_topic.c_str(), p);
    rd_kafka_position(consumer.get(), list.get());
    for (int i = 0; i < list->cnt; ++i)
      if (list->elems[i].offset >= 0) positions[list->elems[i].partition] = list->elems[i].offset;
  }

  // Done when every partition was consumed to the end of its range (control records and
  // compaction can leave gaps, hence the position check) and nothing is in flight.
  bool ReplayDone() {
    RefreshPositions();
    for (const auto& [p, r] : ranges) {
      auto it = positions.find(p);
      if (it != positions.end() && it->second >= r.end) MarkExhausted(p);
      if (!exhausted.count(p)) return false;
    }
    return tracker.InFlight() == 0;
  }

  void ReplayProgress(bool final) {
    int64_t total = 0, done = 0;
    std::string per;
    for (const auto& [p, r] : ranges) {
      const int64_t size = std::max<int64_t>(0, r.end - r.start);
      int64_t at = r.resume;
      if (auto c = tracker.LastCommitted(p)) at = std::max(at, *c);
      if (auto it = positions.find(p); it != positions.end()) at = std::max(at, it->second);
      if (exhausted.count(p) && tracker.InFlight(p) == 0) at = r.end;
      const int64_t d = std::clamp<int64_t>(at - r.start, 0, size);
      total += size;
      done += d;
      per += " p" + std::to_string(p) + ":" + std::to_string(size ? 100 * d / size : 100) + "%";
    }
    const double secs = std::chrono::duration<double>(Clock::now() - replay_started).count();
    const uint64_t processed = n_produced + n_dead + n_dropped;
    const double rate = secs > 0 ? processed / secs : 0;
    const int64_t left = total - done;
    if (replay_remaining) replay_remaining->Set(static_cast<double>(left));
    const std::string eta = rate > 0 ? std::to_string(static_cast<int64_t>(left / rate)) + "s" : "?";
    const int pct = total ? static_cast<int>(100 * done / total) : 100;
    if (final) {
      if (isatty(2)) std::fputs("\n", stderr);
      std::printf("replay %s: %llu records from %s (produced %llu, dead-lettered %llu, dropped "
                  "%llu) in %.1f s, %.0f records/s%s\n",
                  options.replay->name.c_str(), static_cast<unsigned long long>(processed),
                  source_topic.c_str(), static_cast<unsigned long long>(n_produced.load()),
                  static_cast<unsigned long long>(n_dead.load()),
                  static_cast<unsigned long long>(n_dropped.load()), secs, rate,
                  fatal ? " (stopped by an error)" : "");
      std::fflush(stdout);
      return;
    }
    if (isatty(2)) {
      const int width = 30, filled = pct * width / 100;
      std::fprintf(stderr, "\r[%s%s] %3d%% %lld/%lld %.0f rec/s ETA %s%s   ",
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                   pct, static_cast<long long>(done), static_cast<long long>(total), rate,
                   eta.c_str(), per.c_str());
      return;
    }
    static Clock::time_point last_line;
    if (Clock::now() - last_line < std::chrono::seconds(options.replay->progress_interval_s)) return;
    last_line = Clock::now();
    log::Info("replay progress", {{"done", std::to_string(done)},
                                  {"total", std::to_string(total)},
                                  {"percent", std::to_string(pct)},
                                  {"records_per_s", std::to_string(static_cast<int64_t>(rate))},
                                  {"eta", eta},
                                  {"partitions", per.empty() ? "" : per.substr(1)}});
  }

  int Run() {
    Status s = CreateClients();
    if (!s.ok()) {
      log::Error("cannot start", {{"error", s.error().message}});
      return 1;
    }
    delivery_running = true;
    delivery_thread = std::thread([this] {
      while (delivery_running) rd_kafka_poll(producer.get(), 100);
    });
    const int n = static_cast<int>(cfg.pipeline.workers);
    for (int i = 0; i < n; ++i) queues.push_back(std::make_unique<JobQueue>());
    for (int i = 0; i < n; ++i) workers.emplace_back([this, i] { Worker(i); });
    uint16_t admin_port = 0;
    if (options.admin_server) {
      admin = std::make_unique<AdminServer>(
          rt.metrics, AdminServer::Probes{[this] { return NowMillis() - heartbeat_ms < 60000; },
                                          [this] { return ready.load(); }});
      Status a = admin->Start(cfg.admin.listen, static_cast<uint16_t>(cfg.admin.port));
      if (!a.ok()) {
        log::Error("cannot start admin server", {{"error", a.error().message}});
        Shutdown();
        return 1;
      }
      admin_port = admin->port();
    }
    heartbeat_ms = NowMillis();
    CheckConnected(std::chrono::seconds(10));
    log::Info("newsflowd running",
              {{"input", source_topic},
               {"output", cfg.kafka.output_topic},
               {"group", cfg.kafka.group_id},
               {"workers", std::to_string(n)},
               {"stages", std::to_string(rt.pipeline->size())}});
    if (options.on_ready) options.on_ready(admin_port);

    auto last_commit = Clock::now();
    auto last_refresh = Clock::now() - std::chrono::seconds(10);
    auto last_state_refresh = last_refresh;
    while (!stop_requested && !fatal && !(options.stop_flag && *options.stop_flag)) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
      if (m) Dispatch(m);
      ApplyBackPressure();
      const auto now = Clock::now();
      if (now - last_commit >= std::chrono::milliseconds(cfg.pipeline.commit_interval_ms)) {
        CommitAsync();
        last_commit = now;
      }
      if (replay_mode && ReplayDone()) {
        log::Info("replay range complete; finishing");
        break;
      }
      if (now - last_refresh >= std::chrono::seconds(1)) {
        heartbeat_ms = NowMillis();
        // librdkafka does not always report an outage as all-brokers-down: re-check every 5 s.
        if (!connected || ++connection_checks % 5 == 0)
          CheckConnected(std::chrono::milliseconds(500));
        if (replay_mode) ReplayProgress(false);
        RefreshLag();
        metrics.RefreshProcess();
        last_refresh = now;
      }
      if (now - last_state_refresh >= std::chrono::seconds(10)) {
        metrics.RefreshState(*rt.store);
        last_state_refresh = now;
      }
    }
    return Drain();
  }

  int Drain() {
    ready = false;
    metrics.ready->Set(0);
    const bool was_fatal = fatal;
    log::Info(was_fatal ? "stopping after a fatal error" : "draining",
              {{"in_flight", std::to_string(tracker.InFlight())}});
    PauseAll();
    // Records being processed or awaiting their acknowledgement finish; queued ones do not
    // start (they are not committed, so they are consumed again: no loss, no duplicate).
    tracker.StopStarting();
    const auto deadline = Clock::now() + std::chrono::milliseconds(cfg.pipeline.shutdown_grace_ms);
    // Keep serving the consumer (rebalance callbacks) meanwhile; records fetched now are not
    // tracked, so not committed: consumed again.
    while (!fatal && tracker.Started() > 0 && Clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 50);
      if (m) rd_kafka_message_destroy(m);
      WaitStarted({}, std::min(deadline, Clock::now() + std::chrono::milliseconds(200)));
    }
    const size_t abandoned = tracker.InFlight();
    // The final commit may meet a rebalance in progress; keep serving the consumer (so the
    // rebalance completes) and retry until the grace period is over.
    while (!Commit() && Clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
      if (m) rd_kafka_message_destroy(m);
    }
    Shutdown();
    log::Info("stopped", {{"consumed", std::to_string(n_consumed.load())},
                          {"produced", std::to_string(n_produced.load())},
                          {"dead_lettered", std::to_string(n_dead.load())},
                          {"dropped", std::to_string(n_dropped.load())},
                          {"abandoned_in_flight", std::to_string(abandoned)}});
    if (replay_mode) ReplayProgress(true);
    return fatal ? 1 : 0;
  }

  void Shutdown() {
    closing = true;
    for (auto& q : queues) q->Close();
    for (auto& w : workers)
      if (w.joinable()) w.join();
    workers.clear();
    if (producer) {
      // Deliver what the workers produced, then commit what that acknowledged. Anything not
      // acknowledged in time is simply not committed: consumed again after restart.
      rd_kafka_flush(producer.get(), 5000);
    }
    if (consumer) {
      Commit();
      rd_kafka_consumer_close(consumer.get());  // its revoke callback commits nothing new
      consumer.reset();
    }
    delivery_running = false;
    if (delivery_thread.joinable()) delivery_thread.join();
    producer.reset();
    if (admin) admin->Stop();
  }
};

KafkaDaemon::KafkaDaemon(Runtime& runtime, DaemonOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {}
KafkaDaemon::~KafkaDaemon() = default;
int KafkaDaemon::Run() { return impl_->Run(); }
void KafkaDaemon::Stop() { impl_->stop_requested = true; }
KafkaDaemon::Counts KafkaDaemon::counts() const {
  return {impl_->n_consumed.load(), impl_->n_produced.load(), impl_->n_dead.load(),
          impl_->n_dropped.load()};
}

}  // namespace newsflow
