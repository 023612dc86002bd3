#include "integration/http/serve_fixture.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "fleet/devices.hpp"

namespace iotfleet::test_support {
namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* out) {
  std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(value.begin());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

}  // namespace

HttpReply http_get(const std::string& url, const HttpOptions& o) {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  for (const auto& h : o.headers) headers = curl_slist_append(headers, h.c_str());
  if (!o.bearer.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + o.bearer).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // send "/../" as it is
  if (o.method == "HEAD")
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  else if (o.method != "GET")
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, o.method.c_str());
  if (!o.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, o.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, o.password.c_str());
  }
  if (!o.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
  if (!o.client_cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, o.client_cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, o.client_key.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  else
    reply.body = curl_easy_strerror(rc);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

int connect_to(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string raw_exchange(unsigned short port, const std::string& bytes, int timeout_ms) {
  const int fd = connect_to(port);
  if (fd < 0) return "";
  std::size_t sent = 0;
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, static_cast<short>(POLLIN | (sent < bytes.size() ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    if (p.revents & POLLIN) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
    }
    if ((p.revents & POLLOUT) && sent < bytes.size()) {
      const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0)
        sent = bytes.size();  // the server closed its side: read what it said
      else
        sent += static_cast<std::size_t>(n);
    }
    if (p.revents & (POLLERR | POLLHUP)) {
      const auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) reply.append(buf, static_cast<std::size_t>(n));
      break;
    }
  }
  ::close(fd);
  return reply;
}

void ensure_serve_role(TestDatabase& db) {
  const char* admin_url = std::getenv("IOT_TEST_PG_ADMIN_URL");
  ASSERT_NE(admin_url, nullptr) << "IOT_TEST_PG_ADMIN_URL is not set";
  for (int attempt = 0; attempt < 5; ++attempt) {
    try {
      pqxx::connection admin(admin_url);
      pqxx::nontransaction tx(admin);
      tx.exec0(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'iot_serve') THEN "
          "CREATE ROLE iot_serve NOLOGIN; END IF; END $$");
      tx.exec0(
          "DO $$ BEGIN IF NOT pg_has_role('iotfleet', 'iot_serve', 'MEMBER') THEN "
          "GRANT iot_serve TO iotfleet; END IF; END $$");
      break;
    } catch (const std::exception&) {  // a concurrent test did the same: look again
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  pqxx::work tx(db.conn());
  tx.exec1("SELECT iot_serve_grant()");
  tx.commit();
}

ServeTest::ServeTest() {
  ensure_serve_role(db);
  fleet::create_model(session, "env_sensor", "Environment sensor", std::nullopt).take();
  env = {{"DATABASE_URL", db.url()},
         {"IOT_SECRET_KEY", keyring},
         {"IOT_SECRET_PEPPER", pepper_text},
         {"IOT_SERVE_LISTEN", "127.0.0.1:0"},
         {"IOT_SERVE_THREADS", "2"},
         {"IOT_SERVE_DRAIN_SECONDS", "0"},
         {"DEVICE_BASE_URL", "http://serve.example"},
         {"DEVICE_MQTT_URL", "mqtt://broker.example:1883"}};
}

ServeTest::~ServeTest() { stop(); }

std::vector<std::string> ServeTest::create_local_devices(const std::string& model, int count,
                                                         const nlohmann::json& config) {
  fleet::DeviceSpec spec;
  spec.model_code = model;
  spec.count = static_cast<std::size_t>(count);
  spec.config = config;
  std::vector<std::string> keys;
  for (const auto& d :
       fleet::create_devices(session, spec, fleet::LocalSecrets{box, pepper}).take()) {
    keys.push_back(d.key);
    secrets[d.key] = fleet::read_credential(session, d.key, box).take().secret;
  }
  return keys;
}

void ServeTest::start(std::map<std::string, std::string> extra) {
  for (auto& [k, v] : extra) env[k] = v;
  auto copy = env;
  const core::Config config([copy](const std::string& name) -> std::optional<std::string> {
    const auto it = copy.find(name);
    if (it == copy.end() || it->second.empty()) return std::nullopt;
    return it->second;
  });
  auto created = http::Service::create(config);
  ASSERT_TRUE(created) << created.error().message;
  service = std::move(created.value());
  const auto started = service->start();
  ASSERT_TRUE(started) << started.error().message;
  ASSERT_TRUE(service->loader().wait_loaded(std::chrono::seconds(10)));
}

void ServeTest::stop() { service.reset(); }

std::string ServeTest::url(const std::string& path) const {
  return scheme + "://" + (scheme == "https" ? "localhost" : "127.0.0.1") + ":" +
         std::to_string(service->port()) + path;
}

HttpReply ServeTest::get(const std::string& path, const HttpOptions& options) const {
  return http_get(url(path), options);
}

HttpOptions ServeTest::as(const std::string& key) const {
  HttpOptions o;
  o.user = key;
  o.password = secrets.at(key);
  return o;
}

bool ServeTest::eventually(const std::function<bool()>& pred, int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return pred();
}

}  // namespace iotfleet::test_support
