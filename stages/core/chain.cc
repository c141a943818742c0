#include "stages/core/chain.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <chrono>

namespace newsflow {

std::unique_ptr<Pipeline> Pipeline::Build(const std::vector<std::string>& names,
                                          const YAML::Node& stages_node,
                                          const StageRegistry& registry,
                                          config::Errors* errors) {
  auto p = std::make_unique<Pipeline>();
  config::Section stages(stages_node, "stages", errors);
  for (const auto& name : names) {
    const StageFactory* f = registry.Find(name);
    if (!f) {
      std::string known;
      for (const auto* k : registry.All()) known.append(known.empty() ? "" : ", ").append(k->Name());
      errors->Add("pipeline.stages", "unknown stage \"" + name + "\" (known: " + known + ")");
      continue;
    }
    config::Section section = stages.Child(name);
    auto cfg = f->Parse(section);
    section.Finish();
    p->stages_.push_back({name, std::move(cfg)});
  }
  // Options given for a stage that exists but is not in the chain are still validated, so a
  // typo is caught before the stage is switched on; options for unknown stages are errors.
  if (stages.present()) {
    for (const auto& kv : stages_node) {
      const std::string key = kv.first.Scalar();
      if (std::find(names.begin(), names.end(), key) != names.end()) continue;
      const StageFactory* f = registry.Find(key);
      if (!f) {
        stages.Error(key, "unknown stage");
        continue;
      }
      config::Section section = stages.Child(key);
      f->Parse(section);
      section.Finish();
    }
  }
  return p;
}

Status Pipeline::Prepare(const StageEnvironment& env) {
  registry_ = env.registry;
  versions_.clear();
  for (auto& e : stages_) {
    Status s = e.config->Prepare(env);
    if (!s.ok()) return MakeError("stage " + e.name + ": " + s.error().message, s.error().code);
    versions_.emplace_back(e.name, e.config->Version());
  }
  return Status::Ok();
}

std::unique_ptr<Chain> Pipeline::CreateChain(int worker) const {
  auto chain = std::make_unique<Chain>();
  chain->ctx_.worker = worker;
  prometheus::Family<prometheus::Histogram>* duration = nullptr;
  prometheus::Family<prometheus::Counter>* outcomes = nullptr;
  if (registry_) {
    duration = &prometheus::BuildHistogram()
                    .Name("newsflow_stage_duration_seconds")
                    .Help("Time spent in each stage per record")
                    .Register(*registry_);
    outcomes = &prometheus::BuildCounter()
                    .Name("newsflow_stage_records_total")
                    .Help("Records leaving each stage, by outcome (continue, drop, fail)")
                    .Register(*registry_);
  }
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.5, 1};
  for (const auto& e : stages_) {
    Chain::Step step;
    step.name = e.name;
    step.stage = e.config->CreateWorker();
    if (duration) {
      step.duration = &duration->Add({{"stage", e.name}}, kBuckets);
      step.passes = &outcomes->Add({{"stage", e.name}, {"outcome", "continue"}});
      step.drops = &outcomes->Add({{"stage", e.name}, {"outcome", "drop"}});
      step.fails = &outcomes->Add({{"stage", e.name}, {"outcome", "fail"}});
    }
    chain->steps_.push_back(std::move(step));
  }
  return chain;
}

ChainResult Chain::Run(Article& article) noexcept {
  for (auto& step : steps_) {
    const auto start = std::chrono::steady_clock::now();
    const Outcome outcome = step.stage->Process(article, ctx_);
    if (step.duration) {
      step.duration->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    if (outcome.verdict != Verdict::kContinue) {
      if (step.drops) (outcome.verdict == Verdict::kDrop ? step.drops : step.fails)->Increment();
      // kFatal is counted as a failure of the stage too.
      return {outcome.verdict, step.name, outcome.reason};
    }
    if (step.passes) step.passes->Increment();
  }
  return {};
}

}  // namespace newsflow
