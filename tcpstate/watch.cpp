#include "tcpstate/watch.hpp"

#include <unistd.h>

#include <deque>
#include <iostream>

#include "common/error.hpp"
#include "common/stop_signals.hpp"
#include "tcpstate/cli_options.hpp"
#include "tcpstate/watch_view.hpp"

namespace socklab {

int watch(const WatchOptions& options) {
  const std::string source(source_name(options.source));
  auto watcher = Watcher::open(options.source, socket_filter(options.port, options.host), false);
  if (!watcher) throw StepError("source " + source, watcher.error());
  const bool live = !options.json && !options.plain && isatty(STDOUT_FILENO);
  timespec wall{};
  clock_gettime(CLOCK_REALTIME, &wall);
  const double wall_frac = static_cast<double>(wall.tv_nsec) / 1e9;
  std::deque<std::string> recent;
  const StopSignals stop;  // SIGINT/SIGTERM: one last round, then exit 0
  bool last = false;
  for (bool first = true; !last; first = false) {
    // The last round lets bpftrace catch up, so a transition it has not
    // printed yet when we are told to stop is not lost.
    last = stop.requested() || (options.duration > 0 && (*watcher)->now() >= options.duration);
    if (last) (*watcher)->settle();
    auto transitions = (*watcher)->poll();
    if (!transitions) throw StepError("poll " + source, transitions.error());
    for (const Transition& t : *transitions) {
      if (options.json) {
        std::cout << transition_json(t) << "\n";
        continue;
      }
      std::string text = format_transition(t, clock_text(t.time, wall.tv_sec, wall_frac));
      if (!live) {
        std::cout << text << "\n";
        continue;
      }
      recent.push_back(text);
      if (recent.size() > 20) recent.pop_front();
    }
    if (live && (first || !transitions->empty())) std::cout << live_view(**watcher, recent, options);
    std::cout << std::flush;
    if (!std::cout) return 0;  // the reader went away
    if (!last) stop.wait_for(options.interval_ms / 1000.0);
  }
  return 0;
}

}  // namespace socklab
