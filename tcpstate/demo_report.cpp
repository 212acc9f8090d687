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
  Json expected = Json::object();
  for (const auto& [role, state] : step.expected) expected[role] = state_name(state);
  Json observed = Json::object();
  for (const auto& [role, states] : step.observed) {
    Json seen = Json::array();
    for (TcpState s : states) seen.push_back(state_name(s));
    observed[role] = std::move(seen);
  }
  Json j;
  j["scene"] = step.scene;
  j["step"] = step.number;
  j["call"] = step.call;
  j["expected"] = std::move(expected);
  j["observed"] = std::move(observed);
  j["ok"] = step.ok();
  j["result"] = step.result;
  j["source"] = step.source;
  return json_text(j);
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
