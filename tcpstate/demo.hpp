// tcpstate demo: a choreographed connection lifecycle on loopback that holds
// each TCP state long enough for a poll to see it, and checks through the
// watch machinery that it really was observed.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "common/trace.hpp"
#include "tcpstate/watcher.hpp"

namespace socklab {

/// The scenes --scene names: one, or all of them in this order.
enum class DemoScene { all, lifecycle, closing, reuseaddr };

/// What `tcpstate demo` was asked to do.
struct DemoOptions {
  std::uint16_t port = 0;  ///< the first listener's port (0: any free port)
  double pause = 2.0;      ///< seconds each step is held on screen
  DemoScene scene = DemoScene::all;
  SourceKind source = SourceKind::proc;
  bool json = false;
  bool diagram = false;  ///< draw the diagram after each step
  bool colour = false;
  bool quiet = false;  ///< -q: no titles or narration, only the results
};

/// Runs the scenes, reporting each step to `out` (text or --json) and each
/// socket call to `tracer`. Returns 0 when every expected state was
/// observed, 1 otherwise; throws StepError when a socket call fails
/// unexpectedly.
int run_demo(const DemoOptions& options, std::ostream& out, const Tracer& tracer);

}  // namespace socklab
