#include <gtest/gtest.h>

#include "http/handlers.hpp"
#include "http/metrics.hpp"

namespace iotfleet::http {
namespace {

TEST(Metrics, CountsRequestsByRouteAndStatus) {
  Metrics m;
  m.request(Route::config, 200, 0.0002);
  m.request(Route::config, 200, 0.003);
  m.request(Route::firmware, 416, 0.001);
  m.request(Route::config, 299, 0.001);  // not a listed status: "other"
  EXPECT_EQ(m.requests(Route::config, 200), 2u);
  const std::string text = m.render({});
  EXPECT_NE(text.find("iot_serve_requests_total{route=\"config\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("iot_serve_requests_total{route=\"firmware\",status=\"416\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("iot_serve_requests_total{route=\"config\",status=\"other\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE iot_serve_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(
      text.find("iot_serve_request_duration_seconds_bucket{route=\"config\",le=\"0.00025\"} 1\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("iot_serve_request_duration_seconds_bucket{route=\"config\",le=\"+Inf\"} 3\n"),
      std::string::npos);
  EXPECT_NE(text.find("iot_serve_request_duration_seconds_count{route=\"config\"} 3\n"),
            std::string::npos);
  EXPECT_EQ(text.find("route=\"metrics\""), std::string::npos);  // nothing for unused routes
}

TEST(Metrics, AuthFailuresAndGauges) {
  Metrics m;
  m.auth_failure(auth::Reason::bad_signature);
  m.auth_failure(auth::Reason::bad_signature);
  Gauges g;
  g.devices_by_state = {{"OK", 5}, {"PENDING", 1}};
  g.data_age_seconds = 1.5;
  g.database_up = true;
  const std::string text = m.render(g);
  EXPECT_NE(text.find("iot_serve_auth_failures_total{reason=\"bad_signature\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("iot_serve_devices{rotation_state=\"OK\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("iot_serve_devices{rotation_state=\"QUEUED\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("iot_serve_data_age_seconds 1.5\n"), std::string::npos);
  EXPECT_NE(text.find("iot_serve_database_up 1\n"), std::string::npos);
  // Every line is a comment or "name{labels} value".
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    EXPECT_TRUE(line.starts_with("# ") || line.find(' ') != std::string::npos) << line;
    pos = end + 1;
  }
}

TEST(StatusFor, ProvenIdentitiesGet403Or404AndOthers401) {
  using auth::Reason;
  EXPECT_EQ(status_for(Reason::bad_signature, true), 401);
  EXPECT_EQ(status_for(Reason::missing_credentials, false), 401);
  EXPECT_EQ(status_for(Reason::unknown_device, true), 404);
  EXPECT_EQ(status_for(Reason::unknown_device, false), 401);
  EXPECT_EQ(status_for(Reason::inactive_device, true), 403);
  EXPECT_EQ(status_for(Reason::inactive_device, false), 401);
  EXPECT_EQ(status_for(Reason::device_mismatch, true), 403);
  EXPECT_EQ(status_for(Reason::wrong_model, true), 403);
  EXPECT_EQ(status_for(Reason::keys_unavailable, true), 503);
  EXPECT_EQ(status_for(Reason::directory_unavailable, false), 503);
}

}  // namespace
}  // namespace iotfleet::http
