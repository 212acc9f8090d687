// tcpstate ladder: its options, then ladder() (tcpstate/ladder_run.hpp).
#include <memory>

#include "tcpstate/cli_options.hpp"
#include "tcpstate/ladder_run.hpp"

namespace socklab {

Subcommand add_ladder(CLI::App& app) {
  auto o = std::make_shared<LadderOptions>();
  auto* cmd = app.add_subcommand(
      "ladder",
      "the real segments of each connection as a ladder: numbers, window, each side's state (libpcap)\n"
      "  tcpstate ladder -- COMMAND... runs COMMAND in a private network namespace and draws its "
      "connections");
  add_port_option(*cmd, o->port, "segments");
  add_host_option(*cmd, o->host, "segments");
  auto* iface_opt = cmd->add_option("--interface,-i", o->interface, "capture on this interface (default lo)");
  auto* read_opt = cmd->add_option("--read,-r", o->read, "draw a saved capture (pcap or pcapng) instead");
  cmd->add_option("--write,-w", o->write, "also save the packets to this pcap file (for Wireshark)");
  cmd->add_flag("--all", o->all, "draw every segment (do not fold runs of bulk data)");
  cmd->add_flag("--absolute", o->absolute, "raw sequence numbers, not relative to each side's ISN");
  cmd->add_flag("--json", o->json, "one JSON object per segment (JSON Lines), never folded");
  cmd->add_option("--duration", o->duration, "stop after this many seconds (0: at Ctrl-C)")
      ->check(CLI::Range(0.0, 86400.0 * 365));
  cmd->add_option("--count", o->count, "stop after this many segments");
  cmd->add_option("--follow", o->follow, "draw only connection N (the #N of the lines)")
      ->check(CLI::Range(1u, 4000000000u));
  auto* command_opt = cmd->add_option("command", o->command, "after --: the command to run and watch");
  cmd->footer(
      "--trace: a live capture's set-up on stderr (its namespace, the packet socket, the filter);\n"
      "reading a file (--read) makes no socket calls.\n"
      "-q: no \"capturing on\" line, no counts of skipped or dropped packets.");
  read_opt->excludes(iface_opt);
  read_opt->excludes(command_opt);
  iface_opt->excludes(command_opt);
  return {cmd,
          [o](const CommonFlags& common, const Tracer& tracer) { return ladder(*o, common.quiet, tracer); }};
}

}  // namespace socklab
