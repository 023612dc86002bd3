#include "auth/jwks.hpp"

#include <gtest/gtest.h>

#include "support/manual_clock.hpp"
#include "support/token_factory.hpp"

namespace iotfleet::auth {
namespace {

using test_support::make_key;

struct JwksCacheTest : ::testing::Test {
  test_support::ManualClock clock{1'800'000'000};
  test_support::TestKey k1 = make_key("RS256", "k1"), k2 = make_key("RS256", "k2");
  std::string published = test_support::jwks_of({&k1});
  bool down = false;
  int fetched = 0;
  JwksCache cache{[this]() -> core::Result<std::string> {
                    ++fetched;
                    if (down) return core::Error::unavailable("connection refused");
                    return published;
                  },
                  clock};
};

TEST_F(JwksCacheTest, FetchesOnceAndServesKnownKidsFromTheCache) {
  for (int i = 0; i < 5; ++i) ASSERT_NE(cache.find("k1").key, nullptr);
  EXPECT_EQ(fetched, 1);
}

TEST_F(JwksCacheTest, AnUnknownKidRefetchesAtMostOncePer30Seconds) {
  ASSERT_NE(cache.find("k1").key, nullptr);
  EXPECT_EQ(cache.find("made-up-1").key, nullptr);
  EXPECT_EQ(fetched, 1) << "the first fetch was just now: no refetch yet";
  clock.advance(30);
  EXPECT_EQ(cache.find("made-up-2").key, nullptr);
  EXPECT_EQ(fetched, 2);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(cache.find("made-up-" + std::to_string(i)).key, nullptr);
  EXPECT_EQ(fetched, 2) << "a flood of unknown kids costs one fetch per interval";
  clock.advance(29);
  EXPECT_EQ(cache.find("x").key, nullptr);
  EXPECT_EQ(fetched, 2);
}

TEST_F(JwksCacheTest, ARotatedKeyIsFoundByTheRefetch) {
  ASSERT_NE(cache.find("k1").key, nullptr);
  published = test_support::jwks_of({&k1, &k2});
  clock.advance(31);
  EXPECT_NE(cache.find("k2").key, nullptr);
  EXPECT_NE(cache.find("k1").key, nullptr);
  EXPECT_EQ(fetched, 2);
}

TEST_F(JwksCacheTest, AFailedFetchKeepsTheKnownKeys) {
  ASSERT_NE(cache.find("k1").key, nullptr);
  down = true;
  clock.advance(3600);  // stale: a refresh is attempted and fails
  const auto r = cache.find("k1");
  EXPECT_NE(r.key, nullptr);
  EXPECT_FALSE(r.unavailable);
  EXPECT_EQ(fetched, 2);
}

TEST_F(JwksCacheTest, NoKeysAtAllIsUnavailableAndRateLimitedToo) {
  down = true;
  const auto r = cache.find("k1");
  EXPECT_TRUE(r.unavailable);
  EXPECT_NE(r.error.find("connection refused"), std::string::npos);
  (void)cache.find("k1");
  EXPECT_EQ(fetched, 1);
  down = false;
  clock.advance(30);
  EXPECT_NE(cache.find("k1").key, nullptr);
}

TEST_F(JwksCacheTest, AnInvalidDocumentCountsAsAFailedFetch) {
  published = "<html>proxy error</html>";
  EXPECT_TRUE(cache.find("k1").unavailable);
}

}  // namespace
}  // namespace iotfleet::auth
