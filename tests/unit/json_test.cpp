#include "common/json.hpp"

#include <doctest/doctest.h>

TEST_CASE("JsonLine") {
  SUBCASE("builds a flat object in insertion order") {
    auto line = socklab::JsonLine().add("name", "a b").add("count", 3).add("ok", true).add("rate", 2.5).str();
    CHECK(line == R"({"name":"a b","count":3,"ok":true,"rate":2.5})");
  }
  SUBCASE("is {} when empty") { CHECK(socklab::JsonLine().str() == "{}"); }
  SUBCASE("escapes quotes, backslashes and control characters") {
    CHECK(socklab::json_quote("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
  }
}

TEST_CASE("json_text keeps key order and replaces bytes that are not UTF-8") {
  const socklab::Json line = {{"name", std::string("a\xff"
                                                   "b")},
                              {"size", 3}};
  CHECK(socklab::json_text(line) ==
        "{\"name\":\"a\xef\xbf\xbd"
        "b\",\"size\":3}");
}
