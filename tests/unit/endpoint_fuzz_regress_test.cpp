// Inputs the endpoint fuzz target (fuzz/endpoint.cpp) found, kept as tests.
#include <string>

#include <doctest/doctest.h>

#include "common/endpoint.hpp"

using socklab::HostPort;
using socklab::parse_listen;
using socklab::parse_peer;

TEST_CASE("parse_peer (fuzz regressions)") {
  SUBCASE("rejects junk after an IPv6 scope instead of dropping the port it hides") {
    // Asio took any text after '%' as a scope: "fe80::1%lo]:2$" was a host
    // and "::1%x:9000" connected to port 8001, not 9000.
    CHECK(parse_peer("fe80::1%lo]:2$", 8001).error() ==
          "'fe80::1%lo]:2$' is not an IPv6 address (write [ADDR]:PORT for a port)");
    CHECK(parse_peer("::1%x:9000", 8001).error() ==
          "'::1%x:9000' is not an IPv6 address (write [ADDR]:PORT for a port)");
    CHECK(parse_peer("[::1%lo]x]:80", 8001).error() == "unexpected 'x]:80' after ']' in '[::1%lo]x]:80'");
    CHECK(parse_peer("[::1%]:80", 8001).error() == "'::1%' is not an IPv6 address");
    CHECK(parse_peer("[fe80::1%a-very-long-name0]:80", 8001).error() ==
          "'fe80::1%a-very-long-name0' is not an IPv6 address");
  }
  SUBCASE("still takes a scope that names an interface or an index") {
    CHECK(*parse_peer("[fe80::1%lo]:22", 8001) == HostPort{"fe80::1%lo", 22});
    CHECK(*parse_peer("fe80::1%eth0.100", 8001) == HostPort{"fe80::1%eth0.100", 8001});
    CHECK(*parse_peer("[fe80::1%2]", 8001) == HostPort{"fe80::1%2", 8001});
  }
  SUBCASE("rejects a NUL inside an IPv6 address, where inet_pton would stop reading") {
    CHECK_FALSE(parse_peer(std::string("::1\0:zz", 7), 8001));
    CHECK_FALSE(parse_peer(std::string("[::1\0x]:80", 10), 8001));
  }
}

TEST_CASE("parse_listen (fuzz regressions)") {
  SUBCASE("rejects junk after an IPv6 scope") {
    CHECK_FALSE(parse_listen("[::%lo]x]:80", 8001));
    CHECK_FALSE(parse_listen("::%x:80", 8001));
  }
}
