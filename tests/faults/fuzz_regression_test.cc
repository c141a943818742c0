// Replays the fuzz targets' committed seeds and every saved finding through the target bodies
// (fuzz/targets.h) in an ordinary build, so a fixed crash stays fixed in every CI run.
// Findings live in tests/faults/testdata/fuzz/<target>/ (one file per input, named after what
// it broke); the seeds in fuzz/<target>/seeds/.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "fuzz/targets.h"
#include "test_util.h"

namespace newsflow::testing {
namespace {

namespace fs = std::filesystem;

size_t Replay(const std::string& target, int (*fn)(const uint8_t*, size_t)) {
  size_t n = 0;
  for (const fs::path& dir : {SourceDir() / "fuzz" / target / "seeds",
                              SourceDir() / "tests" / "faults" / "testdata" / "fuzz" / target}) {
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      const std::string data = ReadFile(e.path());
      INFO(e.path().string());
      CHECK(fn(reinterpret_cast<const uint8_t*>(data.data()), data.size()) == 0);
      ++n;
    }
  }
  return n;
}

// Edge cases every target sees: empty, a lone mode byte, every mode byte before a small JSON
// record, and deep nesting.
void EdgeCases(int (*fn)(const uint8_t*, size_t)) {
  const std::string json = R"({"id":"a","text":"Hello world.","meta":{"k":[1,2,{"x":null}]}})";
  CHECK(fn(nullptr, 0) == 0);
  for (int mode = 0; mode < 64; ++mode) {
    std::string in(1, static_cast<char>(mode));
    CHECK(fn(reinterpret_cast<const uint8_t*>(in.data()), in.size()) == 0);
    in += json;
    CHECK(fn(reinterpret_cast<const uint8_t*>(in.data()), in.size()) == 0);
  }
  std::string deep(1, '\0');
  deep += std::string(5000, '[') + std::string(5000, ']');
  CHECK(fn(reinterpret_cast<const uint8_t*>(deep.data()), deep.size()) == 0);
}

TEST_CASE("fuzz regressions: record parser", "[unit]") {
  CHECK(Replay("record", &fuzz::FuzzRecord) > 0);
  EdgeCases(&fuzz::FuzzRecord);
}

TEST_CASE("fuzz regressions: config loader", "[unit]") {
  CHECK(Replay("config", &fuzz::FuzzConfig) > 0);
  EdgeCases(&fuzz::FuzzConfig);
}

TEST_CASE("fuzz regressions: every registered stage", "[unit]") {
  CHECK(Replay("stages", &fuzz::FuzzStages) > 0);
  EdgeCases(&fuzz::FuzzStages);
}

}  // namespace
}  // namespace newsflow::testing
