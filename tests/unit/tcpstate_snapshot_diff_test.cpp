#include <doctest/doctest.h>

#include "tcpstate/snapshot_diff.hpp"

using namespace socklab;

namespace {

SocketRow row(TcpState state, const std::string& local, const std::string& remote, std::uint64_t recv_q = 0) {
  SocketRow r;
  r.state = state;
  r.local = local;
  r.remote = remote;
  r.recv_q = recv_q;
  return r;
}

}  // namespace

TEST_CASE("SnapshotDiff") {
  SnapshotDiff diff;
  const auto listener = row(TcpState::listen, "127.0.0.1:8001", "0.0.0.0:*");
  const auto client = row(TcpState::established, "127.0.0.1:4000", "127.0.0.1:8001");

  SUBCASE("reports the first snapshot's sockets as already there") {
    auto t = diff.update({listener}, 0.0);
    REQUIRE(t.size() == 1);
    CHECK(t[0].initial);
    CHECK_FALSE(t[0].from);
    CHECK(t[0].to == TcpState::listen);
  }
  SUBCASE("reports a new socket, a change with its duration, and a vanished socket") {
    diff.update({listener}, 0.0);
    auto t = diff.update({listener, client}, 1.0);
    REQUIRE(t.size() == 1);
    CHECK_FALSE(t[0].initial);
    CHECK_FALSE(t[0].from);
    CHECK(t[0].to == TcpState::established);

    auto closing = client;
    closing.state = TcpState::fin_wait_2;
    t = diff.update({listener, closing}, 3.5);
    REQUIRE(t.size() == 1);
    CHECK(t[0].from == TcpState::established);
    CHECK(t[0].to == TcpState::fin_wait_2);
    CHECK(t[0].seconds_in_from == doctest::Approx(2.5));
    CHECK(format_transition(t[0], "T") ==
          "T  127.0.0.1:4000 127.0.0.1:8001  ESTABLISHED -> FIN_WAIT_2  (2.500 s in ESTABLISHED)");

    t = diff.update({listener}, 4.0);
    REQUIRE(t.size() == 1);
    CHECK(t[0].from == TcpState::fin_wait_2);
    CHECK_FALSE(t[0].to);
    CHECK(t[0].seconds_in_from == doctest::Approx(0.5));
    CHECK(format_transition(t[0], "T") ==
          "T  127.0.0.1:4000 127.0.0.1:8001  FIN_WAIT_2 -> (gone)  (0.500 s in FIN_WAIT_2)");
  }
  SUBCASE("does not know how long a socket of the first snapshot was in its state") {
    diff.update({client}, 0.0);
    auto next = client;
    next.state = TcpState::close_wait;
    auto t = diff.update({next}, 1.0);
    REQUIRE(t.size() == 1);
    CHECK_FALSE(t[0].seconds_in_from);
  }
  SUBCASE("reports queue changes on their own, unless asked not to") {
    diff.update({listener}, 0.0);
    auto t = diff.update({row(TcpState::listen, "127.0.0.1:8001", "0.0.0.0:*", 1)}, 1.0);
    REQUIRE(t.size() == 1);
    CHECK(t[0].queues_only);
    CHECK(t[0].recv_q == 1);
    CHECK(format_transition(t[0], "T") == "T  127.0.0.1:8001 0.0.0.0:*  LISTEN  Recv-Q 1 Send-Q 0");
    CHECK(diff.update({listener}, 2.0, false).empty());
  }
  SUBCASE("sees nothing when nothing changed") {
    diff.update({listener, client}, 0.0);
    CHECK(diff.update({client, listener}, 1.0).empty());
  }
  SUBCASE("keeps two sockets with the same endpoints apart") {
    diff.update({listener, listener}, 0.0);
    CHECK(diff.current().size() == 2);
    auto t = diff.update({listener}, 1.0);
    REQUIRE(t.size() == 1);
    CHECK_FALSE(t[0].to);
  }
  SUBCASE("writes JSON with nulls for (new) and (gone)") {
    auto t = diff.update({listener}, 0.25);
    t[0].source = "ss";
    CHECK(
        transition_json(t[0]) ==
        R"({"time":0.25,"local":"127.0.0.1:8001","remote":"0.0.0.0:*","from":null,"to":"LISTEN",)"
        R"("seconds_in_from":null,"initial":true,"queues_only":false,"recv_q":0,"send_q":0,"source":"ss"})");
  }
}
