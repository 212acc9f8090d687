// tcpstate watch: its options, then watch() (tcpstate/watch.hpp).
#include <memory>

#include "tcpstate/cli_options.hpp"
#include "tcpstate/watch.hpp"

namespace socklab {

Subcommand add_watch(CLI::App& app) {
  auto o = std::make_shared<WatchOptions>();
  auto* cmd = app.add_subcommand("watch", "print one line per observed state transition");
  add_port_option(*cmd, o->port, "sockets");
  add_host_option(*cmd, o->host, "sockets");
  add_source_option(*cmd, o->source, "ss (default), netstat, proc (/proc/net/tcp*), bpftrace (root)");
  cmd->add_option("--interval", o->interval_ms, "milliseconds between polls")
      ->check(CLI::Range(1u, 60000u))
      ->capture_default_str();
  cmd->add_option("--duration", o->duration, "stop after this many seconds (0: at Ctrl-C)")
      ->check(CLI::Range(0.0, 86400.0 * 365));
  cmd->add_flag("--json", o->json, "one JSON object per transition");
  cmd->add_flag("--plain", o->plain, "plain lines even on a terminal (no live view)");
  cmd->add_flag("--diagram", o->diagram,
                "live view: draw the state diagram with the current states highlighted");
  cmd->footer(
      "--trace: nothing to trace; watch makes no socket calls of its own (it runs ss or netstat,\n"
      "reads /proc, or runs bpftrace). -q: the live view leaves out its title line.");
  return {cmd, [o](const CommonFlags& common, const Tracer&) {
            o->quiet = common.quiet;
            return watch(*o);
          }};
}

}  // namespace socklab
