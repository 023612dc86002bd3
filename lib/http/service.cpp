#include "http/service.hpp"

#include <csignal>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "auth/oidc.hpp"
#include "core/log.hpp"
#include "http/throttle_hook.hpp"
#include "idp/keycloak.hpp"
#include "mqtt/settings.hpp"
#include "store/database.hpp"

namespace iotfleet::http {
namespace {

// MqttNotifier keeps one connection and is not thread-safe; handlers run on several threads.
class LockedNotifier final : public rotation::Notifier {
 public:
  explicit LockedNotifier(std::unique_ptr<rotation::Notifier> inner) : inner_(std::move(inner)) {}
  core::Status announce(const std::string& c, const std::string& k, const std::string& t) override {
    std::lock_guard lock(mutex_);
    return inner_->announce(c, k, t);
  }
  core::Status clear(const std::string& client_id) override {
    std::lock_guard lock(mutex_);
    return inner_->clear(client_id);
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<rotation::Notifier> inner_;
};

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw core::Failure(core::Error::usage(std::string("cannot read ") + what + " '" + path + "'"));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

struct Service::Parts {
  core::Config config;
  std::string database_url;
  std::optional<core::SecretBox> box;
  std::optional<idp::Pepper> pepper;
  std::unique_ptr<auth::JwksCache> jwks;
  std::unique_ptr<auth::TokenVerifier> verifier;
  std::unique_ptr<SnapshotDirectory> directory;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<idp::KeycloakProvider> keycloak;
  std::unique_ptr<rotation::IdentityInstaller> installer;
  std::unique_ptr<rotation::Notifier> notifier;
  std::unique_ptr<fleet::BrokerIdentityKeeper> broker_identities;
  std::unique_ptr<RotationDatabase> rotation_db;
  std::unique_ptr<auth::Throttle> throttle;
  auth::TrustedProxies proxies;
  std::unique_ptr<ThrottleHook> hook;
};

core::Result<std::unique_ptr<Service>> Service::create(const core::Config& config) {
  return core::capture([&]() -> std::unique_ptr<Service> {
    std::unique_ptr<Service> svc(new Service());
    svc->settings_ = ServeSettings::load(config).take();
    const auto& s = svc->settings_;
    svc->parts_ =
        std::make_unique<Parts>(Parts{config, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}});
    auto& p = *svc->parts_;
    p.database_url = config.require(store::kDatabaseUrl).take();
    p.box = idp::load_secret_box(config).take();
    if ((s.auth_modes & kAuthSecret) || config.get(idp::kSecretPepper))
      p.pepper = idp::load_pepper(config).take();
    if (s.auth_modes & kAuthJwt) {
      auto vs = auth::VerifierSettings::load(config).take();
      p.jwks = auth::make_jwks_cache(vs, config);
      p.verifier = std::make_unique<auth::TokenVerifier>(vs, *p.jwks);
    }
    p.directory = std::make_unique<SnapshotDirectory>(svc->snapshot_);
    p.authenticator = std::make_unique<auth::Authenticator>(
        p.verifier.get(), (s.auth_modes & kAuthSecret) ? &*p.pepper : nullptr, *p.directory);
    p.installer = std::make_unique<rotation::IdentityInstaller>(
        *p.box, p.pepper ? &*p.pepper : nullptr, [parts = &p]() -> idp::IdentityProvider& {
          if (!parts->keycloak)
            parts->keycloak = std::make_unique<idp::KeycloakProvider>(
                idp::KeycloakSettings::load(parts->config).take());
          return *parts->keycloak;
        });
    if (config.get(mqtt::kMqttUrl))
      p.notifier = std::make_unique<LockedNotifier>(std::make_unique<rotation::MqttNotifier>(
          mqtt::load_settings(config, {}, "iot-serve").take()));
    else
      p.notifier = std::make_unique<rotation::NoNotifier>();
    const auto identities = config.get(fleet::kMqttIdentities).value_or("none");
    if (identities == "dynsec") {
      auto admin = mqtt::load_settings(config, {}, "iot-serve").take();
      admin.client_id += "-dynsec";  // beside the notifier's connection, not in its place
      p.broker_identities =
          std::make_unique<fleet::BrokerIdentityKeeper>(std::move(admin), std::chrono::seconds(10));
    }
    else if (identities != "none")
      throw core::Failure(core::Error::usage("MQTT_IDENTITIES is '" + identities + "'",
                                             "use dynsec or none"));
    p.rotation_db = std::make_unique<RotationDatabase>(p.database_url, s.db_role);

    HandlerContext ctx;
    ctx.snapshot = &svc->snapshot_;
    ctx.metrics = &svc->metrics_;
    ctx.authenticator = p.authenticator.get();
    ctx.cert_auth = s.auth_modes & kAuthCert;
    ctx.jwt_auth = s.auth_modes & kAuthJwt;
    ctx.secret_auth = s.auth_modes & kAuthSecret;
    ctx.box = &*p.box;
    ctx.installer = p.installer.get();
    ctx.notifier = p.notifier.get();
    ctx.broker_identities = p.broker_identities.get();
    ctx.rotation_db = p.rotation_db.get();
    ctx.clock_skew = std::chrono::seconds(p.verifier ? p.verifier->settings().clock_skew : 30);
    ctx.package_defaults.base_url = config.get(provision::kBaseUrl).value_or("");
    ctx.package_defaults.mqtt_url = config.get(provision::kDeviceMqttUrl).value_or("");
    ctx.package_defaults.token_url = config.get(provision::kTokenUrl).value_or("");
    ctx.package_defaults.wifi_ssid = config.get(provision::kWifiSsid).value_or("");
    ctx.package_defaults.wifi_password = config.get(provision::kWifiPassword).value_or("");
    if (!s.device_ca_cert.empty())
      ctx.device_ca_pem =
          read_text_file(s.device_ca_cert, "the device CA certificate (--device-ca-cert)");
    p.throttle = std::make_unique<auth::Throttle>(s.throttle, core::system_clock());
    for (const auto& proxy : s.trusted_proxies) p.proxies.add(proxy, nullptr);
    p.hook = std::make_unique<ThrottleHook>(*p.throttle, p.proxies);
    ctx.hook = p.hook.get();
    ctx.draining = &svc->draining_;
    Service* self = svc.get();
    ctx.ready = [self] { return self->loader_ && self->loader_->ready(); };
    ctx.gauges = [self] {
      Gauges g;
      g.devices_by_state = self->snapshot_.devices_by_state();
      g.devices = static_cast<std::int64_t>(self->snapshot_.device_count());
      g.firmware_images = static_cast<std::int64_t>(self->snapshot_.image_count());
      g.data_age_seconds = self->loader_ ? self->loader_->data_age_seconds() : 0;
      g.database_up = self->loader_ && self->loader_->database_up();
      g.ready = !self->draining_ && self->loader_ && self->loader_->ready();
      g.open_connections = self->server_ ? self->server_->open_connections() : 0;
      g.throttled_address = self->parts_->hook->refused(auth::ThrottleScope::address);
      g.throttled_device = self->parts_->hook->refused(auth::ThrottleScope::device);
      g.throttle_tracked = static_cast<std::int64_t>(self->parts_->throttle->tracked());
      return g;
    };
    svc->handlers_ = std::make_unique<Handlers>(std::move(ctx));
    svc->loader_ = std::make_unique<Loader>(
        LoaderSettings{p.database_url, s.db_role, s.reload_interval, s.db_grace}, svc->snapshot_);
    svc->server_ = std::make_unique<Server>(svc->settings_, *svc->handlers_, svc->metrics_);
    return svc;
  });
}

Service::~Service() {
  if (server_) server_->stop(std::chrono::seconds(1));
  if (loader_) loader_->stop();
}

core::Status Service::start() {
  // A wrong role or schema is a mistake to report now; an unreachable database is not.
  if (auto conn = connect_serving(parts_->database_url, settings_.db_role);
      !conn && conn.error().kind != core::ErrorKind::unavailable)
    return conn.error();
  loader_->start();
  if (auto status = server_->start(); !status) return status;
  core::log::info("listening", {{"address", settings_.host},
                                {"port", server_->port()},
                                {"tls", settings_.tls()},
                                {"threads", settings_.threads}});
  return core::ok_status();
}

unsigned short Service::port() const { return server_->port(); }

void Service::shutdown() {
  draining_ = true;  // readiness fails first, so the load balancer stops sending
  server_->draining() = true;
  core::log::info("shutting down", {{"drain_seconds", settings_.drain_delay.count()}});
  std::this_thread::sleep_for(settings_.drain_delay);
  server_->stop(settings_.shutdown_timeout);
  loader_->stop();
}

int Service::run_until_signal(const core::Config& config) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // Blocked before any thread starts, so every thread inherits the mask and sigwait gets them.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  auto svc = create(config).take();
  core::check(svc->start());
  int received = 0;
  sigwait(&signals, &received);
  core::log::info("signal received", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  svc->shutdown();
  return 0;
}

}  // namespace iotfleet::http
