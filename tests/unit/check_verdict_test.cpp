// check/verdict: a check's line, evidence and hint as text and as JSON, and
// the summary, exactly as the student and a course's tooling read them.
#include <doctest/doctest.h>

#include "check/verdict.hpp"

using namespace socklab;

namespace {

CheckResult serial_failure() {
  return CheckResult{
      "concurrent",
      "two clients are served at the same time",
      Verdict::fail,
      {"the second client got 0 bytes back", "socket table: 127.0.0.1:8001 <- 127.0.0.1:4000 ESTABLISHED"},
      "one goroutine per connection"};
}

}  // namespace

TEST_CASE("result_text") {
  SUBCASE("a pass is one line, its evidence only when verbose") {
    CheckResult r{
        "echo", "the bytes sent come back exactly", Verdict::pass, {"sent 26 bytes, got 26 back"}, "h"};
    CHECK(result_text(r, {}) == "PASS  echo  the bytes sent come back exactly\n");
    CHECK(result_text(r, {false, true}) ==
          "PASS  echo  the bytes sent come back exactly\n"
          "      sent 26 bytes, got 26 back\n");
  }
  SUBCASE("a failure shows its evidence and its hint") {
    CHECK(result_text(serial_failure(), {}) ==
          "FAIL  concurrent  two clients are served at the same time\n"
          "      the second client got 0 bytes back\n"
          "      socket table: 127.0.0.1:8001 <- 127.0.0.1:4000 ESTABLISHED\n"
          "      hint: one goroutine per connection\n");
  }
  SUBCASE("colour marks the verdict only") {
    CheckResult r{"reset", "s", Verdict::warn, {}, ""};
    CHECK(result_text(r, {true, false}) == "\033[33mWARN\033[0m  reset  s\n");
  }
}

TEST_CASE("result_json") {
  SUBCASE("has check, verdict and evidence, in that order, then sentence and hint") {
    CHECK(
        result_json(serial_failure()) ==
        R"({"check":"concurrent","verdict":"fail","sentence":"two clients are served at the same time",)"
        R"("evidence":["the second client got 0 bytes back","socket table: 127.0.0.1:8001 <- 127.0.0.1:4000 )"
        R"(ESTABLISHED"],"hint":"one goroutine per connection"})");
  }
  SUBCASE("bytes that are not UTF-8 do not throw") {
    CheckResult r{"echo", "s", Verdict::fail, {"got \xff"}, ""};
    CHECK(result_json(r).find("\"evidence\":[\"got \xEF\xBF\xBD\"]") != std::string::npos);
  }
}

TEST_CASE("summary") {
  Tally t;
  t.add(Verdict::pass);
  t.add(Verdict::pass);
  t.add(Verdict::fail);
  t.add(Verdict::warn);
  CHECK(summary_text("tcp-server", t, {}) == "tcp-server: 2 of 4 checks pass, 1 fails, 1 warn\n");
  CHECK(summary_json("tcp-server", t) ==
        R"({"summary":true,"exercise":"tcp-server","score":"2/4","pass":2,"fail":1,"warn":1})");
  Tally none;
  CHECK(summary_text("tcp-upper", none, {}) == "tcp-upper: 0 of 0 checks pass, 0 fail, 0 warn\n");
}
