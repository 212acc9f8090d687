#include "udp/impairment.hpp"

#include <doctest/doctest.h>

#include <vector>

using socklab::Decision;
using socklab::Impairer;
using socklab::ImpairmentSettings;

namespace {
struct Tally {
  int drop = 0, dup = 0, hold = 0;
  double min_delay = 1e9, max_delay = -1;
};

Tally run(ImpairmentSettings s, std::uint64_t seed, int n) {
  Impairer imp(s, seed);
  Tally t;
  for (int i = 0; i < n; ++i) {
    const Decision d = imp.decide();
    t.drop += d.drop;
    t.dup += d.duplicate;
    t.hold += d.hold;
    t.min_delay = std::min(t.min_delay, d.delay_ms);
    t.max_delay = std::max(t.max_delay, d.delay_ms);
  }
  return t;
}
}  // namespace

TEST_CASE("Impairer") {
  SUBCASE("with no impairment forwards everything at once") {
    const Tally t = run({}, 1, 10000);
    CHECK(t.drop == 0);
    CHECK(t.dup == 0);
    CHECK(t.hold == 0);
    CHECK(t.max_delay == 0);
  }
  SUBCASE("--loss 20 drops about one datagram in five") {
    const Tally t = run({.loss_pct = 20}, 42, 100000);
    CHECK(t.drop > 19000);
    CHECK(t.drop < 21000);
  }
  SUBCASE("--loss 100 drops everything, and a dropped datagram is never also duplicated") {
    const Tally t = run({.loss_pct = 100, .dup_pct = 100, .reorder_pct = 100}, 3, 1000);
    CHECK(t.drop == 1000);
    CHECK(t.dup == 0);
    CHECK(t.hold == 0);
  }
  SUBCASE("the same seed makes the same decisions") {
    const ImpairmentSettings s{
        .loss_pct = 10, .dup_pct = 5, .reorder_pct = 5, .delay_ms = 10, .jitter_ms = 5};
    Impairer a(s, 7), b(s, 7), c(s, 8);
    bool all_same = true, any_differs = false;
    for (int i = 0; i < 1000; ++i) {
      const Decision x = a.decide(), y = b.decide(), z = c.decide();
      all_same &=
          x.drop == y.drop && x.duplicate == y.duplicate && x.hold == y.hold && x.delay_ms == y.delay_ms;
      any_differs |= x.drop != z.drop || x.delay_ms != z.delay_ms;
    }
    CHECK(all_same);
    CHECK(any_differs);
  }
  SUBCASE("delays stay within delay +- jitter and never go below zero") {
    const Tally t = run({.delay_ms = 10, .jitter_ms = 4}, 5, 10000);
    CHECK(t.min_delay >= 6.0);
    CHECK(t.max_delay <= 14.0);
    CHECK(t.max_delay - t.min_delay > 7.0);
    const Tally u = run({.delay_ms = 1, .jitter_ms = 5}, 5, 1000);
    CHECK(u.min_delay == 0.0);
  }
}
