#include "common/stats.hpp"

#include "common/json.hpp"

#include <doctest/doctest.h>

TEST_CASE("percentile") {
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  SUBCASE("uses the nearest rank") {
    CHECK(socklab::percentile(hundred, 50) == 50);
    CHECK(socklab::percentile(hundred, 99) == 99);
    CHECK(socklab::percentile(hundred, 100) == 100);
    CHECK(socklab::percentile(hundred, 0) == 1);
  }
  SUBCASE("is the only sample for one sample") { CHECK(socklab::percentile({7.5}, 99) == 7.5); }
  SUBCASE("is zero for no samples") { CHECK(socklab::percentile({}, 50) == 0); }
}

TEST_CASE("summarize") {
  SUBCASE("sorts and summarises") {
    auto s = socklab::summarize({3, 1, 2, 10});
    CHECK(s.count == 4);
    CHECK(s.min == 1);
    CHECK(s.max == 10);
    CHECK(s.avg == doctest::Approx(4));
    CHECK(s.p50 == 2);
    CHECK(s.p99 == 10);
  }
  SUBCASE("is all zero for no samples") {
    auto s = socklab::summarize({});
    CHECK(s.count == 0);
    CHECK(s.max == 0);
  }
}

TEST_CASE("a summary as text and as JSON") {
  const auto s = socklab::summarize({3, 1, 2, 10});
  SUBCASE("text: three decimals, in the order min avg p50 p99 max") {
    CHECK(socklab::to_text(s) == "min 1.000 avg 4.000 p50 2.000 p99 10.000 max 10.000");
  }
  SUBCASE("text: rounds to the microsecond when the unit is ms") {
    CHECK(socklab::to_text(socklab::summarize({0.1234567})) ==
          "min 0.123 avg 0.123 p50 0.123 p99 0.123 max 0.123");
  }
  SUBCASE("JSON: the same five keys in the same order") {
    CHECK(socklab::json_text(socklab::Json{{"rtt_ms", s}}) ==
          R"({"rtt_ms":{"min":1.0,"avg":4.0,"p50":2.0,"p99":10.0,"max":10.0}})");
  }
}
