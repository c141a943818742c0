// The dashboard and alert rules against a real Prometheus scraping a real daemon: articles flow
// through newsflowd on a real broker, then scripts/prometheus-e2e.sh runs every panel query and
// alert expression through Prometheus' HTTP API.
#include <signal.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <regex>

#include "harness.h"
#include "stages/builtin.h"
#include "test_util.h"

using namespace newsflow;
using namespace newsflow::testing;
using namespace std::chrono_literals;

TEST_CASE("Every dashboard query and alert expression works against a real Prometheus",
          "[kafka][prometheus]") {
  TempDir dir;
  const std::string in = UniqueName("m-in"), out = UniqueName("m-out"), dead = UniqueName("m-dlq"),
                    group = UniqueName("m-group");
  CreateTopic(in, 2);
  CreateTopic(out, 2);
  CreateTopic(dead, 1);
  const std::string cfg = WriteConfig(dir.path().string(), in, out, dead, group,
                                      "pipeline:\n  stages: " + AllStages() + "\n");
  std::vector<std::string> values;
  for (int i = 0; i < 400; ++i) values.push_back(ArticleJson("m-" + std::to_string(i), 1500));
  values.push_back("not json");
  values.push_back(R"({"id":"x","title":"no body"})");
  Produce(in, values);
  DaemonProcess d({"run", "--config", cfg, "--state-dir", (dir.path() / "state").string()},
                  (dir.path() / "d.log").string());
  std::smatch m;
  std::string log;
  REQUIRE(WaitFor([&] {
    log = d.Log();
    return std::regex_search(log, m, std::regex(R"(admin server listening .*port=([0-9]+))"));
  }, 60s));
  const std::string port = m[1];
  REQUIRE(ReadAll(out, 400, 180s).size() >= 400);
  const std::string cmd = "E2E_MIN_SCRAPES=4 " + (SourceDir() / "scripts/prometheus-e2e.sh").string() +
                          " 127.0.0.1:" + port + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string output;
  char buf[1024];
  while (fgets(buf, sizeof buf, p)) output += buf;
  const int rc = pclose(p);
  std::printf("%s", output.c_str());
  INFO(output);
  CHECK(rc == 0);
  d.Signal(SIGTERM);
  CHECK(d.Wait(60s) == std::optional<int>(0));
}
