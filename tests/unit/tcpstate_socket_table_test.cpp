#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "tcpstate/socket_table.hpp"

using namespace socklab;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(TCPSTATE_FIXTURES) + "/" + name);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

using Key = std::tuple<TcpState, std::string, std::string>;

std::set<Key> keys(const std::vector<SocketRow>& rows) {
  std::set<Key> out;
  for (const auto& r : rows) out.insert({r.state, r.local, r.remote});
  return out;
}

std::set<TcpState> states(const std::vector<SocketRow>& rows) {
  std::set<TcpState> out;
  for (const auto& r : rows) out.insert(r.state);
  return out;
}

// Every state a source can show: CLOSED sockets are in no table.
const std::set<TcpState> every_shown_state{TcpState::listen,      TcpState::syn_sent,   TcpState::syn_rcvd,
                                           TcpState::established, TcpState::fin_wait_1, TcpState::fin_wait_2,
                                           TcpState::close_wait,  TcpState::closing,    TcpState::last_ack,
                                           TcpState::time_wait};

}  // namespace

TEST_CASE("parse_ss") {
  SUBCASE("reads a captured ss -tan with every state, IPv4 and IPv6") {
    auto rows = parse_ss(fixture("ss_tan.txt"));
    REQUIRE(rows);
    CHECK(rows->size() == 36);
    CHECK(states(*rows) == every_shown_state);
    const SocketRow& fin = rows->at(5);
    CHECK(fin.state == TcpState::fin_wait_1);
    CHECK(fin.local == "127.0.0.1:51382");
    CHECK(fin.remote == "127.0.0.1:38865");
    CHECK(fin.local_port == 51382);
    CHECK(fin.send_q == 2985985);
    CHECK(rows->at(18).local == "[::1]:34447");
    CHECK(rows->at(18).remote == "[::]:*");
    CHECK(rows->at(18).recv_q == 1);
  }
  SUBCASE("reads ss -tano's timers") {
    auto rows = parse_ss(fixture("ss_tano.txt"));
    REQUIRE(rows);
    auto tw =
        std::find_if(rows->begin(), rows->end(), [](auto& r) { return r.state == TcpState::time_wait; });
    REQUIRE(tw != rows->end());
    CHECK(tw->timer == "timewait");
    REQUIRE(tw->timer_left);
    CHECK(*tw->timer_left > 50);
    CHECK(*tw->timer_left <= 60);
    CHECK(keys(*rows) == keys(*parse_ss(fixture("ss_tan.txt"))));
  }
  SUBCASE("reads odd spacing, tabs, CRLF, a Netid column, '*', mapped and scoped addresses") {
    auto rows = parse_ss(
        "Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port\r\n"
        "tcp\tLISTEN   0  128   *:8001   *:*\r\n"
        "  ESTAB 0 0 [::ffff:127.0.0.1]:8001    [::ffff:127.0.0.1]:40000   timer:(keepalive,1min5sec,0)\n"
        "SYN-SENT 0 1 [fe80::1]%lo:5000 [fe80::2]%lo:22\n"
        "\n");
    REQUIRE(rows);
    REQUIRE(rows->size() == 3);
    CHECK(rows->at(0).local == "[::]:8001");
    CHECK(rows->at(0).remote == "[::]:*");
    CHECK(rows->at(0).remote_port == 0);
    CHECK(rows->at(1).local == "127.0.0.1:8001");
    CHECK(rows->at(1).timer == "keepalive");
    CHECK(rows->at(1).timer_left == doctest::Approx(65));
    CHECK(rows->at(2).local == "[fe80::1]:5000");
    CHECK(rows->at(2).state == TcpState::syn_sent);
  }
  SUBCASE("names the line and the problem") {
    CHECK(parse_ss("State\nBOGUS 0 0 1.2.3.4:1 1.2.3.4:2\n").error() == "line 2: unknown state 'BOGUS'");
    CHECK(parse_ss("ESTAB 0 0 1.2.3.4:1\n").error() == "line 1: expected 5 columns, got 4");
    CHECK(parse_ss("ESTAB x 0 1.2.3.4:1 1.2.3.4:2\n").error() == "line 1: bad Recv-Q/Send-Q 'x 0'");
    CHECK(parse_ss("ESTAB 0 0 1.2.3:1 1.2.3.4:2\n").error() == "line 1: bad local address '1.2.3:1'");
    CHECK(parse_ss("ESTAB 0 0 1.2.3.4:1 1.2.3.4:99999\n").error() ==
          "line 1: bad remote address '1.2.3.4:99999'");
  }
}

TEST_CASE("parse_netstat") {
  SUBCASE("reads a captured netstat -tan: the same sockets as ss") {
    auto rows = parse_netstat(fixture("netstat_tan.txt"));
    REQUIRE(rows);
    CHECK(rows->size() == 36);
    CHECK(keys(*rows) == keys(*parse_ss(fixture("ss_tan.txt"))));
    CHECK(keys(*parse_netstat(fixture("netstat_tanW.txt"))) == keys(*rows));
  }
  SUBCASE("reads ':::*', mapped IPv4 and udp lines among tcp ones") {
    auto rows = parse_netstat(
        "Proto Recv-Q Send-Q Local Address Foreign Address State\n"
        "tcp6  0 0 :::8001 :::* LISTEN\n"
        "udp   0 0 0.0.0.0:68 0.0.0.0:*\n"
        "tcp6\t0\t0\t::ffff:127.0.0.1:8001\t::ffff:127.0.0.1:4000\tCLOSE_WAIT   \n");
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK(rows->at(0).local == "[::]:8001");
    CHECK(rows->at(0).remote == "[::]:*");
    CHECK(rows->at(1).local == "127.0.0.1:8001");
    CHECK(rows->at(1).state == TcpState::close_wait);
  }
  SUBCASE("names the line and the problem") {
    CHECK(parse_netstat("tcp 0 0 1.2.3.4:1 1.2.3.4:2 WAITING\n").error() ==
          "line 1: unknown state 'WAITING'");
    CHECK(parse_netstat("tcp 0 0 1.2.3.4:1\n").error() == "line 1: expected 6 columns, got 4");
  }
}

TEST_CASE("parse_proc_net_tcp") {
  SUBCASE("reads captured /proc/net/tcp and tcp6: the same sockets as ss") {
    auto v4 = parse_proc_net_tcp(fixture("proc_net_tcp.txt"));
    auto v6 = parse_proc_net_tcp(fixture("proc_net_tcp6.txt"));
    REQUIRE(v4);
    REQUIRE(v6);
    std::vector<SocketRow> all = *v4;
    all.insert(all.end(), v6->begin(), v6->end());
    CHECK(keys(all) == keys(*parse_ss(fixture("ss_tan.txt"))));
    CHECK(v4->at(0).local == "127.0.0.1:33637");
    CHECK(v4->at(0).remote == "0.0.0.0:*");
    CHECK(v4->at(0).recv_q == 1);  // a listener's rx_queue: its accept queue
  }
  SUBCASE("reads queues in hex and IPv4-mapped IPv6") {
    auto rows = parse_proc_net_tcp(
        "  sl  local_address rem_address st tx_queue rx_queue\n"
        "   0: 0000000000000000FFFF00000100007F:1F41 0000000000000000FFFF00000100007F:9C40 08 "
        "00000010:000000FF 00\n");
    REQUIRE(rows);
    CHECK(rows->at(0).local == "127.0.0.1:8001");
    CHECK(rows->at(0).remote_port == 40000);
    CHECK(rows->at(0).state == TcpState::close_wait);
    CHECK(rows->at(0).send_q == 16);
    CHECK(rows->at(0).recv_q == 255);
  }
  SUBCASE("names the line and the problem") {
    CHECK(parse_proc_net_tcp("0: 0100007F:1F41 00000000:0000 0D 0:0\n").error() ==
          "line 1: unknown state '0D'");
    CHECK(parse_proc_net_tcp("0: 0100007:1F41 00000000:0000 0A 0:0\n").error() ==
          "line 1: bad address '0100007:1F41'");
    CHECK(parse_proc_net_tcp("0: 0100007F:1F41 00000000:0000 0A 00\n").error() == "line 1: bad queues '00'");
    CHECK(parse_proc_net_tcp("garbage\n").error() == "line 1: not a /proc/net/tcp row");
  }
}

TEST_CASE("parse_ss_duration") {
  SUBCASE("reads ss's timer spellings") {
    CHECK(parse_ss_duration("59sec") == doctest::Approx(59));
    CHECK(parse_ss_duration("924ms") == doctest::Approx(0.924));
    CHECK(parse_ss_duration("1.244ms") == doctest::Approx(1.244));
    CHECK(parse_ss_duration("1min") == doctest::Approx(60));
    CHECK(parse_ss_duration("2min5sec") == doctest::Approx(125));
  }
  SUBCASE("rejects other text") {
    CHECK_FALSE(parse_ss_duration(""));
    CHECK_FALSE(parse_ss_duration("sec"));
    CHECK_FALSE(parse_ss_duration("5s"));
    CHECK_FALSE(parse_ss_duration("1.5"));
  }
}

TEST_CASE("SocketFilter") {
  SUBCASE("matches a port at either end") {
    SocketFilter f{8001, ""};
    CHECK(f.matches("127.0.0.1:8001", 8001, "127.0.0.1:4000", 4000));
    CHECK(f.matches("127.0.0.1:4000", 4000, "127.0.0.1:8001", 8001));
    CHECK_FALSE(f.matches("127.0.0.1:4000", 4000, "127.0.0.1:4001", 4001));
  }
  SUBCASE("matches a host at either end, IPv6 too") {
    SocketFilter f{0, *normalise_host("[::1]")};
    CHECK(f.matches("[::1]:80", 80, "[::]:*", 0));
    CHECK_FALSE(f.matches("127.0.0.1:80", 80, "0.0.0.0:*", 0));
    CHECK(*normalise_host("::ffff:127.0.0.1") == "127.0.0.1");
    CHECK_FALSE(normalise_host("localhost"));
  }
}

TEST_CASE("parse_host") {
  SUBCASE("reads IPv4, IPv6 in brackets or not, and drops a scope") {
    CHECK(parse_host("127.0.0.1")->to_string() == "127.0.0.1");
    CHECK(parse_host("[::1]")->to_string() == "::1");
    CHECK(parse_host("fe80::1%lo")->to_string() == "fe80::1");
  }
  SUBCASE("an IPv4-mapped address is the IPv4 it maps") {
    const auto address = parse_host("::ffff:10.0.0.2");
    REQUIRE(address);
    CHECK(address->is_v4());
    CHECK(address->to_string() == "10.0.0.2");
  }
  SUBCASE("names what is not an address") {
    CHECK(parse_host("example").error() == "'example' is not an IP address");
    CHECK(parse_host("127.0.0.1:80").error() == "'127.0.0.1:80' is not an IP address");
    CHECK(parse_host("").error() == "'' is not an IP address");
  }
}
