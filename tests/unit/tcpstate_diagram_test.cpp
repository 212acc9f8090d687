#include <doctest/doctest.h>

#include "tcpstate/diagram.hpp"

using namespace socklab;

TEST_CASE("render_diagram") {
  SUBCASE("draws every state in a box") {
    const std::string d = render_diagram({}, false);
    for (TcpState s : all_states) CHECK(d.find(" " + std::string(state_name(s)) + " ") != std::string::npos);
  }
  SUBCASE("marks nothing when nothing is highlighted") {
    const std::string d = render_diagram({}, false);
    // '>' is only ever an arrow head ("v", "##>", "->"); '<' appears only as a marker.
    CHECK(d.find('<') == std::string::npos);
    CHECK(d.find('\x1b') == std::string::npos);
    for (TcpState s : all_states) CHECK(d.find(">" + std::string(state_name(s)) + "<") == std::string::npos);
    CHECK(d == render_diagram({}, true));  // no colour either, even on a terminal
  }
  SUBCASE("marks highlighted states without moving anything") {
    const std::string plain = render_diagram({}, false);
    const std::string marked = render_diagram({TcpState::fin_wait_1, TcpState::closed}, false);
    CHECK(marked.size() == plain.size());
    CHECK(marked.find(">FIN_WAIT_1<") != std::string::npos);
    CHECK(marked.find(">CLOSED<") != std::string::npos);
    CHECK(marked.find(">FIN_WAIT_2<") == std::string::npos);
    CHECK(marked.find("-> CLOSED.") != std::string::npos);  // the arrow text is not a box
  }
  SUBCASE("colours highlighted states on a terminal") {
    const std::string d = render_diagram({TcpState::time_wait}, true);
    CHECK(d.find("\x1b[1;7mTIME_WAIT\x1b[0m") != std::string::npos);
    CHECK(d.find(">TIME_WAIT<") == std::string::npos);
  }
}
