// Pipeline and Chain: the configured sequence of stages.
//
// Pipeline (shared, immutable once prepared) holds each stage's parsed config; it is built on
// the control plane, reporting every config error at once. Chain is one worker's instance: the
// stages' per-worker objects plus metric handles resolved once. Chain::Run is the data plane:
// noexcept, runs the stages in order, stops at the first Drop or Fail, and times each stage.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/result.h"
#include "config/section.h"
#include "stages/core/registry.h"
#include "stages/core/stage.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Histogram;
class Counter;
}  // namespace prometheus

namespace newsflow {

struct ChainResult {
  Verdict verdict = Verdict::kContinue;
  std::string_view stage;   // the stage that dropped or failed the record
  std::string_view reason;
};

class Chain;

class Pipeline {
 public:
  // Parses the options of every stage in `names` from `stages_node` (the config's `stages:`
  // mapping). Unknown stage names and options of stages that do not exist are errors.
  static std::unique_ptr<Pipeline> Build(const std::vector<std::string>& names,
                                         const YAML::Node& stages_node,
                                         const StageRegistry& registry, config::Errors* errors);

  // Prepares every stage (loads models, opens state). Call once before CreateChain.
  Status Prepare(const StageEnvironment& env);
  std::unique_ptr<Chain> CreateChain(int worker) const;

  // [{name, version}] of the stages, in order, for the output record's `pipeline` field.
  const std::vector<std::pair<std::string, std::string>>& StageVersions() const {
    return versions_;
  }
  size_t size() const { return stages_.size(); }

 private:
  struct Entry {
    std::string name;
    std::unique_ptr<StageConfig> config;
  };
  std::vector<Entry> stages_;
  std::vector<std::pair<std::string, std::string>> versions_;
  prometheus::Registry* registry_ = nullptr;
};

class Chain {
 public:
  ChainResult Run(Article& article) noexcept;

 private:
  friend class Pipeline;
  struct Step {
    std::string_view name;
    std::unique_ptr<Stage> stage;
    prometheus::Histogram* duration = nullptr;
    prometheus::Counter* passes = nullptr;
    prometheus::Counter* drops = nullptr;
    prometheus::Counter* fails = nullptr;
  };
  std::vector<Step> steps_;
  StageContext ctx_;
};

}  // namespace newsflow
