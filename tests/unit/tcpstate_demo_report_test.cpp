#include "tcpstate/demo_report.hpp"

#include <doctest/doctest.h>

using namespace socklab;

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
