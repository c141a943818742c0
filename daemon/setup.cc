#include "daemon/setup.h"

#include <unistd.h>

#include "common/log.h"
#include "stages/builtin.h"
#include "state/rocks_store.h"

extern char** environ;

namespace newsflow {

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

ParseOptions ParseOptionsFrom(const config::InputConfig& input) {
  ParseOptions p;
  p.raw = input.format == "raw";
  p.raw_body = input.raw_body;
  p.max_record_bytes = input.max_record_bytes;
  p.repair_utf8 = input.invalid_utf8 == "repair";
  return p;
}

config::Config LoadAndValidate(const CommonOptions& opts, const StageRegistry& registry,
                               config::Errors* errors, std::unique_ptr<Pipeline>* pipeline) {
  std::vector<std::string> sets = opts.sets;
  if (!opts.state_dir.empty()) sets.push_back("state.dir=" + opts.state_dir);
  config::Config cfg = config::LoadConfig(opts.config_path, ProcessEnvironment(), sets, errors);
  // Building the pipeline validates every stage's options.
  auto built = Pipeline::Build(cfg.pipeline.stages, cfg.stages_node, registry, errors);
  if (pipeline) *pipeline = std::move(built);
  return cfg;
}

Result<std::unique_ptr<Runtime>> BuildRuntime(const CommonOptions& opts, StateMode state_mode) {
  auto rt = std::make_unique<Runtime>();
  RegisterBuiltinStages(&rt->registry);
  config::Errors errors;
  rt->config = LoadAndValidate(opts, rt->registry, &errors, &rt->pipeline);
  if (!errors.empty()) return MakeError("invalid configuration:\n" + errors.Joined(), "config");
  log::Level level = log::Level::kInfo;
  log::ParseLevel(rt->config.logging.level, &level);
  log::Configure(level, rt->config.logging.format == "json" ? log::Format::kJson
                                                            : log::Format::kText);
  rt->metrics = std::make_shared<prometheus::Registry>();
  if (state_mode == StateMode::kMemory) {
    rt->store = state::MakeMemoryStore();
  } else {
    state::RocksOptions ro;
    ro.dir = rt->config.state.dir;
    ro.block_cache_mb = rt->config.state.block_cache_mb;
    ro.write_buffer_mb = rt->config.state.write_buffer_mb;
    ro.rebuild_on_corruption = rt->config.state.on_corruption == "rebuild";
    auto store = state::OpenRocksStore(ro);
    if (!store.ok()) return store.error();
    rt->store = std::move(store).value();
  }
  StageEnvironment env;
  env.store = rt->store.get();
  env.registry = rt->metrics.get();
  Status s = rt->pipeline->Prepare(env);
  if (!s.ok()) return s.error();
  rt->parse_options = ParseOptionsFrom(rt->config.input);
  rt->info.version = NewsflowVersion();
  rt->info.stages = rt->pipeline->StageVersions();
  return rt;
}

}  // namespace newsflow
