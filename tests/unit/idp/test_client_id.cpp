#include "idp/client_id.hpp"

#include <gtest/gtest.h>

#include "idp/http.hpp"

namespace iotfleet::idp {
namespace {

TEST(ClientId, RoundTrips) {
  EXPECT_EQ(client_id_for("env_sensor", "k3x9a2b1"), "iotdevice-env_sensor-k3x9a2b1");
  const auto p = parse_client_id("iotdevice-env_sensor-k3x9a2b1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->model_code, "env_sensor");
  EXPECT_EQ(p->device_key, "k3x9a2b1");
}

TEST(ClientId, RefusesEverythingElse) {
  for (const char* s : {"", "iotdevice-", "iotdevice-m-", "iotdevice--k3x9a2b1",
                        "iotdevice-m-k3x9a2b", "iotdevice-m-k3x9a2b12", "iotdevice-M-k3x9a2b1",
                        "iotdevice-m-K3X9A2B1", "IOTDEVICE-m-k3x9a2b1", "admin-cli",
                        "iotdevice-a-b-k3x9a2b1", "iotdevice-m-k3x9a2b1 ", "xiotdevice-m-k3x9a2b1"})
    EXPECT_FALSE(parse_client_id(s)) << s;
  EXPECT_FALSE(parse_client_id("iotdevice-" + std::string(51, 'a') + "-k3x9a2b1"));
  EXPECT_TRUE(parse_client_id("iotdevice-" + std::string(50, 'a') + "-k3x9a2b1"));
}

TEST(UrlEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(url_encode("iotdevice-m_1.x~"), "iotdevice-m_1.x~");
  EXPECT_EQ(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(form_encode({{"grant_type", "client_credentials"}, {"client_secret", "p&ss=w rd"}}),
            "grant_type=client_credentials&client_secret=p%26ss%3Dw%20rd");
}

}  // namespace
}  // namespace iotfleet::idp
