#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "fuzz/targets.h"
#include "stages/builtin.h"
#include "stages/core/chain.h"

namespace newsflow::fuzz {
namespace {

const StageRegistry& Registry() {
  static const StageRegistry* registry = [] {
    auto* r = new StageRegistry();
    RegisterBuiltinStages(r);
    return r;
  }();
  return *registry;
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Building the pipeline validates every stage's options, as `newsflowd check-config` does.
void BuildPipeline(const config::Config& cfg, config::Errors* errors) {
  const bool had_errors = !errors->empty();
  auto pipeline = Pipeline::Build(cfg.pipeline.stages, cfg.stages_node, Registry(), errors);
  if (!had_errors && errors->empty()) {
    Check(pipeline != nullptr, "a config without errors builds a pipeline");
    Check(pipeline->size() == cfg.pipeline.stages.size(), "one pipeline entry per stage");
  }
}

}  // namespace

int FuzzConfig(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] & 3;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  config::Errors errors;
  config::Config cfg;
  switch (mode) {
    case 0: {  // a YAML document, parsed directly
      YAML::Node root;
      try {
        root = YAML::Load(std::string(text));
      } catch (const YAML::Exception&) {
        return 0;  // a syntax error: LoadConfig reports it as a config error
      }
      cfg = config::ParseConfig(root, &errors);
      break;
    }
    case 1:  // --set flags
      cfg = config::LoadConfig("", {}, Lines(text), &errors);
      break;
    case 2:  // NEWSFLOW_* environment entries
      cfg = config::LoadConfig("", Lines(text), {}, &errors);
      break;
    default: {  // a config file
      static const std::string path =
          "/tmp/newsflow-fuzz-config-" + std::to_string(::getpid()) + ".yaml";
      std::FILE* f = std::fopen(path.c_str(), "wb");
      Check(f != nullptr, "the temporary config file can be written");
      std::fwrite(text.data(), 1, text.size(), f);
      std::fclose(f);
      cfg = config::LoadConfig(path, {}, {}, &errors);
      break;
    }
  }
  BuildPipeline(cfg, &errors);
  for (const auto& e : errors.list()) Check(!e.empty(), "config errors are not empty strings");
  return 0;
}

}  // namespace newsflow::fuzz
