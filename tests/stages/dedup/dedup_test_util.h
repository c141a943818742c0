// Test helpers for the dedup stage: a configured, prepared stage over a given store.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>

#include "config/section.h"
#include "stages/dedup/dedup_stage.h"
#include "state/store.h"

namespace newsflow::testing {

struct DedupHarness {
  std::unique_ptr<StageFactory> factory = MakeDedupStageFactory();
  std::unique_ptr<StageConfig> config;
  std::unique_ptr<Stage> worker;
  StageContext ctx;

  // Parses `yaml` as stages.dedup and prepares over `store`; returns the first error or "".
  std::string Start(const std::string& yaml, state::Store* store,
                    prometheus::Registry* registry = nullptr) {
    config::Errors errors;
    config::Section section(YAML::Load(yaml), "stages.dedup", &errors);
    config = factory->Parse(section);
    if (!errors.empty()) return errors.Joined();
    StageEnvironment env;
    env.store = store;
    env.registry = registry;
    Status s = config->Prepare(env);
    if (!s.ok()) return s.error().message;
    worker = config->CreateWorker();
    return "";
  }

  Outcome Run(Article& a) { return worker->Process(a, ctx); }
};

inline Article MakeArticle(const std::string& id, const std::string& text, int64_t published_ms) {
  Article a;
  a.id = id;
  a.input_text = text;
  a.published_at_ms = published_ms;
  return a;
}

}  // namespace newsflow::testing
