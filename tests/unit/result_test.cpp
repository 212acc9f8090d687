// Result<T> and Result<void>: the project's one "value or a reason".
#include "common/result.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace {

socklab::Result<int> half(int n) {
  if (n % 2 != 0) return socklab::Failure{"odd: " + std::to_string(n)};
  return n / 2;
}

socklab::Result<void> even(int n) {
  if (n % 2 != 0) return socklab::Failure{"odd"};
  return {};
}

}  // namespace

TEST_CASE("Result") {
  SUBCASE("holds the value of a success") {
    auto r = half(8);
    REQUIRE(r);
    CHECK(r.ok());
    CHECK(*r == 4);
    CHECK(r.error().empty());
  }
  SUBCASE("holds the reason of a failure, from Failure or failure()") {
    auto r = half(3);
    CHECK_FALSE(r);
    CHECK(r.error() == "odd: 3");
    CHECK(socklab::Result<int>::failure("no").error() == "no");
  }
  SUBCASE("moves a value that cannot be copied out") {
    socklab::Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
    std::unique_ptr<int> p = std::move(r).value();
    CHECK(*p == 7);
  }
}

TEST_CASE("Result<void>") {
  SUBCASE("is a success by default") {
    auto r = even(2);
    CHECK(r);
    CHECK(r.error().empty());
  }
  SUBCASE("carries the reason of a failure") {
    auto r = even(1);
    CHECK_FALSE(r.ok());
    CHECK(r.error() == "odd");
  }
}
