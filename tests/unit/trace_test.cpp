#include "common/trace.hpp"

#include <sstream>

#include <doctest/doctest.h>

using socklab::FinState;
using socklab::Tracer;

TEST_CASE("Tracer::format") {
  SUBCASE("numbers the step and names the Go and C calls") {
    CHECK(Tracer::format(3, "accept", "127.0.0.1:51234", socklab::calls::accept) ==
          "[3] accept 127.0.0.1:51234              (Go: listener.Accept | C: accept)");
  }
  SUBCASE("puts the TCP consequence on its own line") {
    auto text =
        Tracer::format(2, "connect", "127.0.0.1:8001", socklab::calls::dial_tcp, socklab::story::connected);
    CHECK(text.find("\n    -> SYN sent, SYN+ACK received, ACK sent: handshake done, ESTABLISHED") !=
          std::string::npos);
  }
  SUBCASE("keeps at least one space before the calls after a long detail") {
    auto text = Tracer::format(4, "read", std::string(60, 'x'), socklab::calls::read);
    CHECK(text == "[4] read " + std::string(60, 'x') + " (Go: conn.Read | C: recv)");
  }
}

TEST_CASE("Tracer") {
  std::ostringstream out;
  SUBCASE("writes nothing when disabled") {
    Tracer off(false, out);
    off.step(1, "resolve", "x", socklab::calls::resolve_tcp);
    off.note("hello");
    CHECK(out.str().empty());
  }
  SUBCASE("writes one line per step when enabled") {
    Tracer on(true, out);
    on.step(5, "write", "5 bytes", socklab::calls::write);
    on.note("stdin closed");
    CHECK(out.str() ==
          "[5] write 5 bytes                       (Go: conn.Write | C: send)\n"
          "    stdin closed\n");
  }
}

TEST_CASE("close_story") {
  SUBCASE("closing first leads to TIME_WAIT") {
    CHECK(socklab::close_story(FinState{}) == socklab::story::close_first);
  }
  SUBCASE("closing after the peer's FIN is LAST_ACK") {
    CHECK(socklab::close_story(FinState{false, true}) == socklab::story::close_after_peer_fin);
  }
  SUBCASE("closing after both FINs with ours first is TIME_WAIT") {
    CHECK(socklab::close_story(FinState{true, true}) == socklab::story::close_both_fins_ours_first);
  }
}

TEST_CASE("story::shutdown_write") {
  // Right after shutdown(SHUT_WR) the FIN may still be unacknowledged (or
  // queued behind unsent data): the socket is in FIN_WAIT_1, not FIN_WAIT_2.
  std::string_view s = socklab::story::shutdown_write;
  SUBCASE("names FIN_WAIT_1 first, then FIN_WAIT_2 once the FIN is ACKed") {
    auto one = s.find("FIN_WAIT_1");
    auto two = s.find("FIN_WAIT_2");
    REQUIRE(one != std::string_view::npos);
    REQUIRE(two != std::string_view::npos);
    CHECK(one < two);
    CHECK(s.find("ACK", one) < two);
  }
}

TEST_CASE("bytes_text") {
  CHECK(socklab::bytes_text(1) == "1 byte");
  CHECK(socklab::bytes_text(0) == "0 bytes");
  CHECK(socklab::bytes_text(65536) == "65536 bytes");
}
