// What every server shares besides listening (common/listen.hpp) and
// stopping (common/stop_signals.hpp): the open-file limit, and a log that -q
// silences.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace socklab {

/// Raises the soft open-file limit to the hard limit, so a server can hold
/// thousands of connections; returns the new soft limit.
std::size_t raise_open_file_limit();

/// Line-oriented log on stdout: one flushed line per event, never
/// interleaved between threads; -q silences it.
class Log {
 public:
  explicit Log(bool quiet) : quiet_(quiet) {}
  void line(std::string_view text) const;

 private:
  bool quiet_;
  mutable std::mutex mutex_;
};

}  // namespace socklab
