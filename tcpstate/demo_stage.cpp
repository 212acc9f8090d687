#include "tcpstate/demo_stage.hpp"

#include <chrono>
#include <ostream>
#include <thread>

#include "common/error.hpp"
#include "common/json.hpp"
#include "tcpstate/diagram.hpp"

namespace socklab {

Stage::Stage(const DemoOptions& options, Watcher& watcher, std::ostream& out)
    : options_(options), watcher_(watcher), out_(out) {}

void Stage::scene(const std::string& name, const std::string& title) {
  scene_ = name;
  number_ = 0;
  roles_.clear();
  if (narrate()) out_ << "\n== " << title << " ==\n" << std::flush;
}

void Stage::cast(const std::string& role, const std::string& local, const std::string& remote) {
  roles_[role] = SnapshotDiff::key(local, remote);
}

void Stage::step(const std::string& call, const std::string& what, const std::string& narration,
                 std::vector<std::pair<std::string, TcpState>> expected, const std::string& result) {
  StepReport report;
  report.scene = scene_;
  report.number = ++number_;
  report.call = call;
  report.narration = narration;
  report.expected = std::move(expected);
  report.result = result;
  report.source = std::string(source_name(watcher_.kind()));
  if (text()) {
    out_ << "[" << report.number << "] " << call << "  " << what << "\n";
    if (narrate()) out_ << "    " << narration << "\n";
    if (!result.empty()) out_ << "    result: " << result << "\n";
    out_ << std::flush;
  }
  const double started = watcher_.now();
  for (int round = 0; round < 100000; ++round) {
    look(report);
    const double held = watcher_.now() - started;
    if ((report.ok() && held >= options_.pause) || held >= options_.pause + 3.0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!report.ok()) missed_ = true;
  for (const auto& [role, states] : report.observed) seen_.insert(states.begin(), states.end());
  if (!text()) {
    out_ << step_json(report) << "\n" << std::flush;
    return;
  }
  out_ << step_text(report);
  if (options_.diagram) {
    std::set<TcpState> now;
    for (const auto& [role, states] : report.observed) now.insert(states.back());
    out_ << render_diagram(now, options_.colour);
  }
  out_ << std::flush;
}

std::optional<double> Stage::timer_left(const std::string& role) {
  auto rows = poll_source(SourceKind::ss, true);
  if (!rows) return std::nullopt;
  for (const auto& row : *rows) {
    if (SnapshotDiff::key(row.local, row.remote) == roles_[role]) return row.timer_left;
  }
  return std::nullopt;
}

void Stage::say(const std::string& text) {
  if (narrate()) out_ << "    " << text << "\n" << std::flush;
}

void Stage::summary() {
  if (!text()) {
    Json states = Json::array();
    for (TcpState s : seen_) states.push_back(state_name(s));
    Json line;
    line["summary"] = true;
    line["observed_states"] = std::move(states);
    line["ok"] = !missed_;
    out_ << json_text(line) << "\n" << std::flush;
    return;
  }
  std::string seen;
  for (TcpState s : seen_) seen += (seen.empty() ? "" : " ") + std::string(state_name(s));
  out_ << "\nStates observed: " << seen << "\n"
       << (missed_ ? "Some expected states were not observed (see [MISSED] above).\n"
                   : "Every expected state was observed.\n")
       << std::flush;
}

// One poll: every transition of a cast socket, then its current state.
void Stage::look(StepReport& report) {
  auto transitions = watcher_.poll();
  if (!transitions) throw StepError("watch", transitions.error());
  for (const auto& [role, key] : roles_) {
    for (const Transition& t : *transitions) {
      if (SnapshotDiff::key(t.local, t.remote) != key || t.queues_only) continue;
      if (t.from && report.observed.count(role) == 0 && t.from != TcpState::closed)
        report.observe(role, *t.from);
      report.observe(role, t.to ? *t.to : TcpState::closed);
    }
    auto it = watcher_.current().find(key);
    if (it != watcher_.current().end()) {
      report.observe(role, it->second.row.state);
    } else if (report.observed.count(role)) {
      report.observe(role, TcpState::closed);  // gone: the kernel forgot it
    }
  }
}

}  // namespace socklab
