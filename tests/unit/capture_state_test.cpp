#include <doctest/doctest.h>

#include "capture/state.hpp"

using namespace socklab;

TEST_CASE("parse_state") {
  SUBCASE("reads the course's own names") {
    for (TcpState s : all_states) CHECK(parse_state(state_name(s)) == s);
  }
  SUBCASE("reads ss's spellings") {
    CHECK(parse_state("ESTAB") == TcpState::established);
    CHECK(parse_state("SYN-RECV") == TcpState::syn_rcvd);
    CHECK(parse_state("SYN-SENT") == TcpState::syn_sent);
    CHECK(parse_state("FIN-WAIT-1") == TcpState::fin_wait_1);
    CHECK(parse_state("FIN-WAIT-2") == TcpState::fin_wait_2);
    CHECK(parse_state("CLOSE-WAIT") == TcpState::close_wait);
    CHECK(parse_state("LAST-ACK") == TcpState::last_ack);
    CHECK(parse_state("TIME-WAIT") == TcpState::time_wait);
    CHECK(parse_state("UNCONN") == TcpState::closed);
  }
  SUBCASE("reads netstat's spellings") {
    CHECK(parse_state("FIN_WAIT1") == TcpState::fin_wait_1);
    CHECK(parse_state("FIN_WAIT2") == TcpState::fin_wait_2);
    CHECK(parse_state("SYN_RECV") == TcpState::syn_rcvd);
    CHECK(parse_state("CLOSE") == TcpState::closed);
  }
  SUBCASE("reads the kernel's names, in any case") {
    CHECK(parse_state("TCP_NEW_SYN_RECV") == TcpState::syn_rcvd);
    CHECK(parse_state("TCP_CLOSE_WAIT") == TcpState::close_wait);
    CHECK(parse_state("fin-wait-1") == TcpState::fin_wait_1);
    CHECK(parse_state("time_wait") == TcpState::time_wait);
  }
  SUBCASE("rejects what is not a state") {
    CHECK_FALSE(parse_state(""));
    CHECK_FALSE(parse_state("TCP"));
    CHECK_FALSE(parse_state("FIN_WAIT_3"));
    CHECK_FALSE(parse_state("ESTABLISHED "));
    CHECK_FALSE(parse_state("LISTEN\n"));
  }
}

TEST_CASE("state_from_kernel") {
  SUBCASE("maps include/net/tcp_states.h's numbers") {
    CHECK(state_from_kernel(1) == TcpState::established);
    CHECK(state_from_kernel(2) == TcpState::syn_sent);
    CHECK(state_from_kernel(3) == TcpState::syn_rcvd);
    CHECK(state_from_kernel(4) == TcpState::fin_wait_1);
    CHECK(state_from_kernel(5) == TcpState::fin_wait_2);
    CHECK(state_from_kernel(6) == TcpState::time_wait);
    CHECK(state_from_kernel(7) == TcpState::closed);
    CHECK(state_from_kernel(8) == TcpState::close_wait);
    CHECK(state_from_kernel(9) == TcpState::last_ack);
    CHECK(state_from_kernel(10) == TcpState::listen);
    CHECK(state_from_kernel(11) == TcpState::closing);
    CHECK(state_from_kernel(12) == TcpState::syn_rcvd);
  }
  SUBCASE("rejects numbers outside 1-12") {
    CHECK_FALSE(state_from_kernel(0));
    CHECK_FALSE(state_from_kernel(13));
    CHECK_FALSE(state_from_kernel(-1));
  }
}
