// Shared by the dedup evaluation and benchmark commands: a dedup-only pipeline over a given
// store, run through RecordProcessor exactly as the daemon runs records.
// Control-plane helpers; one DedupRunner per thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "stages/core/chain.h"
#include "stages/core/processor.h"
#include "stages/core/registry.h"
#include "stages/dedup/dedup_stage.h"
#include "state/store.h"

namespace newsflow::dedup_tools {

class DedupRunner {
 public:
  // `options_yaml` is the stages.dedup mapping ("{}" for defaults).
  static Result<std::unique_ptr<DedupRunner>> Create(const std::string& options_yaml,
                                                     state::Store* store,
                                                     prometheus::Registry* metrics = nullptr) {
    auto r = std::unique_ptr<DedupRunner>(new DedupRunner());
    r->registry_.Add(MakeDedupStageFactory());
    YAML::Node stages;
    try {
      stages["dedup"] = YAML::Load(options_yaml);
    } catch (const std::exception& e) {
      return MakeError(std::string("bad dedup options: ") + e.what(), "invalid");
    }
    config::Errors errors;
    r->pipeline_ = Pipeline::Build({"dedup"}, stages, r->registry_, &errors);
    if (!errors.empty()) return MakeError(errors.Joined(), "invalid");
    StageEnvironment env;
    env.store = store;
    env.registry = metrics;
    Status s = r->pipeline_->Prepare(env);
    if (!s.ok()) return s.error();
    PipelineInfo info{NewsflowVersion(), r->pipeline_->StageVersions()};
    r->processor_ = std::make_unique<RecordProcessor>(*r->pipeline_, ParseOptions{}, info, 0);
    return r;
  }

  // Processes one JSON input record; the article (valid until the next call) or null when the
  // record did not come out.
  const ProcessResult& Process(std::string_view json, int64_t now_ms) {
    Origin origin;
    origin.topic = "eval";
    return processor_->Process(json, {}, origin, now_ms);
  }

 private:
  DedupRunner() = default;
  StageRegistry registry_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<RecordProcessor> processor_;
};

}  // namespace newsflow::dedup_tools
