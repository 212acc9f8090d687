// The demo's stage: between a scene's socket calls it watches the sockets
// the scene has named (its cast) and reports each step on the stream it is
// given: the call, why the state holds, what was expected and what was
// observed, as text or as one JSON object per step (--json).
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tcpstate/demo.hpp"
#include "tcpstate/demo_report.hpp"
#include "tcpstate/watcher.hpp"

namespace socklab {

class Stage {
 public:
  /// Reports to `out`, watching through `watcher`; -q (options.quiet)
  /// leaves out the titles and narration, keeping the results.
  Stage(const DemoOptions& options, Watcher& watcher, std::ostream& out);

  /// Starts a scene: a title, steps numbered from 1, no cast.
  void scene(const std::string& name, const std::string& title);

  /// Names the socket `role` by its two endpoints.
  void cast(const std::string& role, const std::string& local, const std::string& remote);

  /// Reports the call, then watches until every expected state was seen (and
  /// at least --pause seconds passed), at most --pause + 3 s, and reports
  /// what was observed.
  void step(const std::string& call, const std::string& what, const std::string& narration,
            std::vector<std::pair<std::string, TcpState>> expected, const std::string& result = "");

  /// The seconds left on `role`'s timer as `ss -o` shows it (TIME_WAIT's countdown).
  std::optional<double> timer_left(const std::string& role);

  /// One more line of narration.
  void say(const std::string& text);

  /// The closing report: every state observed, and whether each expected one was.
  void summary();

  /// Some expected state was not observed.
  bool missed() const { return missed_; }

 private:
  void look(StepReport& report);
  bool text() const { return !options_.json; }
  bool narrate() const { return !options_.json && !options_.quiet; }

  const DemoOptions& options_;
  Watcher& watcher_;
  std::ostream& out_;
  std::map<std::string, std::string> roles_;  // role -> SnapshotDiff key
  std::string scene_;
  int number_ = 0;
  bool missed_ = false;
  std::set<TcpState> seen_;
};

}  // namespace socklab
