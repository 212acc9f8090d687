#include "tcpstate/demo_report.hpp"

#include <algorithm>

#include "common/json.hpp"

namespace socklab {

void StepReport::observe(const std::string& role, TcpState state) {
  auto& seen = observed[role];
  if (seen.empty() || seen.back() != state) seen.push_back(state);
}

bool StepReport::ok() const {
  return std::all_of(expected.begin(), expected.end(), [&](const auto& e) {
    auto it = observed.find(e.first);
    return it != observed.end() &&
           std::find(it->second.begin(), it->second.end(), e.second) != it->second.end();
  });
}

std::string step_json(const StepReport& step) {
  std::string expected = "{";
  for (const auto& [role, state] : step.expected) {
    if (expected.size() > 1) expected += ",";
    expected += json_quote(role) + ":" + json_quote(state_name(state));
  }
  expected += "}";
  std::string observed = "{";
  for (const auto& [role, states] : step.observed) {
    if (observed.size() > 1) observed += ",";
    observed += json_quote(role) + ":[";
    for (std::size_t i = 0; i < states.size(); ++i)
      observed += (i ? "," : "") + json_quote(state_name(states[i]));
    observed += "]";
  }
  observed += "}";
  return JsonLine()
      .add("scene", step.scene)
      .add("step", step.number)
      .add("call", step.call)
      .add_raw("expected", expected)
      .add_raw("observed", observed)
      .add("ok", step.ok())
      .add("result", step.result)
      .add("source", step.source)
      .str();
}

std::string step_text(const StepReport& step) {
  std::string out;
  if (!step.expected.empty()) {
    out += "    expected: ";
    for (std::size_t i = 0; i < step.expected.size(); ++i) {
      out +=
          (i ? ", " : "") + step.expected[i].first + " " + std::string(state_name(step.expected[i].second));
    }
    out += "\n";
  }
  out += "    observed: ";
  bool first = true;
  for (const auto& [role, states] : step.observed) {
    out += (first ? "" : ", ") + role + " ";
    first = false;
    for (std::size_t i = 0; i < states.size(); ++i)
      out += (i ? " -> " : "") + std::string(state_name(states[i]));
  }
  if (first) out += "(nothing)";
  if (!step.expected.empty()) out += step.ok() ? "   [ok]" : "   [MISSED]";
  out += "  (source: " + step.source + ")\n";
  return out;
}

}  // namespace socklab
