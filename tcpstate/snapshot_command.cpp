// tcpstate snapshot: its options, then snapshot() (tcpstate/snapshot.hpp).
#include <memory>

#include "tcpstate/cli_options.hpp"
#include "tcpstate/snapshot.hpp"

namespace socklab {

Subcommand add_snapshot(CLI::App& app) {
  auto o = std::make_shared<SnapshotOptions>();
  auto* cmd = app.add_subcommand("snapshot", "the current sockets once, like netstat -an | grep PORT");
  add_port_option(*cmd, o->port, "sockets");
  add_host_option(*cmd, o->host, "sockets");
  add_source_option(*cmd, o->source, "ss (default), netstat, proc");
  cmd->add_flag("--json", o->json, "one JSON object per socket");
  cmd->footer(
      "--trace: nothing to trace; snapshot makes no socket calls of its own. -q: no column header line.");
  return {cmd, [o](const CommonFlags& common, const Tracer&) {
            o->quiet = common.quiet;
            return snapshot(*o);
          }};
}

}  // namespace socklab
