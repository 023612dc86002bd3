#include "mqtt/connection.hpp"

#include <MQTTClient.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>

#include "core/log.hpp"
#include "mqtt/subscriber.hpp"

namespace iotfleet::mqtt {

std::string describe_return_code(int rc) {
  switch (rc) {
    case MQTTCLIENT_SUCCESS:
      return "success";
    case MQTTCLIENT_FAILURE:
      return "the operation failed";
    case -2:
      return "client persistence error";
    case MQTTCLIENT_DISCONNECTED:
      return "not connected: the connection to the broker was lost";
    case MQTTCLIENT_MAX_MESSAGES_INFLIGHT:
      return "too many messages in flight";
    case MQTTCLIENT_BAD_UTF8_STRING:
      return "a topic, client id or user name is not valid UTF-8";
    case MQTTCLIENT_NULL_PARAMETER:
      return "a required parameter is missing";
    case MQTTCLIENT_TOPICNAME_TRUNCATED:
      return "the topic contains NUL";
    case MQTTCLIENT_BAD_STRUCTURE:
      return "invalid options structure";
    case MQTTCLIENT_BAD_QOS:
      return "QoS must be 0, 1 or 2";
    case MQTTCLIENT_SSL_NOT_SUPPORTED:
      return "TLS is not supported by this paho library";
    case MQTTCLIENT_BAD_MQTT_VERSION:
      return "unsupported MQTT version";
    case MQTTCLIENT_BAD_PROTOCOL:
      return "unsupported URL scheme";
    case MQTTCLIENT_BAD_MQTT_OPTION:
      return "an MQTT option does not fit the MQTT version";
    case MQTTCLIENT_WRONG_MQTT_VERSION:
      return "call not available for this MQTT version";
    case MQTTCLIENT_0_LEN_WILL_TOPIC:
      return "empty will topic";
    // CONNACK return codes of MQTT 3.1.1 §3.2.2.3, which MQTTClient_connect passes through.
    case 1:
      return "connection refused: unacceptable protocol version";
    case 2:
      return "connection refused: client identifier rejected";
    case 3:
      return "connection refused: server unavailable";
    case 4:
      return "connection refused: bad user name or password";
    case 5:
      return "connection refused: not authorized";
    case MQTT_BAD_SUBSCRIBE:
      return "subscription refused by the broker";
  }
  if (const char* s = MQTTClient_strerror(rc))
    return std::string(s) + " (paho code " + std::to_string(rc) + ")";
  return "paho error code " + std::to_string(rc);
}

}  // namespace iotfleet::mqtt

namespace iotfleet::mqtt::detail {

using std::chrono::milliseconds;

struct SslErrors {
  std::mutex mutex;
  std::string first;  // the reason of the first OpenSSL error ("certificate verify failed")
};

// Filled by paho's thread, read by the caller's.
struct Events {
  std::mutex mutex;
  std::condition_variable cv;
  std::set<int> acknowledged;
  std::deque<Message> inbox;
};

namespace {

void on_delivered(void* context, MQTTClient_deliveryToken token) {
  auto* events = static_cast<Events*>(context);
  {
    std::lock_guard lock(events->mutex);
    events->acknowledged.insert(token);
  }
  events->cv.notify_all();
}

int on_message(void* context, char* topic, int topic_len, MQTTClient_message* message) {
  auto* events = static_cast<Events*>(context);
  Message m;
  m.topic =
      topic_len > 0 ? std::string(topic, static_cast<std::size_t>(topic_len)) : std::string(topic);
  m.payload.assign(static_cast<const char*>(message->payload),
                   static_cast<std::size_t>(message->payloadlen));
  m.retained = message->retained != 0;
  m.qos = message->qos;
  MQTTClient_freeMessage(&message);
  MQTTClient_free(topic);
  {
    std::lock_guard lock(events->mutex);
    events->inbox.push_back(std::move(m));
  }
  events->cv.notify_all();
  return 1;
}

// OpenSSL 3 lines: "<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:<data>".
int on_ssl_error(const char* str, size_t len, void* context) {
  auto* errors = static_cast<SslErrors*>(context);
  std::string_view line(str, len);
  std::string reason(line);
  std::size_t pos = 0;
  for (int field = 0; field < 5 && pos != std::string_view::npos; ++field)
    pos = line.find(':', pos + (field > 0));
  if (pos != std::string_view::npos) {
    const auto end = line.find(':', pos + 1);
    reason = line.substr(pos + 1, end == std::string_view::npos ? line.npos : end - pos - 1);
  }
  std::lock_guard lock(errors->mutex);
  if (errors->first.empty()) errors->first = reason;
  return 0;
}

struct Probe {
  bool reachable = false;
  std::string problem;  // when not reachable
};

// paho reports every failure to reach the broker as MQTTCLIENT_FAILURE; one plain TCP attempt
// tells the operator which one it was (no such host, nothing listening, no answer).
Probe probe_tcp(const BrokerUrl& b, milliseconds budget) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(b.port);
  if (int rc = ::getaddrinfo(b.host.c_str(), port.c_str(), &hints, &list); rc != 0)
    return {false, "cannot resolve host '" + b.host + "': " + ::gai_strerror(rc)};
  Probe probe{false, "no address for host '" + b.host + "'"};
  for (addrinfo* a = list; a && !probe.reachable; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(budget.count()));
      socklen_t len = sizeof err;
      if (ready <= 0)
        err = ETIMEDOUT;
      else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    }
    ::close(fd);
    if (err == 0)
      probe.reachable = true;
    else if (err == ECONNREFUSED)
      probe.problem = "connection refused: nothing is listening on port " + port;
    else if (err == ETIMEDOUT)
      probe.problem = "no answer within " + std::to_string(budget.count()) + " ms";
    else
      probe.problem = std::strerror(err);
  }
  ::freeaddrinfo(list);
  return probe;
}

bool is_ip_literal(const std::string& host) {
  in6_addr buffer{};
  return ::inet_pton(AF_INET, host.c_str(), &buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &buffer) == 1;
}

constexpr char kRetryHint[] = "check MQTT_URL and that the broker is running; retry is safe";

core::Error connect_error(const Settings& s, int rc, milliseconds elapsed, milliseconds timeout,
                          const std::string& ssl_error) {
  const std::string prefix = "cannot connect to MQTT broker " + s.broker.display() + ": ";
  if (rc == 4 || rc == 5)
    return core::Error::unavailable(
        prefix + describe_return_code(rc),
        s.broker.tls && !s.client_cert.empty()
            ? "check MQTT_USERNAME / MQTT_PASSWORD and the client certificate"
            : "check MQTT_USERNAME and MQTT_PASSWORD");
  if (rc == 2)
    return core::Error::unavailable(prefix + describe_return_code(rc),
                                    "check MQTT_CLIENT_ID (client id '" + s.client_id + "')");
  if (rc != MQTTCLIENT_FAILURE)
    return core::Error::unavailable(prefix + describe_return_code(rc), kRetryHint);

  const auto budget = std::clamp(timeout - elapsed, milliseconds(100), milliseconds(2000));
  const Probe probe = probe_tcp(s.broker, budget);
  if (!probe.reachable) return core::Error::unavailable(prefix + probe.problem, kRetryHint);
  if (!ssl_error.empty())
    return core::Error::unavailable(
        prefix + "TLS handshake failed: " + ssl_error,
        "check MQTT_CA_FILE (the CA that signed the broker's certificate) and "
        "MQTT_CLIENT_CERT / MQTT_CLIENT_KEY");
  if (elapsed + milliseconds(200) >= timeout)
    return core::Error::unavailable(
        prefix + "no MQTT answer within " + std::to_string(timeout.count()) + " ms", kRetryHint);
  // paho checks the host name after the handshake and reports no reason; a TLS 1.3 broker that
  // wants a client certificate also refuses only then. Certificates rarely name IP addresses.
  if (s.broker.tls && is_ip_literal(s.broker.host))
    return core::Error::unavailable(
        prefix + "TLS failed: the broker's certificate probably does not name '" + s.broker.host +
            "' (paho checks the host name and gives no reason)",
        "use a host name the certificate carries (mqtts://localhost:PORT for a CN=localhost "
        "certificate, not 127.0.0.1)");
  if (s.broker.tls)
    return core::Error::unavailable(
        prefix + "TLS failed: the broker ended the session, or its certificate does not name '" +
            s.broker.host + "' (paho gives no reason)",
        std::string(s.client_cert.empty()
                        ? "if the broker requires a client certificate, set MQTT_CLIENT_CERT and "
                          "MQTT_CLIENT_KEY; "
                        : "check that the broker trusts the CA of MQTT_CLIENT_CERT; ") +
            "the host in MQTT_URL must be a name the broker's certificate carries");
  return core::Error::unavailable(prefix + "the broker closed the connection without answering",
                                  "if that port is a TLS listener, use mqtts://");
}

}  // namespace

Connection::Connection(const Settings& settings, milliseconds timeout)
    : settings_(settings),
      broker_(settings.broker.display()),
      timeout_(timeout),
      ssl_errors_(std::make_unique<SslErrors>()),
      events_(std::make_unique<Events>()) {}

core::Result<std::unique_ptr<Connection>> Connection::open(const Settings& settings,
                                                           milliseconds timeout) {
  if (timeout <= milliseconds(0))
    return core::Error::failure("MQTT connect timeout must be positive");
  std::unique_ptr<Connection> conn(new Connection(settings, timeout));
  const Settings& s = conn->settings_;
  // No persistence: the default one writes in-flight messages to files in the working directory.
  int rc = MQTTClient_create(&conn->handle_, s.broker.paho_uri().c_str(), s.client_id.c_str(),
                             MQTTCLIENT_PERSISTENCE_NONE, nullptr);
  if (rc != MQTTCLIENT_SUCCESS)
    return core::Error::failure("cannot create an MQTT client for " + conn->broker_ + ": " +
                                describe_return_code(rc));
  // No connection-lost callback: paho runs it on a detached thread that could outlive us.
  rc = MQTTClient_setCallbacks(conn->handle_, conn->events_.get(), nullptr, on_message,
                               on_delivered);
  if (rc != MQTTCLIENT_SUCCESS)
    return core::Error::failure("cannot set MQTT callbacks for " + conn->broker_ + ": " +
                                describe_return_code(rc));

  MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer;
  // MQTTVERSION_DEFAULT retries every refusal with MQTT 3.1, doubling the time to fail.
  options.MQTTVersion = MQTTVERSION_3_1_1;
  options.cleansession = 1;
  options.keepAliveInterval = 30;
  options.connectTimeout = static_cast<int>(std::max<long long>(1, (timeout.count() + 999) / 1000));
  options.username = s.username.empty() ? nullptr : s.username.c_str();
  options.password = s.password ? s.password->c_str() : nullptr;
  MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
  if (s.broker.tls) {
    ssl.trustStore = s.ca_file.empty() ? nullptr : s.ca_file.c_str();  // null: the system store
    ssl.keyStore = s.client_cert.empty() ? nullptr : s.client_cert.c_str();
    ssl.privateKey = s.client_key.empty() ? nullptr : s.client_key.c_str();
    ssl.enableServerCertAuth = 1;
    ssl.verify = 1;  // the host name must match the certificate
    ssl.ssl_error_cb = on_ssl_error;
    ssl.ssl_error_context = conn->ssl_errors_.get();
    options.ssl = &ssl;
  }
  const auto started = std::chrono::steady_clock::now();
  rc = MQTTClient_connect(conn->handle_, &options);
  if (rc != MQTTCLIENT_SUCCESS) {
    const auto elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
    std::string ssl_error;
    {
      std::lock_guard lock(conn->ssl_errors_->mutex);
      ssl_error = conn->ssl_errors_->first;
    }
    return connect_error(s, rc, elapsed, milliseconds(options.connectTimeout * 1000), ssl_error);
  }
  core::log::debug("connected to MQTT broker",
                   {{"broker", conn->broker_}, {"client_id", s.client_id}});
  return conn;
}

void Connection::close() {
  if (handle_ && MQTTClient_isConnected(handle_))
    MQTTClient_disconnect(handle_, static_cast<int>(std::min<long long>(timeout_.count(), 2000)));
}

Connection::~Connection() {
  if (!handle_) return;
  close();
  MQTTClient_destroy(&handle_);
}

void Connection::forget_deliveries() {
  std::lock_guard lock(events_->mutex);
  events_->acknowledged.clear();
}

namespace {

// Waits in short slices for `ready` (checked under the events lock), noticing a lost
// connection in between. MQTTClient_isConnected is called outside our lock: paho holds its own
// while it runs our callbacks, which take ours.
template <class Ready>
Connection::Wait wait_for(Events& events, void* handle, milliseconds timeout, Ready&& ready) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    {
      std::unique_lock lock(events.mutex);
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (events.cv.wait_for(lock, std::clamp(left, milliseconds(0), milliseconds(50)), ready))
        return Connection::Wait::done;
    }
    if (!MQTTClient_isConnected(handle)) return Connection::Wait::disconnected;
    if (std::chrono::steady_clock::now() >= deadline) return Connection::Wait::timed_out;
  }
}

}  // namespace

Connection::Wait Connection::wait_delivered(int token, milliseconds timeout) {
  return wait_for(*events_, handle_, timeout,
                  [&] { return events_->acknowledged.erase(token) > 0; });
}

Connection::Wait Connection::wait_message(milliseconds timeout, Message& out) {
  return wait_for(*events_, handle_, timeout, [&] {
    if (events_->inbox.empty()) return false;
    out = std::move(events_->inbox.front());
    events_->inbox.pop_front();
    return true;
  });
}

core::Error Connection::error(int rc, const std::string& what) const {
  const std::string message = what + " on MQTT broker " + broker_ + ": " + describe_return_code(rc);
  if (rc == MQTTCLIENT_DISCONNECTED || rc == MQTTCLIENT_FAILURE)
    return core::Error::unavailable(message, "retry is safe");
  return core::Error::failure(message);
}

}  // namespace iotfleet::mqtt::detail
