#include "config/section.h"

#include <sstream>

namespace newsflow::config {

void Errors::Add(const std::string& path, const std::string& message) {
  list_.push_back(path.empty() ? message : path + ": " + message);
}

std::string Errors::Joined() const {
  std::string out;
  for (const auto& e : list_) out.append(e).append("\n");
  return out;
}

Section::Section(YAML::Node node, std::string path, Errors* errors)
    : node_(std::move(node)), path_(std::move(path)), errors_(errors) {
  if (present() && !node_.IsMap()) {
    errors_->Add(path_, "must be a mapping");
    node_ = YAML::Node();
  }
}

std::string Section::PathOf(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

namespace {
// YAML::Node() is a defined null node; an undefined one (operator! true) comes from a failed
// const lookup. Lookups go through a const node so that they never insert keys.
YAML::Node Undefined() {
  static const YAML::Node kEmpty(YAML::NodeType::Map);
  return kEmpty["__newsflow_absent__"];
}
}  // namespace

bool Section::Has(const std::string& key) const {
  if (!present()) return false;
  const YAML::Node& map = node_;
  const YAML::Node n = map[key];
  return n.IsDefined() && !n.IsNull();
}

YAML::Node Section::Get(const std::string& key) {
  seen_.insert(key);
  if (!Has(key)) return Undefined();
  const YAML::Node& map = node_;
  return map[key];
}

void Section::Error(const std::string& key, const std::string& message) {
  errors_->Add(PathOf(key), message);
}

std::string Section::String(const std::string& key, const std::string& def) {
  YAML::Node n = Get(key);
  if (!n) return def;
  if (!n.IsScalar()) {
    Error(key, "must be a string");
    return def;
  }
  return n.Scalar();
}

std::string Section::Enum(const std::string& key, const std::string& def,
                          const std::vector<std::string>& allowed) {
  std::string v = String(key, def);
  for (const auto& a : allowed)
    if (a == v) return v;
  std::string list;
  for (const auto& a : allowed) list.append(list.empty() ? "" : ", ").append(a);
  Error(key, "\"" + v + "\" is not one of [" + list + "]");
  return def;
}

int64_t Section::Int(const std::string& key, int64_t def, int64_t min, int64_t max) {
  YAML::Node n = Get(key);
  if (!n) return def;
  int64_t v;
  if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v)) {
    Error(key, "\"" + (n.IsScalar() ? n.Scalar() : std::string("<non-scalar>")) +
                   "\" is not an integer");
    return def;
  }
  if (v < min || v > max) {
    Error(key, std::to_string(v) + " is outside [" + std::to_string(min) + ", " +
                   std::to_string(max) + "]");
    return def;
  }
  return v;
}

double Section::Double(const std::string& key, double def, double min, double max) {
  YAML::Node n = Get(key);
  if (!n) return def;
  double v;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v)) {
    Error(key, "\"" + (n.IsScalar() ? n.Scalar() : std::string("<non-scalar>")) +
                   "\" is not a number");
    return def;
  }
  if (!(v >= min && v <= max)) {
    std::ostringstream msg;
    msg << v << " is outside [" << min << ", " << max << "]";
    Error(key, msg.str());
    return def;
  }
  return v;
}

bool Section::Bool(const std::string& key, bool def) {
  YAML::Node n = Get(key);
  if (!n) return def;
  bool v;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    Error(key, "must be true or false");
    return def;
  }
  return v;
}

std::vector<std::string> Section::StringList(const std::string& key,
                                             const std::vector<std::string>& def) {
  YAML::Node n = Get(key);
  if (!n) return def;
  if (!n.IsSequence()) {
    Error(key, "must be a list of strings");
    return def;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      errors_->Add(PathOf(key) + "[" + std::to_string(i) + "]", "must be a string");
      continue;
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

std::map<std::string, std::string> Section::StringMap(const std::string& key) {
  YAML::Node n = Get(key);
  std::map<std::string, std::string> out;
  if (!n) return out;
  if (!n.IsMap()) {
    Error(key, "must be a mapping of strings");
    return out;
  }
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    if (!kv.second.IsScalar()) {
      errors_->Add(PathOf(key) + "." + k, "must be a scalar");
      continue;
    }
    out[k] = kv.second.Scalar();
  }
  return out;
}

Section Section::Child(const std::string& key) { return Section(Get(key), PathOf(key), errors_); }

void Section::Finish() {
  if (finished_ || !present()) return;
  finished_ = true;
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (!seen_.count(k)) Error(k, "unknown key");
  }
}

}  // namespace newsflow::config
