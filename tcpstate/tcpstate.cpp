// tcpstate: watch TCP connections change state (wrapping ss or netstat, or
// reading /proc, or the kernel's own tracepoint through bpftrace), run a
// demo that holds every state long enough to see, and draw the state
// diagram. Lesson: notes/tcp-states.md
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <set>
#include <thread>

#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "tcpstate/demo.hpp"
#include "tcpstate/diagram.hpp"
#include "tcpstate/watcher.hpp"

namespace socklab {
namespace {

constexpr auto program = "tcpstate";
volatile std::sig_atomic_t stop_requested = 0;

struct WatchOptions {
  std::uint16_t port = 0;
  std::string host;
  std::string source = "ss";
  unsigned interval_ms = 100;
  double duration = 0;
  bool json = false;
  bool plain = false;
  bool diagram = false;
};

SourceKind source_kind(const std::string& name) {
  if (name == "netstat") return SourceKind::netstat;
  if (name == "proc") return SourceKind::proc;
  if (name == "bpftrace") return SourceKind::bpftrace;
  return SourceKind::ss;
}

SocketFilter make_filter(std::uint16_t port, const std::string& host) {
  SocketFilter filter{port, ""};
  if (!host.empty()) {
    auto h = normalise_host(host);
    if (!h) throw StepError("--host", "'" + host + "' is not an IP address");
    filter.host = *h;
  }
  return filter;
}

bool colour_terminal() { return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr; }

// "14:03:07.125": the wall clock at `seconds` after `start`.
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

// The live view: the current sockets, then the latest transitions.
void draw_live(const Watcher& watcher, const std::deque<std::string>& recent, const WatchOptions& options) {
  std::string out = "\x1b[H\x1b[2J";
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
  std::cout << out << std::flush;
}

int watch(const WatchOptions& options) {
  const SocketFilter filter = make_filter(options.port, options.host);
  const SourceKind kind = source_kind(options.source);
  auto watcher = Watcher::open(kind, filter, false);
  if (!watcher) throw StepError("source " + options.source, watcher.error());
  const bool live = !options.json && !options.plain && isatty(STDOUT_FILENO);
  timespec wall{};
  clock_gettime(CLOCK_REALTIME, &wall);
  const double wall_frac = static_cast<double>(wall.tv_nsec) / 1e9;
  std::deque<std::string> recent;
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::signal(SIGPIPE, SIG_IGN);
  bool last = false;
  for (bool first = true; !last; first = false) {
    // The last round lets bpftrace catch up, so a transition it has not
    // printed yet when we are told to stop is not lost.
    last = stop_requested || (options.duration > 0 && (*watcher)->now() >= options.duration);
    if (last) (*watcher)->settle();
    auto transitions = (*watcher)->poll();
    if (!transitions) throw StepError("poll " + options.source, transitions.error());
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
    if (live && (first || !transitions->empty())) draw_live(**watcher, recent, options);
    std::cout << std::flush;
    if (!std::cout) return 0;  // the reader went away
    if (!last) std::this_thread::sleep_for(std::chrono::milliseconds(options.interval_ms));
  }
  return 0;
}

int snapshot(std::uint16_t port, const std::string& host, const std::string& source, bool json) {
  const SocketFilter filter = make_filter(port, host);
  const SourceKind kind = source_kind(source);
  auto rows = poll_source(kind == SourceKind::bpftrace ? SourceKind::proc : kind, kind == SourceKind::ss);
  if (!rows) throw StepError("source " + source, rows.error() + "; " + source_alternatives(kind));
  if (!json) std::printf("%-12s %8s %8s  %-30s %-30s\n", "State", "Recv-Q", "Send-Q", "Local", "Remote");
  for (const SocketRow& r : *rows) {
    if (!filter.matches(r)) continue;
    if (json) {
      JsonLine j;
      j.add("state", state_name(r.state)).add("local", r.local).add("remote", r.remote);
      j.add("recv_q", r.recv_q).add("send_q", r.send_q);
      if (!r.timer.empty()) j.add("timer", r.timer);
      if (r.timer_left) j.add("timer_left", *r.timer_left);
      std::printf("%s\n", j.str().c_str());
      continue;
    }
    std::string timer;
    if (r.timer_left)
      timer = "  " + r.timer + " " + std::to_string(static_cast<int>(*r.timer_left + 0.5)) + " s";
    std::printf("%-12s %8llu %8llu  %-30s %-30s%s\n", std::string(state_name(r.state)).c_str(),
                static_cast<unsigned long long>(r.recv_q), static_cast<unsigned long long>(r.send_q),
                r.local.c_str(), r.remote.c_str(), timer.c_str());
  }
  return 0;
}

CLI::Validator state_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return parse_state(text) ? std::string() : "unknown TCP state '" + text + "'";
      },
      "STATE");
}

}  // namespace
}  // namespace socklab

int main(int argc, char** argv) {
  using namespace socklab;
  CLI::App app{
      "Watch TCP connections change state, run a demo that holds every state, draw the state diagram.\n"
      "Lesson: notes/tcp-states.md",
      program};
  CommonFlags common;
  add_common_flags(app, common);
  app.require_subcommand(1);
  const std::vector<std::string> sources{"ss", "netstat", "proc", "bpftrace"};

  WatchOptions w;
  auto* watch_cmd = app.add_subcommand("watch", "print one line per observed state transition");
  watch_cmd->add_option("--port", w.port, "only sockets with this port at either end")
      ->check(CLI::Range(1, 65535));
  watch_cmd->add_option("--host", w.host, "only sockets with this IP address at either end");
  watch_cmd->add_option("--source", w.source, "ss (default), netstat, proc (/proc/net/tcp*), bpftrace (root)")
      ->check(CLI::IsMember(sources))
      ->capture_default_str();
  watch_cmd->add_option("--interval", w.interval_ms, "milliseconds between polls")
      ->check(CLI::Range(1u, 60000u))
      ->capture_default_str();
  watch_cmd->add_option("--duration", w.duration, "stop after this many seconds (0: at Ctrl-C)")
      ->check(CLI::Range(0.0, 86400.0 * 365));
  watch_cmd->add_flag("--json", w.json, "one JSON object per transition");
  watch_cmd->add_flag("--plain", w.plain, "plain lines even on a terminal (no live view)");
  watch_cmd->add_flag("--diagram", w.diagram,
                      "live view: draw the state diagram with the current states highlighted");

  std::uint16_t snap_port = 0;
  std::string snap_host, snap_source = "ss";
  bool snap_json = false;
  auto* snap_cmd = app.add_subcommand("snapshot", "the current sockets once, like netstat -an | grep PORT");
  snap_cmd->add_option("--port", snap_port, "only sockets with this port at either end")
      ->check(CLI::Range(1, 65535));
  snap_cmd->add_option("--host", snap_host, "only sockets with this IP address at either end");
  snap_cmd->add_option("--source", snap_source, "ss (default), netstat, proc")
      ->check(CLI::IsMember(sources))
      ->capture_default_str();
  snap_cmd->add_flag("--json", snap_json, "one JSON object per socket");

  DemoOptions d;
  std::string demo_source = "proc";
  auto* demo_cmd =
      app.add_subcommand("demo", "a connection's whole life on loopback, every state held and observed");
  demo_cmd->add_option("--port", d.port, "the first listener's port (0: any free port)")
      ->check(CLI::Range(0, 65535));
  demo_cmd->add_option("--pause", d.pause, "seconds each step stays on screen")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  demo_cmd->add_option("--scene", d.scene, "lifecycle, closing (simultaneous close), reuseaddr, or all")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(demo_scenes), std::end(demo_scenes))))
      ->capture_default_str();
  demo_cmd
      ->add_option("--source", demo_source, "how the demo observes: proc (default), ss, netstat, bpftrace")
      ->check(CLI::IsMember(sources))
      ->capture_default_str();
  demo_cmd->add_flag("--json", d.json, "one JSON object per step: expected and observed states");
  demo_cmd->add_flag("--diagram", d.diagram, "draw the state diagram after each step");

  std::vector<std::string> highlight;
  auto* diagram_cmd = app.add_subcommand("diagram", "the TCP state machine, drawn in the terminal");
  diagram_cmd
      ->add_option("--highlight", highlight, "states to highlight (any spelling: FIN-WAIT-1, ESTAB...)")
      ->check(state_validator());

  if (auto status = parse_command_line(app, argc, argv)) return *status;
  try {
    if (*watch_cmd) return watch(w);
    if (*snap_cmd) return snapshot(snap_port, snap_host, snap_source, snap_json);
    if (*demo_cmd) {
      d.source = source_kind(demo_source);
      d.colour = colour_terminal();
      return run_demo(d);
    }
    std::set<TcpState> states;
    for (const auto& h : highlight) states.insert(*parse_state(h));
    std::cout << render_diagram(states, colour_terminal());
    return 0;
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
