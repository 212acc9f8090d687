// tcpstate: watch TCP connections change state (wrapping ss or netstat, or
// reading /proc, or the kernel's own tracepoint through bpftrace), run a
// demo that holds every state long enough to see, draw the state diagram,
// and draw the real segments of a connection as a ladder (libpcap).
// Lessons: notes/tcp-states.md, notes/tcp-handshake.md, notes/tcp-teardown.md
// Each subcommand declares its options in tcpstate/NAME_command.cpp.
#include <iostream>

#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/trace.hpp"
#include "tcpstate/cli_options.hpp"

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
  const Subcommand subcommands[] = {add_watch(app), add_snapshot(app), add_demo(app), add_diagram(app),
                                    add_ladder(app)};

  if (auto status = parse_command_line(app, argc, argv)) return *status;
  try {
    const Tracer tracer(common.trace, std::cerr);
    for (const Subcommand& subcommand : subcommands) {
      if (*subcommand.app) return subcommand.run(common, tracer);
    }
    return 2;  // require_subcommand(1) lets none through
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
