#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <prometheus/registry.h>
#include <yaml-cpp/yaml.h>

#include "fuzz/targets.h"
#include "stages/builtin.h"
#include "stages/core/chain.h"
#include "stages/core/processor.h"
#include "state/store.h"

#ifndef NEWSFLOW_SOURCE_DIR
#define NEWSFLOW_SOURCE_DIR "."
#endif

namespace newsflow::fuzz {
namespace {

// Everything the daemon's worker has, built once: every registered stage with default
// options, prepared against in-memory state, and two processors (json and raw input).
struct World {
  StageRegistry registry;
  std::shared_ptr<prometheus::Registry> metrics = std::make_shared<prometheus::Registry>();
  std::unique_ptr<state::Store> store = state::MakeMemoryStore();
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<RecordProcessor> json, raw;

  World() {
    RegisterBuiltinStages(&registry);
    std::vector<std::string> names;
    for (const auto* f : registry.All()) names.emplace_back(f->Name());
    config::Errors errors;
    pipeline = Pipeline::Build(names, YAML::Load("{}"), registry, &errors);
    if (!errors.empty()) Die("default stage options are invalid:\n" + errors.Joined());
    StageEnvironment env;
    env.store = store.get();
    env.registry = metrics.get();
    const char* shared = std::getenv("NEWSFLOW_SHARED_DIR");
    env.shared_dir = shared ? shared : NEWSFLOW_SOURCE_DIR "/../shared";
    Status s = pipeline->Prepare(env);
    if (!s.ok()) Die("cannot prepare the stages: " + s.error().message);
    PipelineInfo info{NewsflowVersion(), pipeline->StageVersions()};
    ParseOptions json_options;
    json = std::make_unique<RecordProcessor>(*pipeline, json_options, info, 0);
    ParseOptions raw_options;
    raw_options.raw = true;
    raw = std::make_unique<RecordProcessor>(*pipeline, raw_options, info, 0);
    std::fprintf(stderr, "fuzz_stages: %zu stage(s) registered\n", names.size());
  }
  [[noreturn]] static void Die(const std::string& why) {
    std::fprintf(stderr, "fuzz_stages: %s\n", why.c_str());
    std::abort();
  }
};

// Built on first use and kept, reachable, for the life of the process.
World* TheWorld() {
  static World* world = new World();
  return world;
}

}  // namespace

void PrepareStages() { TheWorld(); }

int FuzzStages(const uint8_t* data, size_t size) {
  World* world = TheWorld();
  if (size == 0) return 0;
  const bool raw = data[0] & 1;
  std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view key;
  if (raw && (data[0] & 2)) {
    const size_t nl = value.find('\n');
    if (nl != std::string_view::npos) {
      key = value.substr(0, nl);
      value = value.substr(nl + 1);
    }
  }
  Origin origin;
  origin.topic = "articles.raw";
  origin.partition = 0;
  origin.offset = 0;
  const ProcessResult& r =
      (raw ? world->raw : world->json)->Process(value, key, origin, 1700000000000);
  switch (r.fate) {
    case RecordFate::kOutput: {
      Check(r.output != nullptr, "an output fate has an output record");
      static simdjson::dom::parser json;
      simdjson::dom::element doc;
      Check(json.parse(*r.output).get(doc) == simdjson::SUCCESS, "the output is valid JSON");
      break;
    }
    case RecordFate::kDeadLetter:
    case RecordFate::kDropped:
      Check(!r.stage.empty() && !r.reason.empty(), "a dead letter or drop names stage and reason");
      break;
    case RecordFate::kFatal:
      // Fatal means the environment failed (state storage); the in-memory store never does, so
      // input bytes that make a stage report it are a finding.
      Check(false, "no input makes a stage fatal with in-memory state");
      break;
  }
  return 0;
}

}  // namespace newsflow::fuzz
