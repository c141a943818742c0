#include "daemon/admin_server.h"

#include <prometheus/text_serializer.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/log.h"

namespace newsflow {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct AdminServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::shared_ptr<prometheus::Registry> registry;
  Probes probes;

  http::response<http::string_body> Handle(const http::request<http::string_body>& req) {
    http::response<http::string_body> res;
    res.version(req.version());
    res.set(http::field::server, "newsflowd");
    res.keep_alive(false);
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.body() = "method not allowed\n";
    } else if (path == "/metrics") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = prometheus::TextSerializer().Serialize(registry->Collect());
    } else if (path == "/healthz") {
      const bool ok = !probes.live || probes.live();
      res.result(ok ? http::status::ok : http::status::service_unavailable);
      res.body() = ok ? "ok\n" : "stalled\n";
    } else if (path == "/readyz") {
      const bool ok = probes.ready && probes.ready();
      res.result(ok ? http::status::ok : http::status::service_unavailable);
      res.body() = ok ? "ready\n" : "not ready\n";
    } else {
      res.result(http::status::not_found);
      res.body() = "not found\n";
    }
    if (res.result() != http::status::ok || path != "/metrics")
      res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.prepare_payload();
    return res;
  }

  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, Impl* impl) : stream(std::move(s)), impl(impl) {}
    beast::tcp_stream stream;
    Impl* impl;
    beast::flat_buffer buffer{8192};
    http::request_parser<http::string_body> parser;
    http::response<http::string_body> response;

    void Run() {
      parser.header_limit(8192);
      parser.body_limit(8192);
      stream.expires_after(std::chrono::seconds(10));
      http::async_read(stream, buffer, parser,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) return;
                         self->response = self->impl->Handle(self->parser.get());
                         http::async_write(self->stream, self->response,
                                           [self](beast::error_code, size_t) {
                                             beast::error_code ignored;
                                             self->stream.socket().shutdown(
                                                 tcp::socket::shutdown_send, ignored);
                                           });
                       });
    }
  };

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), this)->Run();
      Accept();
    });
  }
};

AdminServer::AdminServer(std::shared_ptr<prometheus::Registry> registry, Probes probes)
    : impl_(std::make_unique<Impl>()) {
  impl_->registry = std::move(registry);
  impl_->probes = std::move(probes);
}

AdminServer::~AdminServer() { Stop(); }

Status AdminServer::Start(const std::string& address, uint16_t port) {
  beast::error_code ec;
  const auto addr = asio::ip::make_address(address, ec);
  if (ec) return MakeError("admin.listen \"" + address + "\": " + ec.message(), "config");
  tcp::endpoint endpoint(addr, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                         ec.message(),
                     "io");
  }
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  thread_ = std::thread([this] { impl_->io.run(); });
  log::Info("admin server listening", {{"address", address}, {"port", std::to_string(port_)}});
  return Status::Ok();
}

void AdminServer::Stop() {
  if (!thread_.joinable()) return;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->io.stop();
  });
  thread_.join();
}

}  // namespace newsflow
