// EmbeddedKafka: librdkafka's in-process mock cluster, for the quickstart, demos and fault
// injection (never for durable data: it keeps everything in memory and is gone at exit).
//
// Owns a hidden client handle that hosts the cluster. Thread-safe for the calls below.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "daemon/kafka_util.h"

namespace newsflow {

class EmbeddedKafka {
 public:
  static Result<std::unique_ptr<EmbeddedKafka>> Start(int brokers);
  ~EmbeddedKafka();
  const std::string& bootstrap() const { return bootstrap_; }
  Status CreateTopic(const std::string& name, int partitions);
  rd_kafka_mock_cluster_t* cluster() { return cluster_; }

 private:
  kafka::Handle host_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace newsflow
