// What one step of the demo expected and what the watcher observed: pure,
// so the verdict and the --json shape are unit-tested.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "capture/state.hpp"

namespace socklab {

/// One step of a scene: the call made, the states it should bring, and the
/// states the watch machinery saw for each role ("listener", "client", ...).
struct StepReport {
  std::string scene;
  int number = 0;
  std::string call;       ///< "listen", "connect", "write", "shutdown", "close", ...
  std::string narration;  ///< one sentence: what the call does and why the state holds
  std::vector<std::pair<std::string, TcpState>> expected;  ///< role -> state
  std::map<std::string, std::vector<TcpState>> observed;   ///< role -> states seen, in order
  std::string result;  ///< what the call returned, when it matters ("Address already in use")
  std::string source;

  /// Records that `role` was seen in `state` (repeats are folded).
  void observe(const std::string& role, TcpState state);
  /// Every expected state was observed for its role.
  bool ok() const;
};

/// The step as one JSON object: scene, step, call, expected {role: STATE},
/// observed {role: [STATE...]}, ok, result, source.
std::string step_json(const StepReport& step);

/// "    expected: client FIN_WAIT_1, server ESTABLISHED" and
/// "    observed: client ESTABLISHED -> FIN_WAIT_1 ... ok" lines.
std::string step_text(const StepReport& step);

}  // namespace socklab
