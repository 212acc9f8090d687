#include "common/ascii.hpp"

#include <doctest/doctest.h>

TEST_CASE("append_upper") {
  std::string out = ">";
  SUBCASE("upper-cases ASCII letters and keeps every other byte") {
    socklab::append_upper("hello, World 42!\n", out);
    CHECK(out == ">HELLO, WORLD 42!\n");
  }
  SUBCASE("leaves UTF-8 alone, byte for byte") {
    socklab::append_upper("caf\xc3\xa9", out);
    CHECK(out == ">CAF\xc3\xa9");
  }
}
