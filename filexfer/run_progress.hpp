// Progress over a whole run of sendfile or recvfile, on a terminal: one line
// for the file moving now, one for everything ("file 17 of 300, 1.2 GiB of
// 3.4 GiB, 85 MiB/s, ETA 0:27"), redrawn at most ten times a second; and the
// summary printed at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace socklab::filexfer {

/// What a run has done so far, or in all.
struct RunTotals {
  std::uint64_t files = 0;  ///< files done (arrived, or there already)
  std::uint64_t bytes = 0;  ///< bytes done, of files moved and files skipped
  std::uint64_t moved = 0;  ///< bytes that crossed the network
  std::uint64_t skipped = 0;
  std::uint64_t failed = 0;
};

class RunProgress {
 public:
  /// Draws on `out` (a terminal) when `enabled`; `files` and `bytes` are the
  /// run's totals.
  RunProgress(std::ostream& out, bool enabled, std::uint64_t files, std::uint64_t bytes);
  /// `done` of the current file `name` (`size` bytes), and the run so far.
  /// `force` draws even if the last drawing was less than 0.1 s ago.
  void update(const std::string& name, std::uint64_t done, std::uint64_t size, const RunTotals& run,
              bool force = false);
  /// Takes the two lines away (before a line that must stay, and at the end).
  void clear();
  double seconds() const;

  /// The whole-run line (no I/O; tests use it).
  static std::string run_line(const RunTotals& run, std::uint64_t files, std::uint64_t bytes, double seconds);
  /// The summary at the end: "3 files, 1.5 MiB in 0.2 s (7.5 MiB/s); 1 there already, 0 failed".
  static std::string summary(const RunTotals& run, double seconds);

 private:
  std::ostream& out_;
  bool enabled_;
  std::uint64_t files_, bytes_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, file_start_, last_draw_{};
  std::string file_;
};

}  // namespace socklab::filexfer
