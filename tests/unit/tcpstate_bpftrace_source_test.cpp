#include <doctest/doctest.h>

#include <string>

#include "tcpstate/bpftrace_source.hpp"

using namespace socklab;

TEST_CASE("parse_bpftrace_line") {
  SUBCASE("reads an IPv4 and an IPv6 transition") {
    auto t = parse_bpftrace_line("T 4270657876789 ffff8880a1b2c3d4 127.0.0.1 59854 127.0.0.1 60369 4 5");
    REQUIRE(t);
    CHECK(t->nanoseconds == 4270657876789ULL);
    CHECK(t->socket == 0xffff8880a1b2c3d4ULL);
    CHECK(t->local == "127.0.0.1:59854");
    CHECK(t->remote == "127.0.0.1:60369");
    CHECK(t->from == TcpState::fin_wait_1);
    CHECK(t->to == TcpState::fin_wait_2);
    auto v6 = parse_bpftrace_line("T 1 ff ::1 0 ::1 39811 7 2");
    REQUIRE(v6);
    CHECK(v6->local == "[::1]:*");
    CHECK(v6->from == TcpState::closed);
    CHECK(v6->to == TcpState::syn_sent);
    CHECK(parse_bpftrace_line("T 1 ff ::1 39811 :: 0 10 12")->to == TcpState::syn_rcvd);
  }
  SUBCASE("skips bpftrace's other lines and damaged ones") {
    CHECK_FALSE(parse_bpftrace_line("Attaching 1 probe..."));
    CHECK_FALSE(parse_bpftrace_line(""));
    CHECK_FALSE(parse_bpftrace_line("T 1 ff 127.0.0.1 1 127.0.0.1 2 4"));
    CHECK_FALSE(parse_bpftrace_line("T 1 ff 127.0.0.1 1 127.0.0.1 2 4 99"));
    CHECK_FALSE(parse_bpftrace_line("T 1 ff 127.0.0.1 70000 127.0.0.1 2 4 5"));
    CHECK_FALSE(parse_bpftrace_line("T x ff 127.0.0.1 1 127.0.0.1 2 4 5"));
  }
  SUBCASE("the program prints what the parser reads") {
    CHECK(bpftrace_program().find("sock:inet_sock_set_state") != std::string_view::npos);
    CHECK(bpftrace_program().find("\"T %llu %llx %s %u %s %u %d %d\\n\"") != std::string_view::npos);
  }
  SUBCASE("it says READY once its probe is attached") {
    CHECK(bpftrace_program().starts_with("BEGIN { printf(\"READY\\n\"); }\n"));
    CHECK_FALSE(parse_bpftrace_line("READY"));
  }
  SUBCASE("with a namespace it keeps only that namespace's sockets") {
    CHECK(bpftrace_program().find("inum") == std::string::npos);
    CHECK(
        bpftrace_program(4026531833)
            .find(
                "/args->protocol == 6 && ((struct sock *)args->skaddr)->__sk_common.skc_net.net->ns.inum == "
                "4026531833/") != std::string::npos);
  }
}
