#include "daemon/kafka_util.h"

namespace newsflow::kafka {

Result<Conf> MakeConf(const std::map<std::string, std::string>& props) {
  Conf conf(rd_kafka_conf_new());
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
      return MakeError("kafka property \"" + k + "\": " + err, "config");
    }
  }
  return conf;
}

Result<Handle> MakeHandle(rd_kafka_type_t type, Conf conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) return MakeError(std::string("cannot create kafka client: ") + err, "kafka");
  conf.release();  // owned by rk now
  return Handle(rk);
}

}  // namespace newsflow::kafka
