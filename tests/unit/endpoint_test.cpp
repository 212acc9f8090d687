#include "common/endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <doctest/doctest.h>

using socklab::HostPort;
using socklab::parse_listen;
using socklab::parse_peer;

TEST_CASE("parse_peer") {
  SUBCASE("takes HOST:PORT") {
    auto r = parse_peer("example.org:80", 8001);
    REQUIRE(r);
    CHECK(*r == HostPort{"example.org", 80});
  }
  SUBCASE("uses the default port when there is none") {
    CHECK(*parse_peer("localhost", 8001) == HostPort{"localhost", 8001});
  }
  SUBCASE("takes a bracketed IPv6 address with a port") {
    CHECK(*parse_peer("[::1]:9000", 8001) == HostPort{"::1", 9000});
  }
  SUBCASE("takes a bracketed IPv6 address without a port") {
    CHECK(*parse_peer("[fe80::1]", 8001) == HostPort{"fe80::1", 8001});
  }
  SUBCASE("takes a bare IPv6 address as a host") {
    CHECK(*parse_peer("::1", 8001) == HostPort{"::1", 8001});
    CHECK(*parse_peer("2001:db8::7", 8) == HostPort{"2001:db8::7", 8});
  }
  SUBCASE("takes the highest port") { CHECK(parse_peer("h:65535", 1)->port == 65535); }
  SUBCASE("rejects a port above 65535") {
    auto r = parse_peer("localhost:70000", 8001);
    REQUIRE_FALSE(r);
    CHECK(r.error() == "port 70000 is out of range (0-65535)");
  }
  SUBCASE("rejects a huge port without overflowing") {
    CHECK(parse_peer("h:99999999999999999999", 1).error() ==
          "port 99999999999999999999 is out of range (0-65535)");
  }
  SUBCASE("rejects an unclosed bracket") {
    CHECK(parse_peer("[::1", 8001).error() == "missing ']' in '[::1'");
  }
  SUBCASE("rejects an empty host") {
    CHECK(parse_peer(":8001", 8001).error() == "empty host in ':8001'");
    CHECK(parse_peer("[]:80", 8001).error() == "empty host in '[]:80'");
  }
  SUBCASE("rejects a colon with no port") {
    CHECK(parse_peer("host:", 8001).error() == "missing port after ':' in 'host:'");
  }
  SUBCASE("rejects an empty string") { CHECK(parse_peer("", 8001).error() == "empty address"); }
  SUBCASE("rejects a port that is not a number") {
    CHECK(parse_peer("host:http", 8001).error() == "port 'http' is not a number");
    CHECK(parse_peer("host:-1", 8001).error() == "port '-1' is not a number");
    CHECK(parse_peer("host:80x", 8001).error() == "port '80x' is not a number");
  }
  SUBCASE("rejects port 0 for a peer") {
    CHECK(parse_peer("host:0", 8001).error() == "port 0 cannot be a peer's port (use 1-65535)");
  }
  SUBCASE("rejects junk in brackets and after them") {
    CHECK(parse_peer("[nothost]:80", 1).error() == "'nothost' is not an IPv6 address");
    CHECK(parse_peer("[::1]80", 1).error() == "unexpected '80' after ']' in '[::1]80'");
    CHECK_FALSE(parse_peer("1:2:zz", 1));
  }
}

TEST_CASE("parse_listen") {
  SUBCASE("takes a bare port") { CHECK(*parse_listen("8001", 1) == HostPort{"", 8001}); }
  SUBCASE("takes :PORT as all interfaces") { CHECK(*parse_listen(":0", 1) == HostPort{"", 0}); }
  SUBCASE("takes HOST:PORT and [V6]:PORT") {
    CHECK(*parse_listen("127.0.0.1:0", 1) == HostPort{"127.0.0.1", 0});
    CHECK(*parse_listen("[::1]:8001", 1) == HostPort{"::1", 8001});
  }
  SUBCASE("takes a host alone with the default port") {
    CHECK(*parse_listen("localhost", 8006) == HostPort{"localhost", 8006});
  }
  SUBCASE("rejects port 70000") {
    CHECK(parse_listen("70000", 1).error() == "port 70000 is out of range (0-65535)");
    CHECK(parse_listen(":70000", 1).error() == "port 70000 is out of range (0-65535)");
  }
  SUBCASE("rejects host: with no port") {
    CHECK(parse_listen("host:", 1).error() == "missing port after ':' in 'host:'");
  }
}

TEST_CASE("format_address") {
  using asio::ip::make_address;
  SUBCASE("writes IPv4 as ADDR:PORT") {
    CHECK(socklab::format_address(make_address("127.0.0.1"), 8001) == "127.0.0.1:8001");
  }
  SUBCASE("writes IPv6 in brackets") {
    CHECK(socklab::format_address(make_address("::1"), 80) == "[::1]:80");
  }
  SUBCASE("writes IPv4-mapped IPv6 as IPv4") {
    CHECK(socklab::format_address(make_address("::ffff:10.0.0.1"), 5) == "10.0.0.1:5");
  }
}

TEST_CASE("endpoint_from") {
  sockaddr_storage storage{};
  SUBCASE("reads an IPv4 address the kernel filled in") {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(8006);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto e = socklab::endpoint_from<asio::ip::udp::endpoint>(storage, sizeof(sockaddr_in));
    CHECK(socklab::to_string(e) == "127.0.0.1:8006");
  }
  SUBCASE("reads an IPv6 address the kernel filled in") {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(8008);
    in6->sin6_addr = in6addr_loopback;
    const auto e = socklab::endpoint_from<asio::ip::tcp::endpoint>(storage, sizeof(sockaddr_in6));
    CHECK(socklab::to_string(e) == "[::1]:8008");
  }
}

TEST_CASE("to_string(HostPort)") {
  SUBCASE("writes a name or IPv4 as HOST:PORT") {
    CHECK(socklab::to_string(socklab::HostPort{"localhost", 8001}) == "localhost:8001");
  }
  SUBCASE("writes IPv6 in brackets") {
    CHECK(socklab::to_string(socklab::HostPort{"::1", 80}) == "[::1]:80");
  }
  SUBCASE("writes all interfaces as :PORT, which parse_listen reads back") {
    CHECK(socklab::to_string(socklab::HostPort{"", 8006}) == ":8006");
    CHECK(*socklab::parse_listen(":8006", 1) == socklab::HostPort{"", 8006});
  }
}

TEST_CASE("resolve_tcp") {
  asio::io_context io;
  SUBCASE("resolves a literal address without DNS") {
    auto r = socklab::resolve_tcp(io, {"127.0.0.1", 8001}, socklab::Family::any);
    REQUIRE(r);
    CHECK(socklab::to_string(r->front()) == "127.0.0.1:8001");
  }
  SUBCASE("names an unknown host") {
    auto r = socklab::resolve_tcp(io, {"no-such-host.invalid", 1}, socklab::Family::any);
    REQUIRE_FALSE(r);
    CHECK(r.error() == "unknown host 'no-such-host.invalid'");
  }
  SUBCASE("honours -6 for a literal IPv4 address") {
    auto r = socklab::resolve_tcp(io, {"127.0.0.1", 1}, socklab::Family::v6);
    CHECK_FALSE(r);
  }
}
