#include "common/error.hpp"

#include <doctest/doctest.h>

TEST_CASE("format_error") {
  SUBCASE("names the program, the step and the reason") {
    CHECK(socklab::format_error("tcp-server", "bind 0.0.0.0:8001", "Address already in use") ==
          "tcp-server: bind 0.0.0.0:8001: Address already in use");
  }
  SUBCASE("leaves out an empty step") {
    CHECK(socklab::format_error("tcp-client", "", "boom") == "tcp-client: boom");
  }
}

TEST_CASE("check") {
  SUBCASE("does nothing without an error") { CHECK_NOTHROW(socklab::check(std::error_code(), "connect")); }
  SUBCASE("throws a StepError naming the step and the reason") {
    auto ec = std::make_error_code(std::errc::connection_refused);
    try {
      socklab::check(ec, "connect 127.0.0.1:1");
      FAIL("check did not throw");
    } catch (const socklab::StepError& e) {
      CHECK(e.step() == "connect 127.0.0.1:1");
      CHECK(e.reason() == ec.message());
      CHECK(std::string(e.what()) == "connect 127.0.0.1:1: " + ec.message());
    }
  }
}
