#pragma once
// A fleet of local devices on a fresh database, the cycle and the endpoint's side of the
// protocol run in-process against it, with a clock the test moves. The identity provider of a
// local device is its row's HMAC: accepted() asks it whether a credential works right now.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/secret_box.hpp"
#include "fleet/devices.hpp"
#include "idp/local.hpp"
#include "rotation/cycle.hpp"
#include "support/manual_clock.hpp"
#include "test_support/database.hpp"

namespace iotfleet::test_support {

/// Notices kept in memory (the MQTT path has its own test against the real broker).
class RecordingNotifier final : public rotation::Notifier {
 public:
  core::Status announce(const std::string& client_id, const std::string&, const std::string&) override;
  core::Status clear(const std::string& client_id) override;
  std::set<std::string> retained;  // client ids with a notice standing
  int announced = 0;
  bool broker_down = false;
};

/// Thrown by fault points: a crash that no library code catches.
struct Crash {
  std::string step;
};

class RotationTest : public ::testing::Test {
 protected:
  RotationTest();

  /// Creates `count` local devices of model "m" and returns their keys.
  std::vector<std::string> create_devices(std::size_t count);
  /// The device's current secret, from its sealed column.
  std::string current_secret(const std::string& key);
  /// Whether the identity provider accepts this secret for the device now.
  bool accepted(const std::string& key, const std::string& secret);
  std::string state(const std::string& key);
  std::string column(const std::string& key, const std::string& column);

  rotation::CycleSummary run(const rotation::FaultPoint& fault = {});
  core::Result<rotation::IssuedCredential> provisioning(const std::string& key,
                                                        const rotation::FaultPoint& fault = {});
  core::Result<bool> complete_basic(const std::string& key, const std::string& secret);
  void trigger(const std::string& key);

  TestDatabase db;
  std::string keyring;      // IOT_SECRET_KEY of this test
  std::string pepper_text;  // IOT_SECRET_PEPPER of this test
  core::SecretBox box;
  idp::Pepper pepper;
  fleet::Session session;
  ManualClock clock;
  RecordingNotifier notifier;
  rotation::IdentityInstaller installer;
  rotation::CycleSettings settings;
};

}  // namespace iotfleet::test_support
