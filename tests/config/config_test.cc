#include <catch2/catch.hpp>

#include <algorithm>

#include "config/config.h"
#include "test_util.h"

using namespace newsflow;
using newsflow::config::Errors;

namespace {

bool HasError(const Errors& e, const std::string& needle) {
  return std::any_of(e.list().begin(), e.list().end(),
                     [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

config::Config FromYaml(const std::string& yaml, Errors* errors) {
  return config::ParseConfig(YAML::Load(yaml), errors);
}

}  // namespace

TEST_CASE("Defaults are valid", "[unit]") {
  Errors errors;
  auto c = FromYaml("{}", &errors);
  CHECK(errors.empty());
  CHECK(c.kafka.input_topic == "articles.raw");
  CHECK(c.pipeline.stages.size() == 4);
  CHECK(c.state.block_cache_mb == 64);
  CHECK(c.state.write_buffer_mb == 32);
}

TEST_CASE("Every error is reported at once, with its path", "[unit]") {
  Errors errors;
  FromYaml(R"(
kafka:
  brokers: ""
  output_topic: articles.raw
  bogus: 1
pipeline:
  workers: 0
  max_in_flight: lots
  stages: [clean, clean]
state: {write_buffer_mb: 2}
admin: {port: 70000}
logging: {level: loud}
extra_section: {}
)",
           &errors);
  CHECK(HasError(errors, "kafka.brokers: must not be empty"));
  CHECK(HasError(errors, "kafka.output_topic: must differ from input_topic"));
  CHECK(HasError(errors, "kafka.bogus: unknown key"));
  CHECK(HasError(errors, "pipeline.workers: 0 is outside [1, 256]"));
  CHECK(HasError(errors, "pipeline.max_in_flight: \"lots\" is not an integer"));
  CHECK(HasError(errors, "pipeline.stages: stage \"clean\" is listed twice"));
  CHECK(HasError(errors, "state.write_buffer_mb: 2 is outside [4, 4096]"));
  CHECK(HasError(errors, "admin.port: 70000 is outside [0, 65535]"));
  CHECK(HasError(errors, "logging.level: \"loud\" is not one of"));
  CHECK(HasError(errors, "extra_section: unknown key"));
  CHECK(errors.list().size() == 10);
}

TEST_CASE("librdkafka properties that newsflowd sets itself are errors, others pass", "[unit]") {
  Errors errors;
  auto c = FromYaml(R"(
kafka:
  properties: {group.id: g, enable.auto.commit: "true", security.protocol: SASL_SSL}
  consumer_properties:
    enable.auto.commit: "true"
    enable.auto.offset.store: "true"
    auto.offset.reset: latest
    session.timeout.ms: "10000"
  producer_properties: {bootstrap.servers: "elsewhere:9092", linger.ms: "20"}
)",
                    &errors);
  CHECK(HasError(errors, "kafka.properties.group.id: is set by newsflowd: set kafka.group_id"));
  CHECK(HasError(errors, "kafka.properties.enable.auto.commit: is set by newsflowd: "
                         "newsflowd stores and commits offsets itself"));
  CHECK(HasError(errors, "kafka.consumer_properties.enable.auto.commit: is set by newsflowd: "
                         "newsflowd stores and commits offsets itself"));
  CHECK(HasError(errors, "kafka.consumer_properties.enable.auto.offset.store: is set by"));
  CHECK(HasError(errors, "kafka.consumer_properties.auto.offset.reset: is set by newsflowd: "
                         "set kafka.auto_offset_reset instead"));
  CHECK(HasError(errors, "kafka.producer_properties.bootstrap.servers: is set by newsflowd: "
                         "set kafka.brokers instead"));
  CHECK(errors.list().size() == 6);
  CHECK(c.kafka.consumer_properties.at("session.timeout.ms") == "10000");
  CHECK(c.kafka.properties.at("security.protocol") == "SASL_SSL");
}

TEST_CASE("Environment overrides the file and --set overrides both", "[unit]") {
  testing::TempDir dir;
  const auto path = dir.path() / "c.yaml";
  std::ofstream(path) << "kafka:\n  brokers: file:9092\n  group_id: from-file\n";
  Errors errors;
  auto c = config::LoadConfig(
      path.string(),
      {"NEWSFLOW_KAFKA__BROKERS=env:9092", "NEWSFLOW_PIPELINE__STAGES=[clean]",
       "NEWSFLOW_IGNORED=1", "OTHER__X=1", "NEWSFLOW_KAFKA__GROUP_ID=from-env"},
      {"kafka.group_id=from-flag", "pipeline.workers=3"}, &errors);
  INFO(errors.Joined());
  CHECK(errors.empty());
  CHECK(c.kafka.brokers == "env:9092");
  CHECK(c.kafka.group_id == "from-flag");
  CHECK(c.pipeline.stages == std::vector<std::string>{"clean"});
  CHECK(c.pipeline.workers == 3);
}

TEST_CASE("File problems are errors, not crashes", "[unit]") {
  Errors missing;
  config::LoadConfig("/nonexistent/newsflow.yaml", {}, {}, &missing);
  CHECK(HasError(missing, "cannot read config file"));

  testing::TempDir dir;
  const auto path = dir.path() / "bad.yaml";
  std::ofstream(path) << "kafka: [unclosed\n";
  Errors syntax;
  config::LoadConfig(path.string(), {}, {}, &syntax);
  CHECK(HasError(syntax, "bad.yaml:"));

  Errors bad_set;
  config::LoadConfig("", {}, {"novalue"}, &bad_set);
  CHECK(HasError(bad_set, "expected key.path=value"));
}

TEST_CASE("Secrets resolve from the environment and are redacted for logs", "[unit]") {
  setenv("NEWSFLOW_TEST_SECRET", "hunter2", 1);
  Errors errors;
  auto c = FromYaml(R"(
kafka:
  properties:
    security.protocol: SASL_SSL
    sasl.password: ${NEWSFLOW_TEST_SECRET}
    sasl.username: ${NEWSFLOW_TEST_UNSET_VARIABLE}
)",
                    &errors);
  CHECK(c.kafka.properties.at("sasl.password") == "hunter2");
  CHECK(HasError(errors, "kafka.properties.sasl.username: environment variable"));
  auto red = config::RedactedProperties(c.kafka.properties);
  CHECK(red.at("sasl.password") == "***");
  CHECK(red.at("security.protocol") == "SASL_SSL");
}

TEST_CASE("The example config documents every key and loads without error", "[unit]") {
  Errors errors;
  auto c = config::LoadConfig((testing::SourceDir() / "config/newsflow.example.yaml").string(),
                              {}, {}, &errors);
  INFO(errors.Joined());
  CHECK(errors.empty());
  // Every key of the daemon's sections appears in the example (unknown keys would be errors,
  // so this checks the example is complete, not only valid).
  const std::string text = testing::ReadFile(testing::SourceDir() / "config/newsflow.example.yaml");
  for (const char* key :
       {"brokers:", "embedded:", "input_topic:", "output_topic:", "dead_letter_topic:",
        "group_id:", "auto_offset_reset:", "properties:", "consumer_properties:",
        "producer_properties:", "format:", "raw_body:", "max_record_bytes:", "invalid_utf8:",
        "stages:", "workers:", "max_in_flight:", "max_in_flight_per_partition:",
        "commit_interval_ms:", "shutdown_grace_ms:", "dir:", "block_cache_mb:", "write_buffer_mb:",
        "on_corruption:", "listen:", "port:", "level:"}) {
    INFO(key);
    CHECK(text.find(key) != std::string::npos);
  }
}
