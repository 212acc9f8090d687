// tcpstate: watch TCP connections change state (wrapping ss or netstat, or
// reading /proc, or the kernel's own tracepoint through bpftrace), run a
// demo that holds every state long enough to see, draw the state diagram,
// and draw the real segments of a connection as a ladder (libpcap).
// Lessons: notes/tcp-states.md, notes/tcp-handshake.md, notes/tcp-teardown.md
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <set>
#include <thread>

#include "capture/captured_command.hpp"
#include "capture/ladder.hpp"
#include "capture/ladder_view.hpp"
#include "capture/pcap_source.hpp"
#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/stop_signals.hpp"
#include "common/trace.hpp"
#include "tcpstate/demo.hpp"
#include "tcpstate/diagram.hpp"
#include "tcpstate/watcher.hpp"

namespace socklab {
namespace {

constexpr auto program = "tcpstate";

struct WatchOptions {
  std::uint16_t port = 0;
  std::string host;
  std::string source = "ss";
  unsigned interval_ms = 100;
  double duration = 0;
  bool json = false;
  bool plain = false;
  bool diagram = false;
  bool quiet = false;  ///< -q: the live view without its title line
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
  const StopSignals stop;  // SIGINT/SIGTERM: one last round, then exit 0
  std::signal(SIGPIPE, SIG_IGN);
  bool last = false;
  for (bool first = true; !last; first = false) {
    // The last round lets bpftrace catch up, so a transition it has not
    // printed yet when we are told to stop is not lost.
    last = stop.requested() || (options.duration > 0 && (*watcher)->now() >= options.duration);
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
    if (!last) stop.wait_for(options.interval_ms / 1000.0);
  }
  return 0;
}

// One row as --json writes it.
Json row_json(const SocketRow& r) {
  Json j;
  j["state"] = state_name(r.state);
  j["local"] = r.local;
  j["remote"] = r.remote;
  j["recv_q"] = r.recv_q;
  j["send_q"] = r.send_q;
  if (!r.timer.empty()) j["timer"] = r.timer;
  if (r.timer_left) j["timer_left"] = *r.timer_left;
  return j;
}

int snapshot(std::uint16_t port, const std::string& host, const std::string& source, bool json, bool quiet) {
  const SocketFilter filter = make_filter(port, host);
  const SourceKind kind = source_kind(source);
  auto rows = poll_source(kind == SourceKind::bpftrace ? SourceKind::proc : kind, kind == SourceKind::ss);
  if (!rows) throw StepError("source " + source, rows.error() + "; " + source_alternatives(kind));
  if (!json && !quiet)
    std::printf("%-12s %8s %8s  %-30s %-30s\n", "State", "Recv-Q", "Send-Q", "Local", "Remote");
  for (const SocketRow& r : *rows) {
    if (!filter.matches(r)) continue;
    if (json) {
      std::printf("%s\n", json_text(row_json(r)).c_str());
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

struct LadderOptions {
  std::uint16_t port = 0;
  std::string host;
  std::string interface;
  std::string read;
  std::string write;
  bool all = false;
  bool absolute = false;
  bool json = false;
  double duration = 0;
  std::uint64_t count = 0;
  unsigned follow = 0;
  std::vector<std::string> command;
};

// Said whenever a capture cannot be made here.
constexpr auto capture_alternatives =
    "run it with sudo, read a saved capture with --read FILE, or use the two-host lab (./socklab lab)";

// The BPF filter: libpcap keeps only these packets, in the kernel.
std::string ladder_filter(const LadderOptions& o) {
  std::string filter = o.read.empty() ? "tcp" : "";
  auto also = [&filter](const std::string& part) { filter += (filter.empty() ? "" : " and ") + part; };
  if (!o.read.empty() && (o.port != 0 || !o.host.empty())) also("tcp");
  if (o.port != 0) also("port " + std::to_string(o.port));
  if (!o.host.empty()) also("host " + o.host);
  return filter;
}

// Where the ladder's packets come from: a saved file, a live capture, or the
// private namespace of `-- COMMAND` (whose capture `run` holds).
struct LadderSource {
  std::unique_ptr<PcapSource> own;
  std::unique_ptr<CapturedCommand> run;

  PcapSource& capture() { return run ? run->capture() : *own; }
  PcapSource::Next next(CaptureRecord& record) {
    return run ? run->next(record, 100) : own->next(record, 100);
  }
};

// The source, filtered; the reason, with what to do instead, if it cannot be
// opened.
LadderSource open_ladder_source(const LadderOptions& o, const Tracer& tracer) {
  const std::string filter = ladder_filter(o);
  LadderSource source;
  if (!o.command.empty()) {
    auto run = CapturedCommand::open(filter, tracer);
    if (!run) throw StepError("-- " + o.command[0], run.error() + "; " + capture_alternatives);
    source.run = std::move(run.value());
    return source;
  }
  if (!o.read.empty()) {
    auto file = PcapSource::open_file(o.read, filter);
    if (!file) throw StepError("read " + o.read, file.error());
    source.own = std::move(file.value());
    return source;
  }
  const std::string interface = o.interface.empty() ? "lo" : o.interface;
  auto live = PcapSource::open_live(interface, filter);
  if (!live) {
    std::string why = live.error();
    if (why.starts_with("permission denied"))
      why +=
          "; run the programs under it with tcpstate ladder -- COMMAND (a private network namespace), or " +
          std::string(capture_alternatives);
    throw StepError("capture on " + interface, why);
  }
  trace_live_capture(tracer, interface, filter);
  source.own = std::move(live.value());
  return source;
}

// Follows and draws each segment as it comes: through the view (folding
// bulk data) or as JSON Lines, only connection --follow, --count at most.
class LadderPrinter {
 public:
  LadderPrinter(const LadderOptions& o, bool terminal)
      : options_(o),
        view_({o.all, terminal && std::getenv("NO_COLOR") == nullptr, o.follow == 0}),
        tracker_(o.absolute) {}

  /// Draws one segment; false once --count lines are drawn.
  bool add(const Segment& segment, bool live) {
    const LadderLine line = tracker_.feed(segment);
    if (options_.follow != 0 && line.conn->id != options_.follow) return true;
    emit(options_.json ? ladder_json(line) + "\n" : view_.add(line));
    if (live) std::fflush(stdout);
    return options_.count == 0 || ++shown_ < options_.count;
  }

  /// Draws the lines the view holds back (the capture is quiet, or ended).
  void flush() {
    emit(view_.flush());
    std::fflush(stdout);
  }

 private:
  static void emit(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

  const LadderOptions& options_;
  LadderView view_;
  LadderTracker tracker_;
  std::uint64_t shown_ = 0;
};

// Reads, decodes and draws until the source ends, a signal, --duration or
// --count; the capture's error, if it failed (drawn what came before).
std::string draw_ladder(LadderSource& source, LadderPrinter& printer, SkipCounts& skips,
                        const LadderOptions& o, const StopSignals& stop) {
  PcapSource& capture = source.capture();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  CaptureRecord record;
  while (!stop.requested() && !std::ferror(stdout)) {
    if (capture.live() && o.duration > 0 && elapsed() >= o.duration) break;
    const PcapSource::Next next = source.next(record);
    if (next == PcapSource::Next::end) break;
    if (next == PcapSource::Next::error) return capture.error();
    if (next == PcapSource::Next::quiet) {
      printer.flush();
      capture.flush_file();
      continue;
    }
    capture.save(record);
    const Decoded decoded =
        decode_segment(capture.link(), record.data, record.caplen, record.wirelen, record.time);
    if (skips.count(decoded) && !printer.add(*decoded.segment, capture.live())) break;
  }
  return "";
}

// Capture (or read), decode, follow, draw: one segment at a time, so memory
// stays flat however long the capture.
int ladder(const LadderOptions& o, bool quiet, const Tracer& tracer) {
  if (!o.host.empty() && !normalise_host(o.host))
    throw StepError("--host", "'" + o.host + "' is not an IP address");
  LadderSource source = open_ladder_source(o, tracer);  // [1] unshare, [2] capture, [3] filter
  PcapSource& capture = source.capture();
  if (!o.write.empty()) {
    if (auto w = capture.write_to(o.write); !w) throw StepError("write " + o.write, w.error());
  }
  if (source.run) {
    if (auto started = source.run->start(o.command); !started) throw StepError("run", started.error());
  }
  const StopSignals stop;  // SIGINT/SIGTERM: draw what came, end the command
  const bool terminal = !o.json && isatty(STDOUT_FILENO);
  const std::string interface = source.run || o.interface.empty() ? "lo" : o.interface;
  if (terminal && capture.live() && !quiet)
    std::fprintf(stderr, "tcpstate: capturing on %s%s\n", interface.c_str(),
                 source.run ? ", a private network namespace, until the command ends" : " (Ctrl-C ends)");
  LadderPrinter printer(o, terminal);
  SkipCounts skips;
  const std::string failure = draw_ladder(source, printer, skips, o, stop);
  printer.flush();
  if (source.run) source.run->stop();  // we stopped first: end the command and what it started
  const std::string step = o.read.empty() ? "capture on " + interface : "read " + o.read;
  if (!failure.empty()) throw StepError(step, failure);
  if (const auto summary = skips.summary(); !summary.empty() && !quiet)
    std::fprintf(stderr, "%s\n", format_error(program, step, summary).c_str());
  if (const auto lost = capture.dropped(); lost > 0 && !quiet)
    std::fprintf(stderr, "%s\n",
                 format_error(program, step,
                              std::to_string(lost) + " packets dropped by the kernel (too fast to draw)")
                     .c_str());
  return source.run ? source.run->exit_status().value_or(0) : 0;
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
  app.fallthrough();  // --trace and -q after the subcommand too: tcpstate demo -q
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
  watch_cmd->footer(
      "--trace: nothing to trace; watch makes no socket calls of its own (it runs ss or netstat,\n"
      "reads /proc, or runs bpftrace). -q: the live view leaves out its title line.");

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
  snap_cmd->footer(
      "--trace: nothing to trace; snapshot makes no socket calls of its own. -q: no column header line.");

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
  demo_cmd->footer(
      "--trace: every socket call the demo makes, on stderr, with the Go and C call it matches.\n"
      "-q: each step's call and what was observed, without the titles and the narration.");

  std::vector<std::string> highlight;
  auto* diagram_cmd = app.add_subcommand("diagram", "the TCP state machine, drawn in the terminal");
  diagram_cmd
      ->add_option("--highlight", highlight, "states to highlight (any spelling: FIN-WAIT-1, ESTAB...)")
      ->check(state_validator());
  diagram_cmd->footer(
      "--trace and -q: nothing to trace and nothing to leave out; the diagram is all there is.");

  LadderOptions l;
  auto* ladder_cmd = app.add_subcommand(
      "ladder",
      "the real segments of each connection as a ladder: numbers, window, each side's state (libpcap)\n"
      "  tcpstate ladder -- COMMAND... runs COMMAND in a private network namespace and draws its "
      "connections");
  ladder_cmd->add_option("--port", l.port, "only segments with this port at either end")
      ->check(CLI::Range(1, 65535));
  ladder_cmd->add_option("--host", l.host, "only segments with this IP address at either end");
  auto* iface_opt =
      ladder_cmd->add_option("--interface,-i", l.interface, "capture on this interface (default lo)");
  auto* read_opt =
      ladder_cmd->add_option("--read,-r", l.read, "draw a saved capture (pcap or pcapng) instead");
  ladder_cmd->add_option("--write,-w", l.write, "also save the packets to this pcap file (for Wireshark)");
  ladder_cmd->add_flag("--all", l.all, "draw every segment (do not fold runs of bulk data)");
  ladder_cmd->add_flag("--absolute", l.absolute, "raw sequence numbers, not relative to each side's ISN");
  ladder_cmd->add_flag("--json", l.json, "one JSON object per segment (JSON Lines), never folded");
  ladder_cmd->add_option("--duration", l.duration, "stop after this many seconds (0: at Ctrl-C)")
      ->check(CLI::Range(0.0, 86400.0 * 365));
  ladder_cmd->add_option("--count", l.count, "stop after this many segments");
  ladder_cmd->add_option("--follow", l.follow, "draw only connection N (the #N of the lines)")
      ->check(CLI::Range(1u, 4000000000u));
  auto* command_opt = ladder_cmd->add_option("command", l.command, "after --: the command to run and watch");
  ladder_cmd->footer(
      "--trace: a live capture's set-up on stderr (its namespace, the packet socket, the filter);\n"
      "reading a file (--read) makes no socket calls.\n"
      "-q: no \"capturing on\" line, no counts of skipped or dropped packets.");
  read_opt->excludes(iface_opt);
  read_opt->excludes(command_opt);
  iface_opt->excludes(command_opt);

  if (auto status = parse_command_line(app, argc, argv)) return *status;
  try {
    const Tracer tracer(common.trace, std::cerr);
    if (*watch_cmd) {
      w.quiet = common.quiet;
      return watch(w);
    }
    if (*snap_cmd) return snapshot(snap_port, snap_host, snap_source, snap_json, common.quiet);
    if (*ladder_cmd) return ladder(l, common.quiet, tracer);
    if (*demo_cmd) {
      d.source = source_kind(demo_source);
      d.colour = colour_terminal();
      d.quiet = common.quiet;
      return run_demo(d, std::cout, tracer);
    }
    std::set<TcpState> states;
    for (const auto& h : highlight) states.insert(*parse_state(h));
    std::cout << render_diagram(states, colour_terminal());
    return 0;
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
