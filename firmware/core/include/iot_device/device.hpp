#pragma once
// One ESP32 device's client: provisioning package → credential → config polling → firmware
// updates → the device side of specs/rotation.md. Cooperative: the caller runs step() when the
// previous call said to, from one task; step() does at most one network exchange and returns.
// (Public API agreed with lib/devsim; the implementation may add to it but not change it.)

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "iot_device/backoff.hpp"
#include "iot_device/fixed_string.hpp"
#include "iot_device/ports.hpp"

namespace iot_device {

struct Tunables {
  std::uint32_t config_poll_ms = 60'000;      // /iot/config with If-None-Match
  std::uint32_t firmware_check_ms = 300'000;  // /iot/firmware-version
  std::uint32_t backoff_base_ms = 1'000;      // reconnect back-off: base·2^n, capped, full jitter
  std::uint32_t backoff_cap_ms = 300'000;
  std::uint32_t download_chunk = 64 * 1024;   // bytes per Range request
  std::uint32_t token_refresh_margin_s = 30;  // refresh a bearer token this long before expiry
  std::uint32_t mqtt_poll_ms = 1'000;         // how often step() looks at queued MQTT messages
};

/// Errors counted by kind (iot-devsim reports them by these names; see error_kind_name()).
enum class ErrorKind : std::uint8_t {
  network,             // unreachable, time-out, TLS
  unauthorized,        // 401/403 with every credential the device holds
  throttled,           // 429
  server,              // 5xx
  bad_response,        // unparseable body, missing field, unexpected status
  storage,             // NVS read/write failed
  firmware_integrity,  // size or SHA-256 mismatch after download
  count_
};
const char* error_kind_name(ErrorKind kind);

struct Stats {
  std::uint32_t configs_fetched = 0;    // 200 from /iot/config
  std::uint32_t configs_unchanged = 0;  // 304
  std::uint32_t tokens_fetched = 0;
  std::uint32_t rotations_started = 0;    // /iot/provisioning answered with a new credential
  std::uint32_t rotations_completed = 0;  // the new credential proven and kept
  std::uint32_t rotation_fallbacks = 0;   // the new credential refused: back to the old one
  std::uint32_t updates_applied = 0;      // images verified and booted
  std::uint32_t notices_received = 0;     // rotation notices over MQTT
  std::uint32_t errors[static_cast<int>(ErrorKind::count_)] = {};
};

class Device {
 public:
  Device(const Ports& ports, const Tunables& tunables);
  Device(const Device&) = delete;  // holds references into itself (the MQTT listener)
  Device& operator=(const Device&) = delete;

  /// Reads the package (namespace "prov") and the core's state ("state") from storage.
  /// False when a required field is missing: the device cannot join the fleet.
  bool begin();

  /// Does the work that is due; returns the milliseconds until it should be called again.
  std::uint32_t step();

  /// The running firmware version ("" before the first update, unless set by the caller).
  std::string_view firmware_version() const;
  const Stats& stats() const;
  /// True while a rotation is in progress on the device (new credential held, not yet proven;
  /// also while /iot/provisioning is being asked for it).
  bool rotating() const;
  /// The credential the device currently authenticates with (for tests and the simulator).
  std::string_view current_secret() const;

  /// The last configuration body received (empty until then, or when it exceeded the buffer).
  std::string_view config_body() const;
  /// The entity tag of that configuration, sent back as If-None-Match.
  std::string_view config_etag() const;

 private:
  // Sizes of what the core keeps. A Keycloak access token is a JWS of 1-2 KiB.
  static constexpr std::size_t kUrlMax = 192;
  static constexpr std::size_t kIdMax = 96;
  static constexpr std::size_t kSecretMax = 128;
  static constexpr std::size_t kTokenMax = 2048;
  static constexpr std::size_t kBodyMax = 4096;
  static constexpr std::size_t kConfigMax = 2048;

  enum class RotationPhase : std::uint8_t {
    idle,
    fetch,  // GET /iot/provisioning is due
    prove,  // the new credential is stored; GET /iot/config with it is due
  };
  /// How an authenticated exchange ended, for the task that asked for it.
  enum class Outcome : std::uint8_t {
    answered,  // an HTTP status the task handles (not 401/403, not 429/5xx)
    deferred,  // no request made: a token had to be fetched first; call again
    failed,    // network or server trouble: counted, back-off scheduled
    refused,   // the credential was refused (handled: switched or counted)
  };
  /// Hands MQTT messages from Mqtt::poll() to the device (no virtual functions in Device).
  class Notices final : public MqttListener {
   public:
    explicit Notices(Device& device) : device_(device) {}
    void on_message(std::string_view topic, std::string_view payload) override;

   private:
    Device& device_;
  };

  friend class FirmwareSink;
  struct Download {
    bool active = false;
    FixedString<40> version;
    FixedString<64> sha256;    // hex, as /iot/firmware-version sent it
    FixedString<66> if_range;  // the image's entity tag: the hex digest in quotes
    std::uint32_t size = 0;
    std::uint32_t offset = 0;  // bytes written to the slot and hashed so far
    bool whole = false;        // the server ignored a Range once: fetch the rest in one go
  };

  // device.cpp: scheduling, MQTT, configuration.
  bool load_string(std::string_view ns, std::string_view key, char* out, std::size_t cap,
                   std::size_t& length, bool required);
  void count(ErrorKind kind);
  void poll_mqtt(std::uint64_t now);
  bool connect_mqtt(std::uint64_t now);
  void request_rotation();
  void poll_config(std::uint64_t now);
  std::uint32_t delay_until_next(std::uint64_t now) const;

  // credentials.cpp: authorization headers, tokens, refusals, the HTTP gate.
  bool token_valid(std::uint64_t now) const;
  Outcome fetch_token(std::uint64_t now);
  Outcome authed(HttpRequest& request, HttpResponse& response, BodySink& body, std::uint64_t now);
  bool build_authorization();
  /// False when the exchange failed below HTTP, or with 429/5xx: counted, back-off set.
  bool check_transport(NetResult result, const HttpResponse& response, std::uint64_t now);
  void succeeded();
  void credential_refused(std::uint64_t now);
  void credential_accepted();
  void use_new_secret(bool use);
  bool url(std::string_view path);

  // rotation.cpp
  void fetch_provisioning(std::uint64_t now);
  bool commit_rotation();

  // firmware.cpp
  void check_firmware(std::uint64_t now);
  void download_chunk(std::uint64_t now);
  void finish_download();
  void restart_download();

  Ports ports_;
  Tunables tunables_;
  Stats stats_;

  FixedString<kIdMax> device_key_;
  FixedString<kIdMax> client_id_;
  FixedString<kUrlMax> token_url_;
  FixedString<kUrlMax> base_url_;
  FixedString<kUrlMax> mqtt_url_;
  FixedString<kSecretMax> old_secret_;  // prov/client_secret: the committed credential
  FixedString<kSecretMax> new_secret_;  // state/new_secret: held while a rotation is proven
  bool using_new_ = false;              // authenticate with new_secret_ rather than old_secret_
  bool new_refused_ = false;            // new_secret_ was refused; erased once the old one works
  std::uint8_t refusals_ = 0;           // credentials refused since the last accepted one
  bool commit_pending_ = false;         // the new credential is proven, storage not yet updated

  FixedString<kTokenMax> token_;
  std::uint64_t token_expires_ms_ = 0;
  bool token_fresh_ = false;  // fetched after the last request that used a token

  RotationPhase rotation_ = RotationPhase::idle;
  bool rotation_requested_ = false;  // by a notice or X-Rotation; starts when rotation_not_before_
  Backoff rotation_backoff_;         // after a fallback, so a refused credential is not looped on
  std::uint64_t rotation_not_before_ = 0;

  FixedString<kSecretMax + kIdMax + 24> basic_;  // scratch for "key:secret" before base64
  char authorization_[kTokenMax + 16] = {};
  char url_[kUrlMax + 32] = {};
  char form_[3 * (kIdMax + kSecretMax) + 64] = {};
  bool body_stopped_ = false;  // the sink ended the transfer on purpose (not a network failure)
  char body_[kBodyMax] = {};
  FixedString<kConfigMax> config_;
  FixedString<80> config_etag_;
  FixedString<40> running_version_;
  Download download_;

  Backoff http_backoff_;
  Backoff mqtt_backoff_;
  std::uint64_t http_not_before_ = 0;
  std::uint64_t next_config_ = 0;
  std::uint64_t next_firmware_check_ = 0;
  std::uint64_t next_mqtt_connect_ = 0;
  std::uint64_t next_mqtt_poll_ = 0;
  Notices notices_{*this};
  FixedString<kIdMax + 24> topic_;
  bool mqtt_up_ = false;
  bool begun_ = false;
};

}  // namespace iot_device
