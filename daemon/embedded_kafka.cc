#include "daemon/embedded_kafka.h"

namespace newsflow {

Result<std::unique_ptr<EmbeddedKafka>> EmbeddedKafka::Start(int brokers) {
  auto conf = kafka::MakeConf({{"client.id", "newsflow-embedded-kafka"}, {"log_level", "3"}});
  if (!conf.ok()) return conf.error();
  auto host = kafka::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
  if (!host.ok()) return host.error();
  auto ek = std::unique_ptr<EmbeddedKafka>(new EmbeddedKafka());
  ek->host_ = std::move(host).value();
  ek->cluster_ = rd_kafka_mock_cluster_new(ek->host_.get(), brokers);
  if (!ek->cluster_) return MakeError("cannot start the embedded mock Kafka cluster", "kafka");
  ek->bootstrap_ = rd_kafka_mock_cluster_bootstraps(ek->cluster_);
  return ek;
}

EmbeddedKafka::~EmbeddedKafka() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
}

Status EmbeddedKafka::CreateTopic(const std::string& name, int partitions) {
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
  if (err) return MakeError("create topic " + name + ": " + rd_kafka_err2str(err), "kafka");
  return Status::Ok();
}

}  // namespace newsflow
