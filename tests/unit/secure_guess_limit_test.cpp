// secure/guess_limit: the run's code stops working after a few wrong codes.
#include "secure/guess_limit.hpp"

#include <doctest/doctest.h>

namespace sec = socklab::secure;

TEST_CASE("GuessLimit") {
  sec::GuessLimit limit(3);

  SUBCASE("closes after the third wrong code, and stays closed") {
    for (int i = 0; i < 2; ++i) {
      REQUIRE(limit.begin());
      limit.finish(true);
      CHECK(limit.open());
    }
    REQUIRE(limit.begin());
    limit.finish(true);
    CHECK_FALSE(limit.open());
    CHECK_FALSE(limit.begin());
    CHECK(limit.wrong_codes() == 3);
    CHECK(limit.closed_message() ==
          "3 wrong codes: this run's code no longer works; start recvfile again for a new code "
          "(or give it a new --code or --code-file)");
  }

  SUBCASE("a right code or a connection that tried none spends no guess") {
    for (int i = 0; i < 10; ++i) {
      REQUIRE(limit.begin());
      limit.finish(false);
    }
    CHECK(limit.open());
    CHECK(limit.wrong_codes() == 0);
  }

  SUBCASE("a right code does not give back the guesses already spent") {
    REQUIRE(limit.begin());
    limit.finish(true);
    REQUIRE(limit.begin());
    limit.finish(true);
    REQUIRE(limit.begin());
    limit.finish(false);
    REQUIRE(limit.begin());
    limit.finish(true);
    CHECK_FALSE(limit.open());
  }

  SUBCASE("handshakes in progress count, so parallel senders get no extra guesses") {
    REQUIRE(limit.begin());
    REQUIRE(limit.begin());
    REQUIRE(limit.begin());
    CHECK_FALSE(limit.begin());  // a fourth could be a fourth guess
    limit.finish(false);
    CHECK(limit.begin());
  }
}
