#include "common/paths.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace newsflow {
namespace {

std::vector<std::string> Dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("NEWSFLOW_MODELS_DIR"); env && *env) dirs.emplace_back(env);
  dirs.emplace_back(NEWSFLOW_BUILD_MODELS_DIR);
  dirs.emplace_back(NEWSFLOW_SOURCE_MODELS_DIR);
  dirs.emplace_back("/usr/share/newsflow/models");
  return dirs;
}

}  // namespace

std::string FindDataFile(const std::string& name) {
  std::error_code ec;
  for (const auto& dir : Dirs()) {
    const std::filesystem::path p = std::filesystem::path(dir) / name;
    if (std::filesystem::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

std::string DataSearchPath() {
  std::string out;
  for (const auto& dir : Dirs()) out.append(out.empty() ? "" : ":").append(dir);
  return out;
}

}  // namespace newsflow
