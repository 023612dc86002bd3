#pragma once
// In-memory doubles of the device core's ports: a scripted server answering like iot-serve and
// the Keycloak token endpoint (lib/http/handlers.cpp, tests/support/keycloak_standin.py), NVS as
// a map, a manual clock, a broker with a message queue, fixed randomness, OpenSSL's SHA-256.

#include <openssl/evp.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "iot_device/device.hpp"

namespace device_core_test {

using namespace iot_device;

class FakeClock final : public Clock {
 public:
  std::uint64_t monotonic_ms() override { return now; }
  std::uint64_t now = 1'000'000;
};

class FakeRandom final : public Random {
 public:
  std::uint32_t next_u32() override { return value; }
  std::uint32_t value = 0x80000000u;  // half of each back-off ceiling
};

class FakeStorage final : public Storage {
 public:
  int read(std::string_view ns, std::string_view key, char* out, std::size_t cap) override;
  bool write(std::string_view ns, std::string_view key, std::string_view value) override;
  bool erase(std::string_view ns, std::string_view key) override;

  std::optional<std::string> get(const std::string& ns, const std::string& key) const;
  void set(const std::string& ns, const std::string& key, const std::string& value) {
    values[ns + "/" + key] = value;
  }
  std::map<std::string, std::string> values;  // "ns/key" → value
  bool fail_writes = false;
  int writes = 0;
};

class OpenSslSha256 final : public Sha256 {
 public:
  OpenSslSha256() : ctx_(EVP_MD_CTX_new()) {}
  ~OpenSslSha256() { EVP_MD_CTX_free(ctx_); }
  void begin() override { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  void update(const std::uint8_t* data, std::size_t n) override { EVP_DigestUpdate(ctx_, data, n); }
  void finish(std::uint8_t out[32]) override { EVP_DigestFinal_ex(ctx_, out, nullptr); }

 private:
  EVP_MD_CTX* ctx_;
};

std::string sha256_hex(const std::vector<std::uint8_t>& data);

class FakeSlot final : public FirmwareSlot {
 public:
  bool begin(std::uint32_t total_size) override;
  bool write(std::uint32_t offset, const std::uint8_t* data, std::size_t n) override;
  bool finish() override {
    finished = true;
    return true;
  }
  void abort() override { ++aborts; }
  void restart(std::string_view new_version) override { restarts.emplace_back(new_version); }

  std::vector<std::uint8_t> image;
  int begins = 0;
  int aborts = 0;
  bool finished = false;
  std::vector<std::string> restarts;
};

class FakeMqtt final : public Mqtt {
 public:
  NetResult connect(const Options& options) override;
  bool connected() override { return connected_; }
  NetResult subscribe(std::string_view topic_filter) override;
  void poll(MqttListener& listener) override;
  void disconnect() override { connected_ = false; }

  /// QoS 1; retained messages are also kept for later subscribers (an empty one clears).
  void publish(const std::string& topic, const std::string& payload, bool retain);
  void drop_connection() { connected_ = false; }

  bool reachable = true;
  std::vector<std::string> client_ids;  // options.client_id of each connect()
  std::vector<std::string> usernames;
  std::vector<std::string> passwords;
  std::vector<std::string> subscriptions;
  std::map<std::string, std::string> retained;

 private:
  bool connected_ = false;
  std::deque<std::pair<std::string, std::string>> queue_;
};

/// One request as the server saw it.
struct Seen {
  std::string path;  // "/iot/config", … or "token"
  std::string authorization;
  std::string if_none_match;
  std::string if_range;
  std::string body;
  std::uint32_t range_from = 0;
  std::uint64_t at_ms = 0;
};

/// A failure injected into the next request to `path`.
struct Fault {
  std::string path;
  NetResult net = NetResult::ok;  // != ok: fail before the server sees the request
  int status = 0;                 // != 0: answer with this status instead
  std::uint32_t retry_after_s = 0;
  bool lose_response = false;  // the server does the work, the answer is lost
  std::size_t cut_after = 0;   // > 0: the connection drops after this many body bytes
  bool ignore_range = false;   // answer 200 with the whole image to a Range request
  std::string body;            // with status

  static Fault network(std::string path, NetResult net) {
    Fault f;
    f.path = std::move(path);
    f.net = net;
    return f;
  }
  static Fault answer(std::string path, int status, std::uint32_t retry_after_s = 0) {
    Fault f;
    f.path = std::move(path);
    f.status = status;
    f.retry_after_s = retry_after_s;
    return f;
  }
};

class FakeCloud final : public Http {
 public:
  FakeCloud(FakeClock& clock, FakeMqtt& mqtt) : clock_(clock), mqtt_(mqtt) {}
  NetResult perform(const HttpRequest& request, HttpResponse& response, BodySink& body) override;

  /// The start of a rotation (iot-rotate run): a new credential, the retained notice.
  void start_rotation();
  /// iot-rotate's time-out: the previous credential is put back; the attempt ends.
  void time_out_rotation();
  bool secret_accepted(const std::string& secret) const;
  /// Every token issued so far stops working (new ones are fine).
  void revoke_tokens() { tokens_.clear(); }
  void upload_firmware(const std::string& version, std::vector<std::uint8_t> image);
  int count(const std::string& path) const;

  std::string base_url = "https://iot.example.test";
  std::string token_url;  // empty: a local identity (Basic)
  std::string device_key = "k3x9a2b1";
  std::string client_id = "iotdevice-m1-k3x9a2b1";
  std::string current = "old-secret";  // what Basic and the token endpoint accept
  std::string previous;                // kept while a rotation is installed
  std::string pending;
  bool rotation_pending = false;
  bool installed = false;
  int rotations_completed = 0;
  std::string config_etag = "\"cfg-1\"";
  std::string config_body = R"({"interval_s":60,"led":"on"})";
  std::uint32_t token_lifetime_s = 300;
  bool tokens_revoked = false;
  std::vector<std::uint8_t> firmware;
  std::string firmware_version;
  std::string firmware_sha;                  // what /iot/firmware-version claims
  std::optional<std::size_t> firmware_size;  // the size it claims, when not the image's
  /// Like a libcurl adapter: the status of a firmware download is known only after the body.
  bool late_status = false;
  std::deque<Fault> faults;
  std::vector<Seen> seen;

 private:
  std::optional<std::string> caller_secret(const std::string& authorization) const;
  NetResult api(const std::string& path, const HttpRequest& request, HttpResponse& response,
                BodySink& body, const Fault* fault);
  NetResult token(const HttpRequest& request, HttpResponse& response, BodySink& body);

  FakeClock& clock_;
  FakeMqtt& mqtt_;
  int secrets_issued_ = 0;
  int tokens_issued_ = 0;
  std::map<std::string, std::string> tokens_;  // token → the secret it was minted with
};

/// Everything a Device needs, wired together; `device` is created by start().
struct Rig {
  explicit Rig(bool keycloak = false);
  /// Writes the provisioning package into storage as iot-provision's NVS image would.
  void provision();
  /// A new Device over the same storage (a reboot); begin()'s result.
  bool start();
  /// Steps until the clock reaches now + ms, advancing it by what step() returns.
  void run_for(std::uint64_t ms);
  /// Steps (advancing the clock) until pred() holds; false after max_steps.
  template <typename Pred>
  bool run_until(Pred pred, int max_steps = 200) {
    for (int i = 0; i < max_steps; ++i) {
      if (pred()) return true;
      clock.now += device->step();
    }
    return pred();
  }

  FakeClock clock;
  FakeRandom random;
  FakeStorage storage;
  OpenSslSha256 sha;
  FakeSlot slot;
  FakeMqtt mqtt;
  FakeCloud cloud{clock, mqtt};
  Ports ports{cloud, mqtt, storage, clock, random, sha, slot};
  Tunables tunables;
  std::unique_ptr<Device> device;
};

}  // namespace device_core_test
