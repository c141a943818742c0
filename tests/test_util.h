// Helpers shared by the tests: where the sources and ../shared are, and temporary directories.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace newsflow::testing {

// The repository root (set by ctest; falls back to the working directory).
inline std::filesystem::path SourceDir() {
  const char* d = std::getenv("NEWSFLOW_SOURCE_DIR");
  return d ? std::filesystem::path(d) : std::filesystem::current_path();
}

// ../shared beside the repository: seeds and development data sets (read-only).
inline std::filesystem::path SharedDir() {
  const char* d = std::getenv("NEWSFLOW_SHARED_DIR");
  return d ? std::filesystem::path(d) : SourceDir() / ".." / "shared";
}

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("newsflow-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace newsflow::testing
