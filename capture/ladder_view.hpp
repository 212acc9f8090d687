// The ladder drawn as text: the client's column on the left, the server's on
// the right, one arrow per segment with its numbers, each side's state beside
// the arrow and a note; runs of bulk data folded into one line. Also the
// JSON Lines form (one object per segment, never folded). Pure: lines in,
// text out.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "capture/ladder.hpp"

namespace socklab {

struct LadderViewOptions {
  bool all = false;     // draw every segment: no folding
  bool colour = false;  // ANSI colours (a terminal, NO_COLOR unset)
  bool tag = true;      // start each line with "#N", the connection's number
};

/// Turns ladder lines into text. A data run is held back while it may still
/// fold (at most a few lines per connection), so `add` may return nothing
/// and later several lines; `flush` ends every run.
class LadderView {
 public:
  explicit LadderView(LadderViewOptions options) : options_(options) {}

  /// The text this line adds (whole lines, each ending in '\n'; maybe none).
  std::string add(const LadderLine& line);

  /// The lines still held back (at the end, or when the capture is quiet).
  std::string flush();

  /// Lines that a run holds back before folding them into one.
  static constexpr std::size_t fold_after = 4;
  /// A folded line covers at most this many seconds of a run.
  static constexpr double fold_seconds = 1.0;

 private:
  struct Fold {
    std::vector<LadderLine> held;  // the first lines, drawn as they are if the run stays short
    bool data_from_client = true;
    std::size_t segments = 0, data_segments = 0;
    std::uint64_t bytes = 0;
    std::uint32_t first_seq = 0, end_seq = 0;
    std::uint64_t min_win = 0, max_win = 0;
    bool win_seen = false;
    LadderLine last;
  };

  std::string draw(const LadderLine& line) const;
  std::string draw_fold(const Fold& fold) const;
  std::string end_fold(unsigned conn);
  std::string header(const LadderLine& line) const;

  LadderViewOptions options_;
  std::map<unsigned, Fold> folds_;  // by connection number: the runs in progress
};

/// The JSON object for one line (no newline): the schema of the README's
/// "tcpstate ladder --json".
std::string ladder_json(const LadderLine& line);

/// "mss 65495, wscale 7, sack_perm, ts"; "" when none is present.
std::string options_text(const TcpOptions& options);

}  // namespace socklab
