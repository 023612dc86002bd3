#include "mqtt/dynsec.hpp"

#include <gtest/gtest.h>

namespace iotfleet::mqtt {
namespace {

TEST(DynsecRole, GivesADeviceItsOwnTopicsOnly) {
  const auto role = device_role_command("k3x9a2b1", "iotdevice-m-k3x9a2b1", "m").take();
  EXPECT_EQ(role["command"], "createRole");
  EXPECT_EQ(role["rolename"], "device-iotdevice-m-k3x9a2b1");
  std::vector<std::pair<std::string, std::string>> acls;
  for (const auto& a : role["acls"]) {
    EXPECT_EQ(a["allow"], true);
    acls.emplace_back(a["acltype"], a["topic"]);
  }
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"publishClientSend", "sensors/k3x9a2b1/#"},
      {"publishClientSend", "devices/k3x9a2b1/status"},
      {"subscribePattern", "commands/k3x9a2b1/#"},
      {"subscribePattern", "broadcast/#"},
      {"subscribePattern", "iotsupport/iotdevice-m-k3x9a2b1/#"},
      {"subscribePattern", "iotsupport/models/m/firmware"}};
  EXPECT_EQ(acls, expected);
}

TEST(DynsecRole, RefusesIdentifiersThatCouldWidenATopic) {
  EXPECT_FALSE(device_role_command("k3x9/#", "c", "m").ok());
  EXPECT_FALSE(device_role_command("k3x9a2b1", "+", "m").ok());
  EXPECT_FALSE(device_role_command("k3x9a2b1", "c", "").ok());
}

}  // namespace
}  // namespace iotfleet::mqtt
