#include "common/json.hpp"

#include <doctest/doctest.h>

TEST_CASE("json_text keeps key order and replaces bytes that are not UTF-8") {
  const socklab::Json line = {{"name", std::string("a\xff"
                                                   "b")},
                              {"size", 3}};
  CHECK(socklab::json_text(line) ==
        "{\"name\":\"a\xef\xbf\xbd"
        "b\",\"size\":3}");
}

TEST_CASE("json_text escapes quotes, backslashes and control characters on one line") {
  const socklab::Json line = {{"text", "a\"b\\c\n\x01"}, {"ok", true}, {"rate", 2.5}};
  CHECK(socklab::json_text(line) == R"({"text":"a\"b\\c\n\u0001","ok":true,"rate":2.5})");
}
