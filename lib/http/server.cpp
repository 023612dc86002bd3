// The only translation unit with Beast and Asio in it (they compile slowly): sessions for plain
// and TLS connections share one CRTP base, as in Beast's "advanced_server_flex" example.
#define BOOST_BEAST_USE_STD_STRING_VIEW  // req.target() and fields as std::string_view
#include <utility>                       // before Asio (GCC 12, see shared/DEPENDENCIES.md)

#include "http/server.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/log.hpp"
#include "pki/certificate.hpp"

namespace iotfleet::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kDrainLimit = 1 << 20;       // bytes read and dropped before closing
constexpr std::chrono::seconds kLingerTimeout{2};  // how long a refused client may keep sending

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  /// Closes the connection if it waits for a request (graceful stop). Runs on its strand.
  virtual void close_if_idle() = 0;
};

struct PeerCertificate {
  std::optional<std::string> cn;
  std::string serial;
};

PeerCertificate verified_peer(SSL* ssl) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) return {};
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return {};
  std::optional<std::string> cn;
  X509_NAME* name = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  // Exactly one CN: a certificate with two is ambiguous about which device it is.
  if (index >= 0 && X509_NAME_get_index_by_NID(name, NID_commonName, index) < 0) {
    unsigned char* utf8 = nullptr;
    const int len =
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
    if (len > 0) cn = std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  PeerCertificate peer{std::move(cn), pki::serial_hex(X509_get0_serialNumber(cert))};
  X509_free(cert);
  return peer;
}

}  // namespace

struct Server::Impl {
  Impl(const ServeSettings& settings, Handlers& h, Metrics& m)
      : s(settings),
        handlers(h),
        metrics(m),
        ioc(static_cast<int>(settings.threads)),
        acceptor(ioc),
        retry_timer(ioc) {}

  // Declaration order matters: destroying ioc destroys the sessions its pending handlers hold,
  // and they unregister themselves, so everything they touch is declared before ioc.
  const ServeSettings& s;
  Handlers& handlers;
  Metrics& metrics;
  std::atomic<bool> draining{false}, stopping{false};
  std::atomic<std::int64_t> connections{0};
  std::mutex sessions_mutex;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  std::optional<ssl::context> tls;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  std::vector<std::thread> threads;

  void add(const std::shared_ptr<SessionBase>& session) {
    std::lock_guard lock(sessions_mutex);
    sessions.emplace(session.get(), session);
  }
  void remove(SessionBase* session) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(session);
  }

  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
};

namespace {

template <class Derived>
class Session : public SessionBase {
 public:
  Session(Server::Impl& server, std::string peer)
      : server_(server), peer_(std::move(peer)), buffer_(server.s.max_header_bytes + 4096) {
    ++server_.connections;
  }
  ~Session() override {
    --server_.connections;
    server_.remove(this);
  }

  void close_if_idle() override {
    if (idle_) close_now();
  }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }
  std::shared_ptr<Derived> ptr() {
    return std::static_pointer_cast<Derived>(this->shared_from_this());
  }
  auto& lowest() { return beast::get_lowest_layer(self().stream()); }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.s.max_header_bytes));
    parser_->body_limit(0);
    if (server_.stopping) return close_now();
    if (buffer_.size() > 0) {  // a pipelined request already started
      lowest().expires_after(server_.s.read_timeout);
      return read_rest();
    }
    idle_ = true;
    lowest().expires_after(server_.s.idle_timeout);
    // The first bytes are read raw: Beast's parser makes no progress until the whole header is
    // there, so reading through it would let a slow client live on the idle time-out.
    self().stream().async_read_some(buffer_.prepare(512),
                                    [self = ptr()](beast::error_code ec, std::size_t n) {
                                      self->buffer_.commit(n);
                                      self->on_first_bytes(ec);
                                    });
  }

  void on_first_bytes(beast::error_code ec) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    const auto data = beast::buffers_to_string(buffer_.data());
    first_line_complete_ = data.find("\r\n") != std::string::npos;
    lowest().expires_after(server_.s.read_timeout);
    read_rest();
  }

  void read_rest() {
    bhttp::async_read(self().stream(), buffer_, *parser_,
                      [self = ptr()](beast::error_code ec, std::size_t) {
                        if (ec) return self->on_read_error(ec);
                        self->process();
                      });
  }

  void on_read_error(beast::error_code ec) {
    if (core::log::enabled(core::log::Level::debug))
      core::log::debug("request not read", {{"error", ec.message()}, {"peer", peer_}});
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      // Nothing of the header is consumed until it is complete: without a line end in the
      // buffer, the request line alone was too long.
      const auto data = beast::buffers_to_string(buffer_.data());
      const bool line_done = first_line_complete_ || data.find("\r\n") != std::string::npos;
      return refuse(line_done ? 431 : 414, line_done ? "request_header_too_large" : "uri_too_long",
                    line_done ? "the request header is too large" : "the request line is too long");
    }
    if (ec == bhttp::error::unexpected_body || ec == bhttp::error::body_limit)
      return refuse(413, "payload_too_large", "GET and HEAD requests take no body");
    const beast::error_code http_error = bhttp::error::bad_target;
    if (ec.category() == http_error.category() && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message && ec != bhttp::error::need_more)
      return refuse(400, "bad_request", "the request is not valid HTTP/1.1");
    close_now();  // end of stream, time-out, reset, aborted
  }

  void refuse(int status, const char* error, const char* message) {
    Response res = error_response(status, error, message);
    res.route = Route::invalid;
    server_.metrics.request(Route::invalid, status, 0);
    buffer_.consume(buffer_.size());
    send(std::move(res), false, false, true);
  }

  void process() {
    auto& req = parser_->get();
    Request r;
    r.method = req.method_string();
    r.target = req.target();
    r.authorization = req[bhttp::field::authorization];
    r.if_none_match = req[bhttp::field::if_none_match];
    r.range = req[bhttp::field::range];
    r.if_range = req[bhttp::field::if_range];
    r.client_cert_cn = cert_cn_;
    r.client_cert_serial = cert_serial_;
    r.peer = peer_;
    r.x_forwarded_for = req["X-Forwarded-For"];
    const auto start = Clock::now();
    Response res = server_.handlers.handle(r);
    server_.metrics.request(res.route, res.status,
                            std::chrono::duration<double>(Clock::now() - start).count());
    const bool keep_alive = req.keep_alive() && !server_.draining && !server_.stopping;
    send(std::move(res), keep_alive, req.method() == bhttp::verb::head, false);
  }

  void send(Response res, bool keep_alive, bool head, bool refused) {
    response_ = std::move(res);
    message_.emplace(static_cast<bhttp::status>(response_.status), 11);
    auto& m = *message_;
    m.set(bhttp::field::server, "iot-serve");
    if (!response_.content_type.empty()) m.set(bhttp::field::content_type, response_.content_type);
    for (const auto& [name, value] : response_.headers) m.set(name, value);
    m.keep_alive(keep_alive);
    const std::string_view body = response_.body_view();
    if (head) {
      if (response_.status != 304) m.content_length(body.size());
    } else {
      m.body() = beast::span<const char>(body.data(), body.size());
      m.prepare_payload();
    }
    lowest().expires_after(server_.s.write_timeout);
    bhttp::async_write(self().stream(), m,
                       [self = ptr(), keep_alive, refused](beast::error_code ec, std::size_t) {
                         self->message_.reset();
                         self->response_ = Response{};
                         if (ec) return self->close_now();
                         if (refused) return self->linger();
                         if (!keep_alive) return self->self().graceful_close();
                         self->read_request();
                       });
  }

  // After a refusal the client may still be sending (a 1 MB request line): stop sending, read
  // and drop for a moment, then close, so the answer is not destroyed by a TCP reset.
  void linger() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    drain_ = std::make_unique<char[]>(4096);
    lowest().expires_after(kLingerTimeout);
    drain_some();
  }
  void drain_some() {
    lowest().async_read_some(net::buffer(drain_.get(), 4096),
                             [self = ptr()](beast::error_code ec, std::size_t n) {
                               self->drained_ += n;
                               if (ec || self->drained_ > kDrainLimit) return self->close_now();
                               self->drain_some();
                             });
  }

  void close_now() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  Server::Impl& server_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::empty_body>> parser_;
  std::optional<bhttp::response<bhttp::span_body<const char>>> message_;
  Response response_;
  std::optional<std::string> cert_cn_;
  std::string cert_serial_;
  std::unique_ptr<char[]> drain_;
  std::size_t drained_ = 0;
  bool idle_ = false;
  bool first_line_complete_ = false;  // the request line ended within the first bytes read
};

class PlainSession final : public Session<PlainSession> {
 public:
  PlainSession(Server::Impl& server, tcp::socket&& socket, std::string peer)
      : Session(server, std::move(peer)), stream_(std::move(socket)) {}
  beast::tcp_stream& stream() { return stream_; }
  void run() {
    net::dispatch(stream_.get_executor(), [self = std::static_pointer_cast<PlainSession>(
                                               shared_from_this())] { self->read_request(); });
  }
  void graceful_close() { close_now(); }
  void close_if_idle() override {
    net::post(stream_.get_executor(),
              [self = std::static_pointer_cast<PlainSession>(shared_from_this())] {
                self->Session::close_if_idle();
              });
  }

 private:
  beast::tcp_stream stream_;
};

class TlsSession final : public Session<TlsSession> {
 public:
  TlsSession(Server::Impl& server, tcp::socket&& socket, ssl::context& ctx, std::string peer)
      : Session(server, std::move(peer)), stream_(std::move(socket), ctx) {}
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void run() {
    net::dispatch(
        stream_.get_executor(), [self = std::static_pointer_cast<TlsSession>(shared_from_this())] {
          self->idle_ = true;  // a client that never says hello is idle
          beast::get_lowest_layer(self->stream_).expires_after(self->server_.s.read_timeout);
          self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
            self->idle_ = false;
            if (ec) return self->close_now();
            auto peer = verified_peer(self->stream_.native_handle());
            self->cert_cn_ = std::move(peer.cn);
            self->cert_serial_ = std::move(peer.serial);
            self->read_request();
          });
        });
  }
  void graceful_close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = std::static_pointer_cast<TlsSession>(shared_from_this())](
                               beast::error_code) { self->close_now(); });
  }
  void close_if_idle() override {
    net::post(stream_.get_executor(),
              [self = std::static_pointer_cast<TlsSession>(shared_from_this())] {
                self->Session::close_if_idle();
              });
  }

 private:
  beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopping || !acceptor.is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: wait a little instead of spinning.
    core::log::warn("accept failed", {{"error", ec.message()}});
    retry_timer.expires_after(std::chrono::milliseconds(50));
    retry_timer.async_wait([this](beast::error_code) {
      if (!stopping) accept();
    });
    return;
  }
  if (connections.load() >= static_cast<std::int64_t>(s.max_connections)) {
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const auto endpoint = socket.remote_endpoint(ignored);
    std::string peer = ignored ? std::string("?") : endpoint.address().to_string();
    if (tls) {
      auto session = std::make_shared<TlsSession>(*this, std::move(socket), *tls, std::move(peer));
      add(session);
      session->run();
    } else {
      auto session = std::make_shared<PlainSession>(*this, std::move(socket), std::move(peer));
      add(session);
      session->run();
    }
  }
  accept();
}

Server::Server(const ServeSettings& settings, Handlers& handlers, Metrics& metrics)
    : impl_(std::make_unique<Impl>(settings, handlers, metrics)) {}

Server::~Server() {
  if (!impl_->threads.empty()) stop(std::chrono::seconds(1));
}

std::atomic<bool>& Server::draining() { return impl_->draining; }
std::int64_t Server::open_connections() const { return impl_->connections.load(); }
unsigned short Server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

core::Status Server::start() {
  auto& d = *impl_;
  const auto& s = d.s;
  if (s.tls()) {
    d.tls.emplace(ssl::context::tls_server);
    auto& ctx = *d.tls;
    try {
      ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use);
      ctx.use_certificate_chain_file(s.tls_cert);
      ctx.use_private_key_file(s.tls_key, ssl::context::pem);
      if (!s.client_ca.empty()) {
        ctx.load_verify_file(s.client_ca);
        SSL_CTX_set_client_CA_list(ctx.native_handle(),
                                   SSL_load_client_CA_file(s.client_ca.c_str()));
        static const unsigned char kContext[] = "iot-serve";
        SSL_CTX_set_session_id_context(ctx.native_handle(), kContext, sizeof kContext - 1);
        // Only when certificates are the sole way in must every client present one.
        ctx.set_verify_mode(s.auth_modes == kAuthCert
                                ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                : ssl::verify_peer);
      }
    } catch (const std::exception& e) {
      return core::Error::usage(std::string("cannot load the TLS files (--tls-cert, --tls-key, "
                                            "--client-ca): ") +
                                e.what());
    }
  }
  try {
    const tcp::endpoint endpoint(net::ip::make_address(s.host), s.port);
    d.acceptor.open(endpoint.protocol());
    d.acceptor.set_option(net::socket_base::reuse_address(true));
    d.acceptor.bind(endpoint);
    d.acceptor.listen(net::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    return core::Error::unavailable("cannot listen on " + s.host + ":" + std::to_string(s.port) +
                                    ": " + e.what());
  }
  d.accept();
  for (unsigned i = 0; i < s.threads; ++i)
    d.threads.emplace_back([&d] {
      for (;;) {
        try {
          d.ioc.run();
          return;
        } catch (const std::exception& e) {
          core::log::error("worker thread caught an exception", {{"error", e.what()}});
        }
      }
    });
  return core::ok_status();
}

void Server::stop(std::chrono::seconds timeout) {
  auto& d = *impl_;
  if (d.threads.empty()) return;
  d.draining = true;
  d.stopping = true;
  net::post(d.ioc, [&d] {
    beast::error_code ignored;
    d.acceptor.close(ignored);
    d.retry_timer.cancel();
  });
  // Take the sessions out under the lock, use them after it: the last reference to a session
  // may be ours, and its destructor unregisters it under the same (non-recursive) lock.
  std::vector<std::shared_ptr<SessionBase>> open;
  {
    std::lock_guard lock(d.sessions_mutex);
    for (auto& [ptr, weak] : d.sessions)
      if (auto session = weak.lock()) open.push_back(std::move(session));
  }
  for (auto& session : open) session->close_if_idle();
  open.clear();
  const auto deadline = Clock::now() + timeout;
  while (d.connections.load() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  d.ioc.stop();
  for (auto& t : d.threads) t.join();
  d.threads.clear();
}

}  // namespace iotfleet::http
