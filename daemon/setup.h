// Control-plane set-up shared by every newsflowd command: config loading with overrides,
// pipeline building, state opening. Reports errors; never exits by itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include "common/result.h"
#include "config/config.h"
#include "stages/core/chain.h"
#include "stages/core/record.h"
#include "stages/core/registry.h"
#include "state/store.h"

namespace newsflow {

// Common command-line options.
struct CommonOptions {
  std::string config_path;             // --config FILE ("" = defaults)
  std::vector<std::string> sets;       // --set key=value
  std::string state_dir;               // --state-dir DIR (overrides state.dir)
};

// Loads the config (file, NEWSFLOW_* environment, --set flags) and validates the stage
// options too, building the (unprepared) pipeline into `pipeline` when given. Errors are
// appended to `errors`.
config::Config LoadAndValidate(const CommonOptions& opts, const StageRegistry& registry,
                               config::Errors* errors,
                               std::unique_ptr<Pipeline>* pipeline = nullptr);

// A ready pipeline: config, state store, metrics registry, prepared stages.
struct Runtime {
  config::Config config;
  StageRegistry registry;
  std::shared_ptr<prometheus::Registry> metrics;
  std::unique_ptr<state::Store> store;
  std::unique_ptr<Pipeline> pipeline;
  ParseOptions parse_options;
  PipelineInfo info;
};

enum class StateMode { kConfigured, kMemory };

// Loads and validates config, opens state (RocksDB at state.dir, or memory), prepares stages.
Result<std::unique_ptr<Runtime>> BuildRuntime(const CommonOptions& opts, StateMode state_mode);

ParseOptions ParseOptionsFrom(const config::InputConfig& input);

// Environment as "NAME=value" strings.
std::vector<std::string> ProcessEnvironment();

}  // namespace newsflow
