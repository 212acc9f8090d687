// A one-line progress bar on stderr for long transfers: bytes, percent,
// rate and time left, redrawn at most ten times a second. Only on a
// terminal: on a pipe or in a file it stays silent.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace socklab {

class Progress {
 public:
  /// `enabled` is usually isatty(STDERR_FILENO).
  Progress(std::string label, std::uint64_t total, bool enabled);
  /// `done` bytes of `total` so far.
  void update(std::uint64_t done);
  /// Draws the final state and ends the line.
  void finish();

  /// The text of the bar for `done` bytes after `seconds` (no I/O; tests use it).
  static std::string line(const std::string& label, std::uint64_t done, std::uint64_t total, double seconds);

 private:
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_{};
};

/// "1.5 MiB", "512 B": sizes for people.
std::string human_bytes(double bytes);

}  // namespace socklab
