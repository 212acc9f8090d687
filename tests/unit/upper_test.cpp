#include "tcp/upper.hpp"

#include <doctest/doctest.h>

using socklab::UpperFilter;

namespace {
std::string feed_all(UpperFilter& f, std::initializer_list<std::string_view> reads) {
  std::string out;
  for (auto r : reads) f.feed(r, out);
  return out;
}
}  // namespace

TEST_CASE("UpperFilter") {
  UpperFilter f;
  SUBCASE("upper-cases ASCII letters and keeps everything else") {
    CHECK(feed_all(f, {"hello, World 42!\n"}) == "HELLO, WORLD 42!\n");
  }
  SUBCASE("leaves bytes above 127 alone") { CHECK(feed_all(f, {"caf\xc3\xa9\n"}) == "CAF\xc3\xa9\n"); }
  SUBCASE("stops at a line 'exit' and sends what came before it") {
    CHECK(feed_all(f, {"one\nexit\ntwo\n"}) == "ONE\n");
    CHECK(f.exit_seen());
  }
  SUBCASE("recognises 'exit' split across reads") {
    CHECK(feed_all(f, {"abc\nex", "i", "t\n"}) == "ABC\n");
    CHECK(f.exit_seen());
  }
  SUBCASE("accepts exit with CRLF and in upper case") {
    CHECK(feed_all(f, {"EXIT\r\n"}).empty());
    CHECK(f.exit_seen());
  }
  SUBCASE("does not exit on a line that only starts with exit") {
    CHECK(feed_all(f, {"exits\n", "exit now\n"}) == "EXITS\nEXIT NOW\n");
    CHECK_FALSE(f.exit_seen());
  }
  SUBCASE("does not exit on 'exit' inside a line") {
    CHECK(feed_all(f, {"no exit\n"}) == "NO EXIT\n");
    CHECK_FALSE(f.exit_seen());
  }
  SUBCASE("releases a held-back prefix at end of stream") {
    CHECK(feed_all(f, {"a\nex"}) == "A\n");
    CHECK(f.finish() == "EX");
  }
  SUBCASE("treats a last line 'exit' without newline as exit") {
    CHECK(feed_all(f, {"a\nexit"}) == "A\n");
    CHECK(f.finish().empty());
    CHECK(f.exit_seen());
  }
  SUBCASE("passes empty lines through") { CHECK(feed_all(f, {"\n\n"}) == "\n\n"); }
}
