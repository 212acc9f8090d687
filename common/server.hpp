// What every server shares: the "listening on" line, SIGINT/SIGTERM, the
// open-file limit, and a log that -q silences.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

namespace socklab {

/// Prints "listening on IP:PORT" to stdout and flushes it. Servers call it
/// before serving, as their first stdout line: scripts and tests read it.
void announce_listening(const std::string& address);

/// Calls `on_stop(signal_number)` once, on the io_context, at the first
/// SIGINT or SIGTERM. Keep the object alive while the server runs.
class StopSignals {
 public:
  StopSignals(asio::io_context& io, std::function<void(int)> on_stop);

 private:
  asio::signal_set signals_;
};

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
