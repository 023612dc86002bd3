#include <gtest/gtest.h>

#include "http/router.hpp"

namespace iotfleet::http {
namespace {

TEST(Router, MatchesEachRouteExactly) {
  EXPECT_EQ(route_target("/iot/config").route, Route::config);
  EXPECT_EQ(route_target("/iot/firmware").route, Route::firmware);
  EXPECT_EQ(route_target("/iot/firmware-version").route, Route::firmware_version);
  EXPECT_EQ(route_target("/iot/provisioning").route, Route::provisioning);
  EXPECT_EQ(route_target("/ca.crt").route, Route::ca_cert);
  EXPECT_EQ(route_target("/health/live").route, Route::health_live);
  EXPECT_EQ(route_target("/health/ready").route, Route::health_ready);
  EXPECT_EQ(route_target("/metrics").route, Route::metrics);
  EXPECT_EQ(route_target("/iot/config/").route, Route::unknown);
  EXPECT_EQ(route_target("/IOT/CONFIG").route, Route::unknown);
  EXPECT_EQ(route_target("/").route, Route::unknown);
}

TEST(Router, IgnoresTheQuery) {
  EXPECT_EQ(route_target("/iot/config?v=1").route, Route::config);
  EXPECT_EQ(route_target("/iot/config?../../x").route, Route::config);
}

TEST(Router, DecodesUnreservedEscapes) {
  EXPECT_EQ(route_target("/iot/%63onfig").route, Route::config);
  EXPECT_EQ(route_target("/health%2Flive").route, Route::invalid);
}

TEST(Router, RefusesTraversalHoweverEncoded) {
  for (const char* t : {"/iot/../ca.crt", "/iot/%2e%2e/ca.crt", "/iot/%2E%2E/ca.crt", "/iot/.%2e/x",
                        "/iot/./config", "/..", "/iot//config", "/iot\\..\\x", "/iot/%5c..%5cx"}) {
    const auto r = route_target(t);
    EXPECT_EQ(r.route, Route::invalid) << t;
    EXPECT_EQ(r.status, 400) << t;
  }
}

TEST(Router, RefusesMalformedOrForbiddenEscapes) {
  for (const char* t : {"/iot/config%", "/iot/config%2", "/iot/config%zz", "/iot/config%00",
                        "/iot/%0aconfig", "/iot/%7fconfig", "/a%2fb"})
    EXPECT_EQ(route_target(t).status, 400) << t;
}

TEST(Router, RefusesNonOriginFormAndLongTargets) {
  EXPECT_EQ(route_target("http://host/iot/config").status, 400);
  EXPECT_EQ(route_target("*").status, 400);
  EXPECT_EQ(route_target("").status, 400);
  EXPECT_EQ(route_target("/" + std::string(kMaxPathBytes, 'a')).status, 414);
}

TEST(Router, UnsafePathChecksSegments) {
  EXPECT_FALSE(unsafe_path("/iot/config"));
  EXPECT_FALSE(unsafe_path("/iot/config/"));
  EXPECT_TRUE(unsafe_path("iot/config"));
  EXPECT_TRUE(unsafe_path("/a/../b"));
  EXPECT_TRUE(unsafe_path("/a/.."));
  EXPECT_FALSE(unsafe_path("/a/..b"));
  EXPECT_FALSE(unsafe_path("/a/.b"));
}

}  // namespace
}  // namespace iotfleet::http
