#include "cli/app.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/table.hpp"

namespace iotfleet::cli {
namespace {

TEST(ClosestMatch, SuggestsNearWordsOnly) {
  const std::vector<std::string> commands = {"model", "device", "package", "migrate", "load-test-data"};
  EXPECT_EQ(closest_match("devcie", commands), "device");
  EXPECT_EQ(closest_match("modle", commands), "model");
  EXPECT_EQ(closest_match("migrat", commands), "migrate");
  EXPECT_EQ(closest_match("zzzzzz", commands), "");
}

TEST(ExitCodes, FollowDesign) {
  EXPECT_EQ(core::exit_code(core::ErrorKind::failure), 1);
  EXPECT_EQ(core::exit_code(core::ErrorKind::usage), 2);
  EXPECT_EQ(core::exit_code(core::ErrorKind::not_found), 3);
  EXPECT_EQ(core::exit_code(core::ErrorKind::conflict), 4);
  EXPECT_EQ(core::exit_code(core::ErrorKind::unavailable), 5);
}

TEST(Table, AlignsColumns) {
  Table t({"KEY", "MODEL"});
  t.add({"abcdefgh", "env"});
  t.add({"x", "door_lock"});
  std::ostringstream out;
  t.print(out);
  EXPECT_EQ(out.str(), "KEY       MODEL\nabcdefgh  env\nx         door_lock\n");
}

}  // namespace
}  // namespace iotfleet::cli
