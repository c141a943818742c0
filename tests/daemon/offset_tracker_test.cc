#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "daemon/offset_tracker.h"

using namespace newsflow;

TEST_CASE("Offsets commit only up to the first unacknowledged record", "[unit]") {
  OffsetTracker t;
  const uint64_t e = t.Assign(0);
  for (int64_t o = 10; o < 15; ++o) REQUIRE(t.Add(0, e, o, 0));
  CHECK(t.PendingCommits().empty());
  REQUIRE(t.Ack(0, e, 12));
  REQUIRE(t.Ack(0, e, 11));
  CHECK(t.PendingCommits().empty());  // 10 still outstanding
  REQUIRE(t.Ack(0, e, 10));
  auto c = t.PendingCommits();
  REQUIRE(c.size() == 1);
  CHECK(c[0].offset == 13);  // 10, 11, 12 done: next to consume is 13
  t.MarkCommitted(0, e, 13);
  CHECK(t.PendingCommits().empty());
  CHECK(t.InFlight() == 2);
  CHECK_FALSE(t.Ack(0, e, 12));  // already acknowledged
  CHECK_FALSE(t.Ack(0, e, 99));  // never consumed
}

TEST_CASE("Gaps in offsets (compaction, transaction markers) are fine", "[unit]") {
  OffsetTracker t;
  const uint64_t e = t.Assign(3);
  REQUIRE(t.Add(3, e, 5, 0));
  REQUIRE(t.Add(3, e, 9, 0));
  REQUIRE(t.Ack(3, e, 9));
  REQUIRE(t.Ack(3, e, 5));
  CHECK(t.PendingCommits().at(0).offset == 10);
}

TEST_CASE("A revoked partition ignores late acknowledgements, even if re-assigned", "[unit]") {
  OffsetTracker t;
  const uint64_t e1 = t.Assign(1);
  REQUIRE(t.Add(1, e1, 0, 0));
  REQUIRE(t.Add(1, e1, 1, 0));
  t.Revoke(1);
  CHECK(t.InFlight() == 0);
  CHECK_FALSE(t.Ack(1, e1, 0));
  CHECK_FALSE(t.Add(1, e1, 2, 0));
  const uint64_t e2 = t.Assign(1);
  CHECK(e2 != e1);
  CHECK_FALSE(t.Ack(1, e1, 0));  // the old epoch's ack must not count for the new owner
  CHECK(t.PendingCommits().empty());
  CHECK_FALSE(t.Owned(1, e1));
  CHECK(t.Owned(1, e2));
}

TEST_CASE("Random acknowledgement order never commits past an unacknowledged offset", "[unit]") {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    OffsetTracker t;
    const uint64_t e = t.Assign(0);
    const int n = 200;
    for (int o = 0; o < n; ++o) REQUIRE(t.Add(0, e, o, 0));
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<bool> acked(n, false);
    for (int o : order) {
      REQUIRE(t.Ack(0, e, o));
      acked[o] = true;
      int expected = 0;
      while (expected < n && acked[expected]) ++expected;
      auto c = t.PendingCommits();
      if (expected == 0) {
        CHECK(c.empty());
      } else {
        REQUIRE(c.size() == 1);
        CHECK(c[0].offset == expected);
      }
    }
    CHECK(t.InFlight() == 0);
  }
}

TEST_CASE("Giving a partition up: queued records do not start and block the commit", "[unit]") {
  OffsetTracker t;
  const uint64_t e = t.Assign(0);
  for (int64_t o = 0; o < 5; ++o) REQUIRE(t.Add(0, e, o, 0));
  REQUIRE(t.Start(0, e, 0));
  REQUIRE(t.Start(0, e, 1));
  CHECK(t.Started() == 2);
  t.StopStarting({0});
  CHECK_FALSE(t.Start(0, e, 2));  // queued: skipped, consumed again by the next owner
  REQUIRE(t.Ack(0, e, 1));
  REQUIRE(t.Ack(0, e, 0));
  CHECK(t.Started({0}) == 0);
  auto c = t.PendingCommits();
  REQUIRE(c.size() == 1);
  CHECK(c[0].offset == 2);  // never past the skipped record
  CHECK_FALSE(t.Start(0, e, 0));  // already acknowledged
}
