#pragma once
// A small realistic fleet for trying the toolkit out (iot-provision load-test-data).

#include <string>
#include <vector>

#include "fleet/devices.hpp"

namespace iotfleet::fleet {

struct TestDataReport {
  std::vector<std::string> models_created;
  std::vector<CreatedDevice> devices_created;
};

/// Ensures three models exist, each with its share of devices. Re-running tops the fleet up to
/// the same size and creates nothing more.
core::Result<TestDataReport> load_test_data(Session& s, const LocalSecrets& secrets);

}  // namespace iotfleet::fleet
