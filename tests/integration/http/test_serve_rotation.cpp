// The device's side of a rotation through iot-serve, the database outage, the restricted role,
// and the real binary's start-up and SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "idp/provider.hpp"
#include "integration/http/serve_fixture.hpp"
#include "store/database.hpp"
#include "store/rotation.hpp"
#include "test_support/process.hpp"

namespace iotfleet::test_support {
namespace {

class ServeRotation : public ServeTest {
 protected:
  void SetUp() override {
    key = create_local_devices("env_sensor", 1, {{"interval", 60}})[0];
    other = create_local_devices("env_sensor", 1)[0];
  }
  // What iot-rotate's start step does: a new credential sealed into pending_secret, PENDING.
  std::string begin_rotation(const std::string& device) {
    const std::string secret = idp::generate_secret();
    pqxx::work tx(db.conn());
    store::RotationRepository repo(tx);
    const auto row = repo.lock(device);
    repo.start(row->id, box.seal(secret, idp::device_secret_context(device)),
               core::utc_now_iso(true));
    tx.commit();
    return secret;
  }
  std::string key, other;
};

TEST_F(ServeRotation, APendingRotationIsIssuedOnceAndCompletedByTheNewSecret) {
  start();
  EXPECT_EQ(get("/iot/provisioning", as(key)).status, 409);  // nothing pending
  const std::string fresh = begin_rotation(key);
  ASSERT_TRUE(
      eventually([&] { return get("/iot/config", as(key)).header("x-rotation") == "pending"; }));
  EXPECT_EQ(get("/iot/config", as(other)).header("x-rotation"), "");

  const auto issued = get("/iot/provisioning", as(key));
  ASSERT_EQ(issued.status, 200) << issued.body;
  EXPECT_EQ(issued.header("cache-control"), "no-store");
  const auto package = nlohmann::json::parse(issued.body);
  EXPECT_EQ(package["device_key"], key);
  EXPECT_EQ(package["client_secret"], fresh);
  EXPECT_EQ(package["base_url"], "http://serve.example");
  EXPECT_EQ(package["mqtt_url"], "mqtt://broker.example:1883");
  EXPECT_FALSE(
      db.scalar("SELECT rotation_installed_at FROM devices WHERE key = '" + key + "'").empty());

  // The local identity now accepts the new secret (at once: the snapshot was updated).
  HttpOptions with_new;
  with_new.user = key;
  with_new.password = fresh;
  const auto again = get("/iot/provisioning", with_new);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(nlohmann::json::parse(again.body)["client_secret"], fresh);  // never another one
  EXPECT_EQ(get("/iot/provisioning", as(other)).status, 409);            // not the other device's

  const auto done = get("/iot/config", with_new);
  ASSERT_EQ(done.status, 200);
  EXPECT_EQ(done.header("x-rotation"), "");
  EXPECT_EQ(db.scalar("SELECT rotation_state FROM devices WHERE key = '" + key + "'"), "OK");
  EXPECT_EQ(db.scalar("SELECT pending_secret IS NULL AND previous_secret IS NULL FROM devices "
                      "WHERE key = '" +
                      key + "'"),
            "t");
  EXPECT_EQ(get("/iot/provisioning", with_new).status, 409);
  EXPECT_EQ(get("/iot/config", as(key)).status, 401);  // the old secret is gone
}

TEST_F(ServeRotation, TheOldSecretDoesNotCompleteARotation) {
  start();
  begin_rotation(key);
  ASSERT_TRUE(
      eventually([&] { return get("/iot/config", as(key)).header("x-rotation") == "pending"; }));
  EXPECT_EQ(get("/iot/config", as(key)).header("x-rotation"), "pending");
  EXPECT_EQ(db.scalar("SELECT rotation_state FROM devices WHERE key = '" + key + "'"), "PENDING");
}

TEST_F(ServeRotation, TheRoleMayOnlyWriteRotationColumns) {
  pqxx::connection conn(db.url());
  pqxx::nontransaction tx(conn);
  tx.exec0("SET ROLE iot_serve");
  EXPECT_NO_THROW(tx.exec("SELECT count(*) FROM devices"));
  EXPECT_NO_THROW(tx.exec("UPDATE devices SET rotation_installed_at = NULL WHERE false"));
  EXPECT_THROW(tx.exec("UPDATE devices SET config = '{}' WHERE false"), pqxx::sql_error);
  EXPECT_THROW(tx.exec("UPDATE devices SET active = false WHERE false"), pqxx::sql_error);
  EXPECT_THROW(tx.exec("DELETE FROM devices WHERE false"), pqxx::sql_error);
  EXPECT_THROW(tx.exec("SELECT * FROM settings"), pqxx::sql_error);
}

TEST_F(ServeRotation, AMissingRoleIsAClearError) {
  env["IOT_SERVE_DB_ROLE"] = "no_such_role_here";
  const core::Config config([copy = env](const std::string& n) -> std::optional<std::string> {
    const auto it = copy.find(n);
    return it == copy.end() ? std::nullopt : std::optional(it->second);
  });
  auto svc = http::Service::create(config);
  ASSERT_TRUE(svc);
  const auto started = svc.value()->start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().kind, core::ErrorKind::usage);
  EXPECT_NE(started.error().hint.find("serve-db-role.sh"), std::string::npos);
}

TEST_F(ServeRotation, ADatabaseOutageKeepsServingThenFailsReadinessThenRecovers) {
  start({{"IOT_SERVE_DB_GRACE_SECONDS", "2"}});
  ASSERT_EQ(get("/iot/config", as(key)).status, 200);
  pqxx::connection admin(std::getenv("IOT_TEST_PG_ADMIN_URL"));
  const auto cut = [&](bool allow) {
    pqxx::nontransaction tx(admin);
    tx.exec0("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS " + (allow ? "true" : "false"));
    if (!allow)
      tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
              db.name() + "' AND pid <> pg_backend_pid()");
  };
  cut(false);
  EXPECT_TRUE(eventually(
      [&] { return get("/metrics").body.find("iot_serve_database_up 0") != std::string::npos; }));
  EXPECT_EQ(get("/iot/config", as(key)).status, 200);  // the last data, still served
  EXPECT_EQ(get("/iot/firmware-version", as(key)).status, 404);
  EXPECT_EQ(get("/health/ready").status, 200);  // within the grace period
  EXPECT_TRUE(eventually([&] { return get("/health/ready").status == 503; }, 5000));
  EXPECT_EQ(get("/iot/config", as(key)).status, 200);
  EXPECT_EQ(get("/iot/provisioning", as(key)).status, 503);  // needs the database
  cut(true);
  EXPECT_TRUE(eventually([&] { return get("/health/ready").status == 200; }, 15000));
  // Changes made while it was away arrive with the reload after reconnecting.
  pqxx::connection fresh(db.url());
  pqxx::nontransaction tx(fresh);
  tx.exec0("UPDATE devices SET config = '{\"interval\": 1}' WHERE key = '" + key + "'");
  EXPECT_TRUE(eventually([&] { return get("/iot/config", as(key)).body == "{\"interval\": 1}"; }));
}

TEST_F(ServeRotation, TheBinaryStartsServesAndStopsGracefullyOnSigterm) {
  // A free port: bind 0, read it, close it.
  unsigned short port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    ::close(fd);
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::setenv("IOT_LOG_FORMAT", "json", 1);
    const std::string listen = "127.0.0.1:" + std::to_string(port);
    const std::string exe = bin("iot-serve");
    ::execl(exe.c_str(), exe.c_str(), "--listen", listen.c_str(), "--drain-delay", "1", nullptr);
    ::_exit(127);
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(eventually([&] { return http_get(base + "/health/ready").status == 200; }, 10000));
  HttpOptions o;
  o.user = key;
  o.password = secrets[key];
  EXPECT_EQ(http_get(base + "/iot/config", o).status, 200);
  ::kill(pid, SIGTERM);
  // Readiness fails first, while requests are still answered.
  EXPECT_TRUE(eventually([&] { return http_get(base + "/health/ready").status == 503; }, 900));
  EXPECT_EQ(http_get(base + "/iot/config", o).status, 200);
  int status = 0;
  ASSERT_TRUE(eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 10000));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(ServeRotation, TheBinaryExplainsMissingSettings) {
  RunOptions options;
  options.env = {{"DATABASE_URL", db.url()}};
  options.unset = {"IOT_SECRET_KEY", "IOT_SECRET_PEPPER"};
  const auto r = run(bin("iot-serve"), {"--listen", "127.0.0.1:1"}, options);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("IOT_SECRET_KEY"), std::string::npos) << r.err;
  const auto help = run(bin("iot-serve"), {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("IOT_SERVE_LISTEN"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::test_support
