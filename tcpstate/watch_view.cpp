#include "tcpstate/watch_view.hpp"

#include <cstdio>
#include <set>

#include "tcpstate/cli_options.hpp"
#include "tcpstate/diagram.hpp"

namespace socklab {

std::string clock_text(double seconds, std::time_t start_wall, double start_frac) {
  double total = start_frac + seconds;
  std::time_t t = start_wall + static_cast<std::time_t>(total);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((total - static_cast<double>(static_cast<long long>(total))) * 1000));
  return buf;
}

std::string live_view(const Watcher& watcher, const std::deque<std::string>& recent,
                      const WatchOptions& options) {
  std::string out = "\x1b[H\x1b[2J";
  if (!options.quiet)
    out += "tcpstate watch (source " + std::string(source_name(watcher.kind())) + ", every " +
           std::to_string(options.interval_ms) + " ms; Ctrl-C ends)\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-12s %-30s %-30s %8s %8s\n", "State", "Local", "Remote", "Recv-Q",
                "Send-Q");
  out += line;
  std::set<TcpState> states;
  for (const auto& [key, entry] : watcher.current()) {
    const SocketRow& r = entry.row;
    states.insert(r.state);
    std::snprintf(line, sizeof line, "%-12s %-30s %-30s %8llu %8llu\n",
                  std::string(state_name(r.state)).c_str(), r.local.c_str(), r.remote.c_str(),
                  static_cast<unsigned long long>(r.recv_q), static_cast<unsigned long long>(r.send_q));
    out += line;
  }
  if (options.diagram) out += "\n" + render_diagram(states, colour_terminal());
  out += "\nTransitions:\n";
  for (const auto& r : recent) out += r + "\n";
  return out;
}

}  // namespace socklab
