#include "config/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace newsflow::config {
namespace {

void ParseKafka(Section s, KafkaConfig* k) {
  k->brokers = s.String("brokers", k->brokers);
  k->embedded = s.Bool("embedded", k->embedded);
  k->input_topic = s.String("input_topic", k->input_topic);
  k->output_topic = s.String("output_topic", k->output_topic);
  k->dead_letter_topic = s.String("dead_letter_topic", k->dead_letter_topic);
  k->group_id = s.String("group_id", k->group_id);
  k->auto_offset_reset =
      s.Enum("auto_offset_reset", k->auto_offset_reset, {"earliest", "latest"});
  k->properties = ResolveSecrets(s.StringMap("properties"), s.path() + ".properties", s.errors());
  k->consumer_properties = ResolveSecrets(s.StringMap("consumer_properties"),
                                          s.path() + ".consumer_properties", s.errors());
  k->producer_properties = ResolveSecrets(s.StringMap("producer_properties"),
                                          s.path() + ".producer_properties", s.errors());
  // librdkafka properties newsflowd sets itself: a map naming one would silently replace a
  // dedicated key or the delivery guarantee (offsets committed only after the output is
  // acknowledged), so it is an error instead.
  struct Reserved {
    const char* map;
    const std::map<std::string, std::string>* props;
    const char* key;
    const char* why;
  };
  constexpr const char* kOwnCommits =
      "newsflowd stores and commits offsets itself, only after the output is acknowledged";
  const Reserved reserved[] = {
      {"properties", &k->properties, "bootstrap.servers", "set kafka.brokers instead"},
      {"properties", &k->properties, "group.id", "set kafka.group_id instead"},
      {"properties", &k->properties, "auto.offset.reset", "set kafka.auto_offset_reset instead"},
      {"properties", &k->properties, "enable.auto.commit", kOwnCommits},
      {"properties", &k->properties, "enable.auto.offset.store", kOwnCommits},
      {"consumer_properties", &k->consumer_properties, "bootstrap.servers",
       "set kafka.brokers instead"},
      {"consumer_properties", &k->consumer_properties, "group.id", "set kafka.group_id instead"},
      {"consumer_properties", &k->consumer_properties, "auto.offset.reset",
       "set kafka.auto_offset_reset instead"},
      {"consumer_properties", &k->consumer_properties, "enable.auto.commit", kOwnCommits},
      {"consumer_properties", &k->consumer_properties, "enable.auto.offset.store", kOwnCommits},
      {"producer_properties", &k->producer_properties, "bootstrap.servers",
       "set kafka.brokers instead"},
  };
  for (const Reserved& r : reserved) {
    if (r.props->count(r.key))
      s.Error(std::string(r.map) + "." + r.key, std::string("is set by newsflowd: ") + r.why);
  }
  if (k->input_topic.empty()) s.Error("input_topic", "must not be empty");
  if (k->output_topic.empty()) s.Error("output_topic", "must not be empty");
  if (k->dead_letter_topic.empty()) s.Error("dead_letter_topic", "must not be empty");
  if (!k->dead_letter_topic.empty() &&
      (k->dead_letter_topic == k->input_topic || k->dead_letter_topic == k->output_topic))
    s.Error("dead_letter_topic", "must differ from input_topic and output_topic");
  if (k->input_topic == k->output_topic && !k->input_topic.empty())
    s.Error("output_topic", "must differ from input_topic");
  if (!k->embedded && k->brokers.empty()) s.Error("brokers", "must not be empty");
  s.Finish();
}

void ParseInput(Section s, InputConfig* in) {
  in->format = s.Enum("format", in->format, {"json", "raw"});
  in->raw_body = s.Enum("raw_body", in->raw_body, {"auto", "text", "html"});
  in->max_record_bytes = s.Int("max_record_bytes", in->max_record_bytes, 1024, 268435456);
  in->invalid_utf8 = s.Enum("invalid_utf8", in->invalid_utf8, {"dead_letter", "repair"});
  s.Finish();
}

void ParsePipeline(Section s, PipelineConfig* p) {
  p->stages = s.StringList("stages", p->stages);
  p->workers = s.Int("workers", p->workers, 1, 256);
  p->max_in_flight = s.Int("max_in_flight", p->max_in_flight, 1, 1000000);
  p->max_in_flight_per_partition =
      s.Int("max_in_flight_per_partition", p->max_in_flight_per_partition, 1, 1000000);
  p->max_queued_bytes = s.Int("max_queued_bytes", p->max_queued_bytes, 4096, 68719476736LL);
  p->commit_interval_ms = s.Int("commit_interval_ms", p->commit_interval_ms, 10, 600000);
  p->shutdown_grace_ms = s.Int("shutdown_grace_ms", p->shutdown_grace_ms, 0, 3600000);
  std::vector<std::string> seen;
  for (const auto& name : p->stages) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      s.Error("stages", "stage \"" + name + "\" is listed twice");
    seen.push_back(name);
  }
  s.Finish();
}

void ParseState(Section s, StateConfig* st) {
  st->dir = s.String("dir", st->dir);
  st->block_cache_mb = s.Int("block_cache_mb", st->block_cache_mb, 8, 65536);
  st->write_buffer_mb = s.Int("write_buffer_mb", st->write_buffer_mb, 4, 4096);
  st->on_corruption = s.Enum("on_corruption", st->on_corruption, {"fail", "rebuild"});
  if (st->dir.empty()) s.Error("dir", "must not be empty");
  s.Finish();
}

void ParseAdmin(Section s, AdminConfig* a) {
  a->listen = s.String("listen", a->listen);
  a->port = s.Int("port", a->port, 0, 65535);
  s.Finish();
}

void ParseLogging(Section s, LoggingConfig* l) {
  l->level = s.Enum("level", l->level, {"debug", "info", "warn", "error"});
  l->format = s.Enum("format", l->format, {"text", "json"});
  s.Finish();
}

// Sets root[path...] = value, creating mappings on the way.
bool SetPath(YAML::Node root, const std::vector<std::string>& path, const std::string& value,
             std::string* error) {
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    *error = "cannot parse value \"" + value + "\": " + e.msg;
    return false;
  }
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    YAML::Node child = chain.back()[path[i]];
    if (child.IsDefined() && !child.IsNull() && !child.IsMap()) {
      *error = "\"" + path[i] + "\" is not a mapping";
      return false;
    }
    if (!child.IsDefined() || child.IsNull()) {
      chain.back()[path[i]] = YAML::Node(YAML::NodeType::Map);
      child = chain.back()[path[i]];
    }
    chain.push_back(child);
  }
  chain.back()[path.back()] = parsed;
  return true;
}

std::vector<std::string> Split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + sep.size();
  }
  return out;
}

}  // namespace

Config ParseConfig(const YAML::Node& root, Errors* errors) {
  Config c;
  Section top(root, "", errors);
  ParseKafka(top.Child("kafka"), &c.kafka);
  ParseInput(top.Child("input"), &c.input);
  ParsePipeline(top.Child("pipeline"), &c.pipeline);
  ParseState(top.Child("state"), &c.state);
  ParseAdmin(top.Child("admin"), &c.admin);
  ParseLogging(top.Child("logging"), &c.logging);
  // Marks `stages` as known and reports a non-mapping; each stage checks its own section.
  if (top.Child("stages").present()) c.stages_node = root["stages"];
  top.Finish();
  return c;
}

Config LoadConfig(const std::string& path, const std::vector<std::string>& env,
                  const std::vector<std::string>& sets, Errors* errors) {
  YAML::Node root(YAML::NodeType::Map);
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      errors->Add("", "cannot read config file " + path);
      return Config{};
    }
    std::stringstream buf;
    buf << in.rdbuf();
    try {
      YAML::Node loaded = YAML::Load(buf.str());
      if (loaded.IsMap()) {
        root = loaded;
      } else if (!loaded.IsNull() && loaded.IsDefined()) {
        errors->Add("", path + ": the document must be a mapping");
        return Config{};
      }
    } catch (const YAML::Exception& e) {
      errors->Add("", path + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
      return Config{};
    }
  }
  static const std::string kPrefix = "NEWSFLOW_";
  for (const auto& entry : env) {
    if (entry.rfind(kPrefix, 0) != 0) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(kPrefix.size(), eq - kPrefix.size());
    if (name.find("__") == std::string::npos) continue;  // not a config path
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    std::string err;
    if (!SetPath(root, Split(name, "__"), entry.substr(eq + 1), &err))
      errors->Add("env " + entry.substr(0, eq), err);
  }
  for (const auto& set : sets) {
    const size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors->Add("--set " + set, "expected key.path=value");
      continue;
    }
    std::string err;
    if (!SetPath(root, Split(set.substr(0, eq), "."), set.substr(eq + 1), &err))
      errors->Add("--set " + set.substr(0, eq), err);
  }
  return ParseConfig(root, errors);
}

std::map<std::string, std::string> RedactedProperties(
    const std::map<std::string, std::string>& props) {
  static const char* kSecretWords[] = {"password", "secret", "key", "token", "jaas"};
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : props) {
    bool secret = false;
    for (const char* w : kSecretWords) secret = secret || k.find(w) != std::string::npos;
    out[k] = secret ? "***" : v;
  }
  return out;
}

std::map<std::string, std::string> ResolveSecrets(const std::map<std::string, std::string>& props,
                                                  const std::string& path, Errors* errors) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : props) {
    if (v.size() > 3 && v.rfind("${", 0) == 0 && v.back() == '}') {
      const std::string name = v.substr(2, v.size() - 3);
      const char* value = std::getenv(name.c_str());
      if (!value) {
        errors->Add(path + "." + k, "environment variable " + name + " is not set");
        continue;
      }
      out[k] = value;
    } else {
      out[k] = v;
    }
  }
  return out;
}

}  // namespace newsflow::config
