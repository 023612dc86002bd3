#include "mqtt/connection.hpp"

#include <gtest/gtest.h>

namespace iotfleet::mqtt {
namespace {

TEST(ReturnCodes, ConnackCodesInWords) {
  EXPECT_EQ(describe_return_code(1), "connection refused: unacceptable protocol version");
  EXPECT_EQ(describe_return_code(2), "connection refused: client identifier rejected");
  EXPECT_EQ(describe_return_code(3), "connection refused: server unavailable");
  EXPECT_EQ(describe_return_code(4), "connection refused: bad user name or password");
  EXPECT_EQ(describe_return_code(5), "connection refused: not authorized");
}

TEST(ReturnCodes, ClientCodesInWords) {
  EXPECT_EQ(describe_return_code(-3), "not connected: the connection to the broker was lost");
  EXPECT_EQ(describe_return_code(-9), "QoS must be 0, 1 or 2");
  EXPECT_EQ(describe_return_code(-14), "unsupported URL scheme");
  EXPECT_NE(describe_return_code(-99).find("-99"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::mqtt
