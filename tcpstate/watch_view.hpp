// What tcpstate watch prints: the wall-clock time of a transition, and the
// live view (the current sockets, then the latest transitions).
#pragma once

#include <ctime>
#include <deque>
#include <string>

#include "tcpstate/watch.hpp"
#include "tcpstate/watcher.hpp"

namespace socklab {

/// "14:03:07.125": the wall clock at `seconds` after the start, which was
/// `start_wall` + `start_frac` seconds.
std::string clock_text(double seconds, std::time_t start_wall, double start_frac);

/// The whole live view, starting with the escape that clears the terminal.
std::string live_view(const Watcher& watcher, const std::deque<std::string>& recent,
                      const WatchOptions& options);

}  // namespace socklab
