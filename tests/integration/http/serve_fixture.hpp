#pragma once
// iot-serve in-process against a fresh database per test: local devices with their secrets, an
// HTTP client (libcurl) and raw sockets for what a well-behaved client never sends.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/secret_box.hpp"
#include "fleet/models.hpp"
#include "http/service.hpp"
#include "idp/local.hpp"
#include "test_support/database.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::test_support {

struct HttpReply {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpOptions {
  std::vector<std::string> headers;
  std::string method = "GET";
  std::string user, password;  // HTTP Basic
  std::string bearer;
  // TLS
  std::string ca_file, client_cert, client_key;
};

/// One request with libcurl to http(s)://127.0.0.1:port/path (or localhost for TLS).
HttpReply http_get(const std::string& url, const HttpOptions& options = {});
/// Sends raw bytes on a new connection and returns what comes back until the peer closes
/// (or `timeout_ms` passes).
std::string raw_exchange(unsigned short port, const std::string& bytes, int timeout_ms = 5000);
/// A connected TCP socket to 127.0.0.1:port (-1 on failure).
int connect_to(unsigned short port);

/// Creates the role iot_serve as an administrator (what scripts/serve-db-role.sh does) and
/// grants it in this database.
void ensure_serve_role(TestDatabase& db);

class ServeTest : public ::testing::Test {
 protected:
  ServeTest();
  ~ServeTest() override;

  /// Starts the service with these settings on top of the defaults (port 0, this database).
  void start(std::map<std::string, std::string> extra = {});
  void stop();
  std::string url(const std::string& path) const;
  HttpReply get(const std::string& path, const HttpOptions& options = {}) const;
  /// Basic credentials of a local device created by the fixture.
  HttpOptions as(const std::string& key) const;
  std::vector<std::string> create_local_devices(
      const std::string& model, int count, const nlohmann::json& config = nlohmann::json::object());
  /// Waits until pred() or the time-out; returns pred().
  static bool eventually(const std::function<bool()>& pred, int timeout_ms = 5000);

  TestDatabase db;
  TempDir dir;
  std::string keyring = core::SecretBox::generate_keyring_entry("k1");
  core::SecretBox box = core::SecretBox::from_keyring(keyring).take();
  std::string pepper_text = "cGVwcGVyLXBlcHBlci1wZXBwZXItcGVwcGVyLXBlcHBlcg==";
  idp::Pepper pepper = idp::Pepper::parse(pepper_text).take();
  fleet::Session session{db.conn(), "test"};
  std::map<std::string, std::string> secrets;  // device key → secret
  std::map<std::string, std::string> env;
  std::unique_ptr<http::Service> service;
  std::string scheme = "http";
};

}  // namespace iotfleet::test_support
