// What tcpstate ladder prints: each segment followed by the tracker, then
// drawn by the view (folding bulk data) or put in JSON Lines; only
// connection --follow, --count lines at most.
#pragma once

#include <cstdint>
#include <string>

#include "capture/ladder.hpp"
#include "capture/ladder_view.hpp"
#include "capture/segment.hpp"
#include "tcpstate/ladder_run.hpp"

namespace socklab {

/// Draws a ladder on stdout, one segment at a time.
class LadderPrinter {
 public:
  /// `terminal`: stdout is one (and not --json): colours unless NO_COLOR.
  LadderPrinter(const LadderOptions& options, bool terminal);

  /// Draws one segment (flushed at once when `live`); false once --count
  /// lines are drawn.
  bool add(const Segment& segment, bool live);

  /// Draws the lines the view holds back (the capture is quiet, or ended).
  void flush();

 private:
  const LadderOptions& options_;
  LadderView view_;
  LadderTracker tracker_;
  std::uint64_t shown_ = 0;
};

}  // namespace socklab
