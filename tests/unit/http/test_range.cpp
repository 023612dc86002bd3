#include <gtest/gtest.h>

#include "http/range.hpp"

namespace iotfleet::http {
namespace {

using Kind = ByteRange::Kind;

TEST(Range, AbsentOrUnparsableMeansTheWholeBody) {
  for (const char* h : {"", "bytes", "bytes=", "items=0-1", "bytes=a-b", "bytes=5-2", "bytes=1",
                        "bytes=--1", "bytes=0-1,3-4", "bytes=99999999999999999999-"})
    EXPECT_EQ(parse_range(h, 100).kind, Kind::whole) << h;
}

TEST(Range, ClosedOpenAndSuffixRanges) {
  auto r = parse_range("bytes=10-19", 100);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.first, 10u);
  EXPECT_EQ(r.last, 19u);
  EXPECT_EQ(r.length(), 10u);
  r = parse_range("bytes=90-", 100);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(r.last, 99u);
  r = parse_range("bytes=50-1000", 100);  // clipped to the end
  EXPECT_EQ(r.last, 99u);
  r = parse_range("bytes=-10", 100);
  EXPECT_EQ(r.first, 90u);
  r = parse_range("bytes=-1000", 100);
  EXPECT_EQ(r.first, 0u);
  r = parse_range("Bytes=0-0", 100);
  EXPECT_EQ(r.kind, Kind::partial);
  EXPECT_EQ(r.length(), 1u);
}

TEST(Range, BeyondTheEndIsUnsatisfiable) {
  EXPECT_EQ(parse_range("bytes=100-", 100).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=100-200", 100).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 100).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, Kind::unsatisfiable);
}

TEST(Range, IfRangeMustMatchTheEtag) {
  EXPECT_TRUE(if_range_allows("", "\"a\""));
  EXPECT_TRUE(if_range_allows("\"a\"", "\"a\""));
  EXPECT_FALSE(if_range_allows("\"b\"", "\"a\""));
}

}  // namespace
}  // namespace iotfleet::http
