#include <catch2/catch.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>

#include "daemon/admin_server.h"
#include "daemon/metrics.h"
#include "state/store.h"
#include "test_util.h"

using namespace newsflow;
namespace http = boost::beast::http;

namespace {

struct Reply {
  int status;
  std::string body;
  std::string content_type;
};

Reply Get(uint16_t port, const std::string& target) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {static_cast<int>(res.result_int()), res.body(),
          std::string(res[http::field::content_type])};
}

}  // namespace

TEST_CASE("Admin server: /healthz, /readyz, /metrics, 404", "[unit]") {
  auto registry = std::make_shared<prometheus::Registry>();
  DaemonMetrics metrics(*registry);
  metrics.consumed->Increment(3);
  metrics.DeadLettered("input", "not_json");
  metrics.Partition(0).lag_records->Set(5);
  metrics.RefreshProcess();
  auto store = state::MakeMemoryStore();
  metrics.RefreshState(*store);
  std::atomic<bool> ready{false};
  AdminServer server(registry, {[] { return true; }, [&] { return ready.load(); }});
  REQUIRE(server.Start("127.0.0.1", 0).ok());
  REQUIRE(server.port() != 0);

  CHECK(Get(server.port(), "/healthz").status == 200);
  CHECK(Get(server.port(), "/readyz").status == 503);
  ready = true;
  CHECK(Get(server.port(), "/readyz").status == 200);
  CHECK(Get(server.port(), "/nope").status == 404);

  const Reply m = Get(server.port(), "/metrics");
  CHECK(m.status == 200);
  CHECK(m.content_type.find("text/plain") == 0);
  CHECK(m.body.find("newsflow_records_consumed_total 3") != std::string::npos);
  CHECK(m.body.find(R"(newsflow_records_dead_lettered_total{reason="not_json",stage="input"} 1)") !=
        std::string::npos);
  CHECK(m.body.find(R"(newsflow_consumer_lag_records{partition="0"} 5)") != std::string::npos);
  CHECK(m.body.find("newsflow_build_info{version=") != std::string::npos);
  CHECK(m.body.find("newsflow_process_resident_memory_bytes") != std::string::npos);

  // The real Prometheus linter must accept the exposition (names, units, help, types).
  testing::TempDir dir;
  const auto path = dir.path() / "metrics.txt";
  std::ofstream(path) << m.body;
  const std::string cmd = "promtool check metrics < " + path.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) output += buf;
  const int rc = pclose(p);
  INFO("promtool output:\n" << output);
  CHECK(rc == 0);

  server.Stop();
  server.Stop();  // idempotent
}

TEST_CASE("Admin server: a port in use is a clear error", "[unit]") {
  auto registry = std::make_shared<prometheus::Registry>();
  AdminServer first(registry, {});
  REQUIRE(first.Start("127.0.0.1", 0).ok());
  AdminServer second(registry, {});
  Status s = second.Start("127.0.0.1", first.port());
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("cannot listen") != std::string::npos);
  AdminServer bad(registry, {});
  CHECK_FALSE(bad.Start("not-an-address", 0).ok());
}
