#include "udp/probe.hpp"

#include <doctest/doctest.h>

using socklab::decode_probe;
using socklab::encode_probe;
using socklab::ProbeHeader;
using socklab::ProbeStats;

TEST_CASE("probe datagrams") {
  SUBCASE("decode gives back what encode put in") {
    const ProbeHeader h{0x0102030405060708ULL, 123456789012345ULL};
    const std::string d = encode_probe(h, 64);
    CHECK(d.size() == 64);
    CHECK(d.substr(0, 4) == "SLP1");
    CHECK(decode_probe(d) == h);
  }
  SUBCASE("is never shorter than its header") {
    CHECK(encode_probe({7, 8}, 1).size() == socklab::probe_header_size);
  }
  SUBCASE("encodes the largest UDP payload") {
    const std::string d = encode_probe({1, 2}, 65507);
    CHECK(d.size() == 65507);
    CHECK(decode_probe(d) == ProbeHeader{1, 2});
  }
  SUBCASE("rejects a datagram that is too short") {
    CHECK_FALSE(decode_probe(encode_probe({1, 2}, 20).substr(0, 19)));
  }
  SUBCASE("rejects a datagram without the magic") {
    std::string d = encode_probe({1, 2}, 64);
    d[0] = 's';  // what an upper-casing server would not do, but a lower-casing one would
    CHECK_FALSE(decode_probe(d));
    CHECK_FALSE(decode_probe(std::string("hello, this is not a probe")));
  }
}

TEST_CASE("ProbeStats") {
  ProbeStats s(5);
  for (int i = 0; i < 5; ++i) s.on_sent();
  SUBCASE("counts replies and losses") {
    s.on_reply(0, 1.0);
    s.on_reply(1, 2.0);
    s.on_reply(3, 3.0);
    CHECK(s.received() == 3);
    CHECK(s.lost() == 2);
    CHECK(s.loss_percent() == doctest::Approx(40.0));
    CHECK(s.reordered() == 0);
    CHECK(s.duplicated() == 0);
  }
  SUBCASE("a second reply to the same probe is a duplicate, not a reply") {
    s.on_reply(2, 1.0);
    s.on_reply(2, 1.5);
    CHECK(s.received() == 1);
    CHECK(s.duplicated() == 1);
    CHECK(s.reordered() == 0);
  }
  SUBCASE("a reply overtaken by a later one is reordered") {
    s.on_reply(0, 1.0);
    s.on_reply(2, 1.0);
    s.on_reply(1, 1.0);  // late
    s.on_reply(4, 1.0);
    s.on_reply(3, 1.0);  // late
    CHECK(s.reordered() == 2);
    CHECK(s.lost() == 0);
  }
  SUBCASE("a late duplicate counts once, as a duplicate") {
    s.on_reply(1, 1.0);
    s.on_reply(2, 1.0);
    s.on_reply(1, 1.0);
    CHECK(s.duplicated() == 1);
    CHECK(s.reordered() == 0);
  }
  SUBCASE("a sequence number we never sent is foreign") {
    s.on_reply(5, 1.0);
    CHECK(s.foreign() == 1);
    CHECK(s.received() == 0);
  }
  SUBCASE("summarises the round-trip times of first replies") {
    s.on_reply(0, 1.0);
    s.on_reply(1, 3.0);
    s.on_reply(1, 100.0);  // a duplicate's time is not a round trip
    const auto rtt = s.rtt();
    CHECK(rtt.count == 2);
    CHECK(rtt.min == 1.0);
    CHECK(rtt.max == 3.0);
    CHECK(rtt.avg == doctest::Approx(2.0));
  }
}
