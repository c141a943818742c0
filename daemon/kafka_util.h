// Small RAII helpers around librdkafka's C API, used by the daemon, dev-kafka and tests.
// No global state; every function reports errors through Result/Status.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "common/result.h"

namespace newsflow::kafka {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

// A conf with every property set; the first property librdkafka rejects is the error
// (its message names the key, never the value, so secrets stay out of logs).
Result<Conf> MakeConf(const std::map<std::string, std::string>& props);

// Creates a producer or consumer from `conf` (ownership passes to the handle on success).
Result<Handle> MakeHandle(rd_kafka_type_t type, Conf conf);

}  // namespace newsflow::kafka
