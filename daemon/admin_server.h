// AdminServer: the daemon's HTTP endpoint for operators (Boost.Asio + Beast).
//
// Serves GET /metrics (the prometheus-cpp registry in text format 0.0.4), /healthz (liveness:
// 200 while the consumer loop's heartbeat is fresh) and /readyz (200 when ready, 503 while
// starting or draining). Runs its own thread; Start() binds (port 0 picks a free port, see
// port()) and returns an error if the address cannot be bound. Stop() is idempotent and joins.
// Request bodies are ignored; requests are limited to 8 KiB of headers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <prometheus/registry.h>

#include "common/result.h"

namespace newsflow {

class AdminServer {
 public:
  struct Probes {
    std::function<bool()> live;
    std::function<bool()> ready;
  };
  AdminServer(std::shared_ptr<prometheus::Registry> registry, Probes probes);
  ~AdminServer();

  Status Start(const std::string& address, uint16_t port);
  void Stop();
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace newsflow
