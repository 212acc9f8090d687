#include "common/connect.hpp"

#include <doctest/doctest.h>

#include <string>

#include <asio/ip/tcp.hpp>

#include "common/error.hpp"

using asio::ip::tcp;
using socklab::TcpPeer;

namespace {

// A loopback port with a socket bound but not listening: a SYN to it is
// answered with RST, as if nothing were there.
struct ClosedPort {
  asio::io_context io;
  tcp::socket holder{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::uint16_t port() const { return holder.local_endpoint().port(); }
};

}  // namespace

TEST_CASE("connect_failure") {
  const TcpPeer one{{"127.0.0.1", 9}, {tcp::endpoint(asio::ip::make_address("127.0.0.1"), 9)}};
  const TcpPeer two{{"localhost", 9},
                    {tcp::endpoint(asio::ip::make_address("::1"), 9),
                     tcp::endpoint(asio::ip::make_address("127.0.0.1"), 9)}};
  SUBCASE("says nothing is listening, at the address when there is one") {
    CHECK(socklab::connect_failure(asio::error::connection_refused, one, 10) ==
          "connection refused: nothing is listening on 127.0.0.1:9");
  }
  SUBCASE("names the peer as typed when it has several addresses") {
    CHECK(socklab::connect_failure(asio::error::connection_refused, two, 10) ==
          "connection refused: nothing is listening on localhost:9");
  }
  SUBCASE("names the time limit and the option that sets it") {
    CHECK(socklab::connect_failure(asio::error::timed_out, one, 0.5) ==
          "no answer within 0.5 s (--connect-timeout)");
  }
  SUBCASE("passes any other reason through") {
    CHECK(socklab::connect_failure(asio::error::network_unreachable, one, 1) ==
          std::error_code(asio::error::network_unreachable).message());
  }
}

TEST_CASE("connect_to") {
  SUBCASE("connects to a listener and sets TCP_NODELAY") {
    asio::io_context io;
    tcp::acceptor listener(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const TcpPeer peer =
        socklab::resolve_peer(io, {"127.0.0.1", listener.local_endpoint().port()}, socklab::Family::v4);
    tcp::socket socket = socklab::connect_to(io, peer, 5);
    CHECK(socket.remote_endpoint() == listener.local_endpoint());
    tcp::no_delay nodelay;
    socket.get_option(nodelay);
    CHECK(nodelay.value());
  }
  SUBCASE("throws the step and the words for a refused connection") {
    ClosedPort closed;
    asio::io_context io;
    const TcpPeer peer = socklab::resolve_peer(io, {"127.0.0.1", closed.port()}, socklab::Family::v4);
    const std::string where = "127.0.0.1:" + std::to_string(closed.port());
    try {
      socklab::connect_to(io, peer, 5);
      FAIL("connected to a port nobody listens on");
    } catch (const socklab::StepError& e) {
      CHECK(e.step() == "connect " + where);
      CHECK(e.reason() == "connection refused: nothing is listening on " + where);
    }
  }
}

TEST_CASE("resolve_peer") {
  asio::io_context io;
  SUBCASE("throws the step and the words for an unknown host") {
    try {
      socklab::resolve_peer(io, {"no-such-host.invalid", 1}, socklab::Family::any);
      FAIL("resolved a host that cannot exist");
    } catch (const socklab::StepError& e) {
      CHECK(e.step() == "resolve no-such-host.invalid");
      CHECK(e.reason() == "unknown host 'no-such-host.invalid'");
    }
  }
  SUBCASE("tells what it found, for --trace") {
    CHECK(socklab::resolve_peer(io, {"127.0.0.1", 7}, socklab::Family::v4).resolved() ==
          "127.0.0.1 -> 127.0.0.1:7");
  }
}
