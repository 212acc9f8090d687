#include <doctest/doctest.h>

#include "tcpstate/demo_report.hpp"
#include "tcpstate/diagram.hpp"

using namespace socklab;

TEST_CASE("render_diagram") {
  SUBCASE("draws every state in a box") {
    const std::string d = render_diagram({}, false);
    for (TcpState s : all_states) CHECK(d.find(" " + std::string(state_name(s)) + " ") != std::string::npos);
    CHECK(d.find('>') != std::string::npos);  // arrows only, no markers
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

TEST_CASE("StepReport") {
  StepReport step;
  step.scene = "lifecycle";
  step.number = 7;
  step.call = "shutdown";
  step.source = "proc";
  step.expected = {{"client", TcpState::fin_wait_1}, {"server", TcpState::established}};

  SUBCASE("is ok only when every expected state was observed for its role") {
    CHECK_FALSE(step.ok());
    step.observe("client", TcpState::established);
    step.observe("client", TcpState::fin_wait_1);
    CHECK_FALSE(step.ok());
    step.observe("server", TcpState::fin_wait_1);  // the wrong role
    CHECK_FALSE(step.ok());
    step.observe("server", TcpState::established);
    CHECK(step.ok());
  }
  SUBCASE("folds repeated observations") {
    step.observe("client", TcpState::established);
    step.observe("client", TcpState::established);
    step.observe("client", TcpState::fin_wait_1);
    CHECK(step.observed["client"] == std::vector<TcpState>{TcpState::established, TcpState::fin_wait_1});
  }
  SUBCASE("writes expected and observed as JSON") {
    step.observe("client", TcpState::fin_wait_1);
    CHECK(
        step_json(step) ==
        R"({"scene":"lifecycle","step":7,"call":"shutdown","expected":{"client":"FIN_WAIT_1","server":"ESTABLISHED"},)"
        R"("observed":{"client":["FIN_WAIT_1"]},"ok":false,"result":"","source":"proc"})");
    CHECK(step_text(step) ==
          "    expected: client FIN_WAIT_1, server ESTABLISHED\n"
          "    observed: client FIN_WAIT_1   [MISSED]  (source: proc)\n");
  }
}
