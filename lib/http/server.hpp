#pragma once
// The HTTP/1.1 listener of iot-serve on Boost.Beast/Asio (the only translation unit that
// includes them): keep-alive, optional TLS with OpenSSL (client certificates verified against
// --client-ca), header and body limits, and time limits so slow or idle clients cannot hold a
// connection: `idle_timeout` while waiting for a request, `read_timeout` from its first byte to
// its last header byte (and for the TLS handshake), `write_timeout` per response.
//
// Refusals before a request is routed: a request line or header block over the limit gets 414
// (the request line alone is too long) or 431, a body on GET/HEAD 413, a malformed request 400;
// each is followed by closing the connection (after draining what the client still sends, so the
// answer is not lost to a reset). Connections beyond `max_connections` are closed at accept.

#include <atomic>
#include <chrono>
#include <memory>

#include "core/error.hpp"
#include "http/handlers.hpp"
#include "http/metrics.hpp"
#include "http/settings.hpp"

namespace iotfleet::http {

class Server {
 public:
  Server(const ServeSettings& settings, Handlers& handlers, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Loads the TLS files, binds and starts the worker threads. ErrorKind::usage for unreadable
  /// TLS files, ErrorKind::unavailable when the address cannot be bound.
  core::Status start();
  /// The bound port (useful with port 0).
  unsigned short port() const;
  std::int64_t open_connections() const;
  /// Graceful stop: no new connections, idle ones closed, requests in flight answered (with
  /// "Connection: close"); after `timeout` whatever is left is cut. Joins the threads.
  void stop(std::chrono::seconds timeout);

  /// Set while draining: readiness fails and responses close their connection.
  std::atomic<bool>& draining();

  struct Impl;  // public so the sessions in server.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace iotfleet::http
