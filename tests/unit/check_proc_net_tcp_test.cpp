// check/proc_net_tcp: the kernel's socket table text, and the listening
// socket found in it (the port a student's server chose).
#include <doctest/doctest.h>

#include "check/ladder_evidence.hpp"
#include "check/probe.hpp"
#include "check/proc_net_tcp.hpp"

using namespace socklab;

namespace {

// As this kernel prints it: a header, then one socket a line.
constexpr const char* tcp_text =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:91F4 0100007F:1F41 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0 20 4 "
    "30 10 -1\n"
    "   1: 0100007F:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 "
    "0 10 0\n"
    "   2: 0100007F:1F41 0100007F:925C 08 00000003:0000000E 00:00000000 00000000     0        0 3 1 0 20 4 "
    "29 11 -1\n";

constexpr const char* tcp6_text =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue\n"
    "   0: 00000000000000000000000001000000:1F46 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:0\n";

}  // namespace

TEST_CASE("parse_proc_net_tcp") {
  SUBCASE("reads addresses, ports, state and queues") {
    const auto rows = parse_proc_net_tcp(tcp_text, false);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].local_ip == "127.0.0.1");
    CHECK(rows[0].local_port == 37364);
    CHECK(rows[0].remote_port == 8001);
    CHECK(rows[0].state == 1);
    CHECK(rows[2].state == 8);
    CHECK(rows[2].send_queue == 3);
    CHECK(rows[2].recv_queue == 14);
    CHECK(rows[2].line ==
          "2: 0100007F:1F41 0100007F:925C 08 00000003:0000000E 00:00000000 00000000     0        0 3 1 0 20 "
          "4 29 11 -1");
    CHECK(row_text(rows[2]) == "127.0.0.1:8001 <- 127.0.0.1:37468 CLOSE_WAIT recv-q 14 send-q 3");
  }
  SUBCASE("reads IPv6 addresses") {
    const auto rows = parse_proc_net_tcp(tcp6_text, true);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].local_ip == "::1");
    CHECK(row_endpoint(rows[0].local_ip, rows[0].local_port) == "[::1]:8006");
  }
  SUBCASE("skips lines that do not parse") {
    CHECK(parse_proc_net_tcp("garbage\n  0: 0100007F:XYZ 00000000:0000 0A 0:0\n", false).empty());
    CHECK(parse_proc_net_tcp(tcp6_text, false).empty());  // v6 text read as v4
  }
}

TEST_CASE("first_listening") {
  SUBCASE("the first LISTEN row of tcp, not the connections before it") {
    auto row = first_listening(parse_proc_net_tcp(tcp_text, false), parse_proc_net_tcp(tcp6_text, true));
    REQUIRE(row);
    CHECK(row->local_port == 8001);
    CHECK(row->local_ip == "127.0.0.1");
  }
  SUBCASE("then tcp6's") {
    auto row = first_listening({}, parse_proc_net_tcp(tcp6_text, true));
    REQUIRE(row);
    CHECK(row->local_port == 8006);
  }
  SUBCASE("none when nothing listens") {
    auto tcp = parse_proc_net_tcp(tcp_text, false);
    std::erase_if(tcp, [](const TcpRow& r) { return r.state == 10; });
    CHECK_FALSE(first_listening(tcp, {}));
  }
}

TEST_CASE("bytes_difference") {
  CHECK(bytes_difference("abc", "abc") == "");
  CHECK(bytes_difference("abc\n", std::string("abc\n\0\0", 6)) ==
        "expected 4 bytes, got 6; first difference at byte 4: expected nothing, got 0x00");
  CHECK(bytes_difference("hello", "help") ==
        "expected 5 bytes, got 4; first difference at byte 3: expected 0x6c 'l', got 0x70 'p'");
  CHECK(bytes_difference("hi", "") ==
        "expected 2 bytes, got 0; first difference at byte 0: expected 0x68 'h', got nothing");
}

TEST_CASE("ladder_evidence") {
  auto seg = [](std::uint16_t from, std::uint16_t to, std::uint8_t flags, std::uint32_t seq,
                std::uint32_t ack, double t) {
    Segment s;
    s.time = t;
    s.src.bytes[0] = s.dst.bytes[0] = 127;
    s.src.bytes[3] = s.dst.bytes[3] = 1;
    s.src_port = from;
    s.dst_port = to;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.window = 512;
    return s;
  };
  const std::vector<Segment> segments = {
      seg(4000, 8001, tcp_syn, 100, 0, 1.0),
      seg(8001, 4000, tcp_syn | tcp_ack, 500, 101, 1.001),
      seg(4000, 8001, tcp_ack, 101, 501, 1.002),
      seg(5000, 8001, tcp_syn, 900, 0, 1.003),  // another connection
      seg(4000, 8001, tcp_fin | tcp_ack, 101, 501, 1.5),
      seg(8001, 4000, tcp_ack, 501, 102, 1.501),
  };
  SUBCASE("from the FIN on: the teardown of that connection, with both states") {
    CHECK(ladder_evidence(segments, 4000, 8001, true, 6) ==
          std::vector<std::string>{
              "ladder: +0.500s client -> server  FIN+ACK seq 1 ack 1  client FIN_WAIT_1, server CLOSE_WAIT",
              "ladder: +0.501s server -> client  ACK seq 1 ack 2  client FIN_WAIT_2, server CLOSE_WAIT"});
  }
  SUBCASE("the whole connection, cut to the last lines") {
    const auto lines = ladder_evidence(segments, 4000, 8001, false, 2);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].starts_with("ladder: +0.500s client -> server  FIN+ACK"));
  }
}

TEST_CASE("first_bound") {
  // /proc/net/udp: a bound socket, then one of ours connected to it.
  constexpr const char* udp_text =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
      "pointer drops\n"
      "  1: 0100007F:9C40 0100007F:1F46 01 00000000:00000000 00:00000000 00000000     0        0 7 2 0 0\n"
      "  2: 00000000:1F46 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 8 2 0 0\n";
  auto row = first_bound(parse_proc_net_tcp(udp_text, false), {});
  REQUIRE(row);
  CHECK(row->local_port == 8006);
  CHECK(row->local_ip == "0.0.0.0");
  CHECK_FALSE(first_bound({}, {}));
}
