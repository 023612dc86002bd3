// iot-serve's routes and refusals against the real PostgreSQL, local (Basic) devices.
#include <sys/socket.h>
#include <unistd.h>

#include "firmware/catalog.hpp"
#include "fleet/devices.hpp"
#include "integration/http/serve_fixture.hpp"
#include "test_support/esp_image.hpp"

namespace iotfleet::test_support {
namespace {

class ServeRoutes : public ServeTest {
 protected:
  void SetUp() override {
    keys = create_local_devices("env_sensor", 2, {{"interval", 60}});
    fleet::create_model(session, "bare", "No firmware", std::nullopt).take();
    bare = create_local_devices("bare", 1)[0];
    EspImageSpec spec;
    spec.version = "2.1.0";
    spec.payload_size = 200000;
    image = make_esp_image(spec);
    firmware::Catalog catalog(session, nullptr);
    firmware::UploadRequest up{"env_sensor", "app.bin", image, std::nullopt, true};
    ASSERT_TRUE(catalog.upload(up));
    start();
  }
  std::vector<std::string> keys;
  std::string bare, image;
};

TEST_F(ServeRoutes, HealthRoutesAndMetrics) {
  EXPECT_EQ(get("/health/live").status, 200);
  EXPECT_EQ(get("/health/ready").status, 200);
  get("/iot/config", as(keys[0]));
  get("/iot/config");
  const auto m = get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.header("content-type").find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(m.body.find("iot_serve_requests_total{route=\"config\",status=\"200\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("iot_serve_requests_total{route=\"config\",status=\"401\"} 1"),
            std::string::npos);
  EXPECT_NE(m.body.find("iot_serve_auth_failures_total{reason=\"missing_credentials\"} 1"),
            std::string::npos);
  EXPECT_NE(m.body.find("iot_serve_devices{rotation_state=\"OK\"} 3"), std::string::npos);
  EXPECT_NE(
      m.body.find("iot_serve_request_duration_seconds_bucket{route=\"config\",le=\"+Inf\"} 2"),
      std::string::npos);
  EXPECT_NE(m.body.find("iot_serve_database_up 1"), std::string::npos);
  EXPECT_NE(m.body.find("iot_serve_data_age_seconds "), std::string::npos);
}

TEST_F(ServeRoutes, ConfigWithEtagAndConditionalGet) {
  const auto r = get("/iot/config", as(keys[0]));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body), (nlohmann::json{{"interval", 60}}));
  EXPECT_EQ(r.header("content-type"), "application/json");
  const std::string etag = r.header("etag");
  ASSERT_EQ(etag.size(), 66u);
  EXPECT_EQ(r.header("x-rotation"), "");
  auto cond = as(keys[0]);
  cond.headers = {"If-None-Match: " + etag};
  const auto again = get("/iot/config", cond);
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  cond.headers = {"If-None-Match: \"other\""};
  EXPECT_EQ(get("/iot/config", cond).status, 200);
  auto head = as(keys[0]);
  head.method = "HEAD";
  const auto h = get("/iot/config", head);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "");
  EXPECT_EQ(h.header("content-length"), std::to_string(r.body.size()));
}

TEST_F(ServeRoutes, CredentialsAreCheckedWithoutHints) {
  const auto none = get("/iot/config");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("www-authenticate"), "Basic realm=\"iot\"");
  auto wrong = as(keys[0]);
  wrong.password = secrets[keys[1]];
  const auto bad = get("/iot/config", wrong);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body.find(keys[1]), std::string::npos);
  EXPECT_EQ(bad.body.find(keys[0]), std::string::npos);
  HttpOptions unknown;
  unknown.user = "zzzzzzzz";
  unknown.password = secrets[keys[0]];
  EXPECT_EQ(get("/iot/config", unknown).status, 401);  // an unproven key learns nothing
  HttpOptions bearer;
  bearer.bearer = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln";
  EXPECT_EQ(get("/iot/config", bearer).status, 401);  // --auth jwt is off
  ASSERT_TRUE(fleet::set_device_active(session, keys[1], false));
  EXPECT_TRUE(eventually([&] { return get("/iot/config", as(keys[1])).status == 401; }));
}

TEST_F(ServeRoutes, MethodsOtherThanGetAndHeadAre405) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    auto o = as(keys[0]);
    o.method = method;
    const auto r = get("/iot/config", o);
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.header("allow"), "GET, HEAD");
  }
}

TEST_F(ServeRoutes, NotificationsRefreshTheSnapshot) {
  ASSERT_TRUE(fleet::set_device_config(session, keys[0], {{"interval", 5}}));
  EXPECT_TRUE(eventually([&] {
    const auto r = get("/iot/config", as(keys[0]));
    return r.status == 200 && nlohmann::json::parse(r.body) == nlohmann::json{{"interval", 5}};
  }));
  const auto fresh = create_local_devices("env_sensor", 1)[0];  // created after the start
  EXPECT_TRUE(eventually([&] { return get("/iot/config", as(fresh)).status == 200; }));
  EXPECT_EQ(service->loader().full_loads(), 1u);  // by notification, not by reloading all
  // Many devices in one statement: one notification, one reload.
  create_local_devices("env_sensor", 250);
  EXPECT_TRUE(eventually([&] { return service->snapshot().device_count() == 254; }));
}

TEST_F(ServeRoutes, FirmwareWholeRangesAndMetadata) {
  const auto r = get("/iot/firmware", as(keys[0]));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, image);
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  EXPECT_EQ(r.header("x-firmware-version"), "2.1.0");
  EXPECT_EQ(r.header("accept-ranges"), "bytes");
  const std::string etag = r.header("etag");
  const auto meta = get("/iot/firmware-version", as(keys[0]));
  ASSERT_EQ(meta.status, 200);
  const auto j = nlohmann::json::parse(meta.body);
  EXPECT_EQ(j["version"], "2.1.0");
  EXPECT_EQ(j["size"], image.size());
  EXPECT_EQ("\"" + j["sha256"].get<std::string>() + "\"", etag);

  auto range = as(keys[0]);
  range.headers = {"Range: bytes=100-199"};
  const auto part = get("/iot/firmware", range);
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, image.substr(100, 100));
  EXPECT_EQ(part.header("content-range"), "bytes 100-199/" + std::to_string(image.size()));
  range.headers = {"Range: bytes=" + std::to_string(image.size() - 10) + "-"};
  EXPECT_EQ(get("/iot/firmware", range).body, image.substr(image.size() - 10));
  range.headers = {"Range: bytes=-5"};
  EXPECT_EQ(get("/iot/firmware", range).body, image.substr(image.size() - 5));
  range.headers = {"Range: bytes=" + std::to_string(image.size()) + "-"};
  const auto beyond = get("/iot/firmware", range);
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(beyond.header("content-range"), "bytes */" + std::to_string(image.size()));
  range.headers = {"Range: bytes=0-1", "If-Range: \"stale\""};
  EXPECT_EQ(get("/iot/firmware", range).status, 200);  // a changed image restarts
  range.headers = {"Range: bytes=0-1,5-6"};
  EXPECT_EQ(get("/iot/firmware", range).status, 200);
  range.headers = {"If-None-Match: " + etag};
  EXPECT_EQ(get("/iot/firmware", range).status, 304);
  auto head = as(keys[0]);
  head.method = "HEAD";
  const auto h = get("/iot/firmware", head);
  EXPECT_EQ(h.header("content-length"), std::to_string(image.size()));
  EXPECT_EQ(h.body, "");

  EXPECT_EQ(get("/iot/firmware", as(bare)).status, 404);
  EXPECT_EQ(get("/iot/firmware-version", as(bare)).status, 404);
  EXPECT_EQ(get("/iot/firmware").status, 401);
}

TEST_F(ServeRoutes, PinningChangesTheServedImage) {
  EspImageSpec spec;
  spec.version = "2.2.0";
  spec.payload_seed = 9;
  const auto newer = make_esp_image(spec);
  firmware::Catalog catalog(session, nullptr);
  ASSERT_TRUE(catalog.upload({"env_sensor", "new.bin", newer, std::nullopt, true}));
  EXPECT_TRUE(eventually([&] { return get("/iot/firmware", as(keys[0])).body == newer; }));
  ASSERT_TRUE(catalog.pin("env_sensor", "2.1.0"));
  EXPECT_TRUE(eventually(
      [&] { return get("/iot/firmware", as(keys[0])).header("x-firmware-version") == "2.1.0"; }));
}

TEST_F(ServeRoutes, CaCertificateIsNotFoundWhenNotConfigured) {
  EXPECT_EQ(get("/ca.crt").status, 404);
}

TEST_F(ServeRoutes, PathTricksAreRefused) {
  EXPECT_EQ(get("/iot/../ca.crt").status, 400);
  EXPECT_EQ(get("/iot/%2e%2e/health/live").status, 400);
  EXPECT_EQ(get("/iot%2fconfig", as(keys[0])).status, 400);
  EXPECT_EQ(get("/iot/config%00", as(keys[0])).status, 400);
  EXPECT_EQ(get("/iot/config%zz", as(keys[0])).status, 400);
  EXPECT_EQ(get("/iot//config", as(keys[0])).status, 400);
  EXPECT_EQ(get("/iot/./config", as(keys[0])).status, 400);
  EXPECT_EQ(get("/iot/config/", as(keys[0])).status, 404);
  EXPECT_EQ(get("/etc/passwd").status, 404);
  EXPECT_EQ(get("/iot/%63onfig", as(keys[0])).status, 200);  // an encoded letter is that letter
  EXPECT_EQ(get("/iot/config?x=../../etc", as(keys[0])).status, 200);  // queries are ignored
  EXPECT_EQ(get("/" + std::string(3000, 'a')).status, 414);
  const auto abs =
      raw_exchange(service->port(), "GET http://x/iot/config HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(abs.rfind("HTTP/1.1 400", 0), 0u) << abs;
}

TEST_F(ServeRoutes, OversizedAndMalformedRequestsGetTheirStatus) {
  const std::string line = "GET /" + std::string(1 << 20, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto long_line = raw_exchange(service->port(), line);
  EXPECT_EQ(long_line.rfind("HTTP/1.1 414", 0), 0u) << long_line.substr(0, 100);
  const std::string header =
      "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n";
  const auto big = raw_exchange(service->port(), header);
  EXPECT_EQ(big.rfind("HTTP/1.1 431", 0), 0u) << big.substr(0, 100);
  const auto body = raw_exchange(
      service->port(), "GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(body.rfind("HTTP/1.1 413", 0), 0u) << body;
  const auto garbage = raw_exchange(service->port(), "HELLO\x01 WORLD\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
  const auto bad_version = raw_exchange(service->port(), "GET / HTTP/9.9\r\n\r\n");
  EXPECT_EQ(bad_version.rfind("HTTP/1.1 400", 0), 0u) << bad_version;
  EXPECT_EQ(get("/health/live").status, 200);  // and the server is still there
}

TEST_F(ServeRoutes, KeepAliveServesSeveralRequestsOnOneConnection) {
  const auto two =
      raw_exchange(service->port(),
                   "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                   "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(std::count(two.begin(), two.end(), '\n') > 6, true);
  EXPECT_NE(two.find("HTTP/1.1 200"), two.rfind("HTTP/1.1 200")) << two;
}

TEST_F(ServeRoutes, SlowAndIdleClientsAreCutAndManyIdleConnectionsAreHeld) {
  stop();
  start({{"IOT_SERVE_READ_TIMEOUT_SECONDS", "1"}, {"IOT_SERVE_IDLE_TIMEOUT_SECONDS", "2"}});
  // Slowloris: a request started and never finished is closed after the read time-out.
  const int slow = connect_to(service->port());
  ASSERT_GE(slow, 0);
  ASSERT_GT(::send(slow, "GET /health/live HTTP/1.1\r\nHo", 29, 0), 0);
  const auto t0 = std::chrono::steady_clock::now();
  char c;
  EXPECT_LE(::recv(slow, &c, 1, 0), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  ::close(slow);
  // A thousand idle connections are held and the server still answers.
  std::vector<int> idle;
  for (int i = 0; i < 1000; ++i) {
    const int fd = connect_to(service->port());
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  EXPECT_TRUE(eventually([&] {
    return get("/metrics").body.find("iot_serve_open_connections 100") != std::string::npos;
  }));
  EXPECT_EQ(get("/iot/config", as(keys[0])).status, 200);
  // ... until the idle time-out closes them.
  EXPECT_TRUE(eventually(
      [&] {
        return service->snapshot().device_count() &&
               get("/metrics").body.find("iot_serve_open_connections 1\n") != std::string::npos;
      },
      6000));
  for (const int fd : idle) ::close(fd);
}

TEST_F(ServeRoutes, ConnectionsBeyondTheLimitAreClosed) {
  stop();
  start({{"IOT_SERVE_MAX_CONNECTIONS", "3"}});
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) held.push_back(connect_to(service->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto r = get("/health/live");
  EXPECT_NE(r.status, 200);
  for (const int fd : held) ::close(fd);
  EXPECT_TRUE(eventually([&] { return get("/health/live").status == 200; }));
}

}  // namespace
}  // namespace iotfleet::test_support
