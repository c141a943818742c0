// config::Section: a typed, validating view of one YAML mapping, with every error collected.
//
// Each accessor names a key, its default and its allowed range; a missing key yields the
// default, a wrong type or out-of-range value records an error with its full path
// ("stages.dedup.num_hashes: 2000 is outside [16, 1024]") and yields the default so parsing goes
// on and every error is reported at once. Finish() reports keys nobody asked for (unknown keys
// are errors). Control plane only: allocates freely, throws nothing, not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace newsflow::config {

// Every error found while reading a config, in the order found.
class Errors {
 public:
  void Add(const std::string& path, const std::string& message);
  bool empty() const { return list_.empty(); }
  const std::vector<std::string>& list() const { return list_; }
  std::string Joined() const;  // one error per line

 private:
  std::vector<std::string> list_;
};

class Section {
 public:
  // `node` may be null/undefined (an absent section): every accessor then yields defaults.
  Section(YAML::Node node, std::string path, Errors* errors);

  const std::string& path() const { return path_; }
  Errors* errors() const { return errors_; }
  bool present() const { return node_.IsDefined() && !node_.IsNull(); }
  bool Has(const std::string& key) const;

  std::string String(const std::string& key, const std::string& def);
  // A string that must be one of `allowed`.
  std::string Enum(const std::string& key, const std::string& def,
                   const std::vector<std::string>& allowed);
  int64_t Int(const std::string& key, int64_t def, int64_t min, int64_t max);
  double Double(const std::string& key, double def, double min, double max);
  bool Bool(const std::string& key, bool def);
  std::vector<std::string> StringList(const std::string& key,
                                      const std::vector<std::string>& def);
  // A mapping of scalar values, kept as strings (librdkafka properties and the like).
  std::map<std::string, std::string> StringMap(const std::string& key);
  // A nested mapping; absent yields an empty section.
  Section Child(const std::string& key);

  // Records an error for `key` (path-qualified) found by the caller's own checks.
  void Error(const std::string& key, const std::string& message);
  // Records an error for each key of this mapping that no accessor asked for. Call last;
  // later calls do nothing.
  void Finish();

 private:
  // The value of `key`, or an undefined node (falsy) when absent or null. Marks it as seen.
  YAML::Node Get(const std::string& key);
  std::string PathOf(const std::string& key) const;
  YAML::Node node_;
  std::string path_;
  Errors* errors_;
  std::set<std::string> seen_;
  bool finished_ = false;
};

}  // namespace newsflow::config
