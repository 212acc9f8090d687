// tcpstate demo: its options, then run_demo() (tcpstate/demo.hpp).
#include <iostream>
#include <memory>

#include "tcpstate/cli_options.hpp"
#include "tcpstate/demo.hpp"

namespace socklab {

Subcommand add_demo(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd =
      app.add_subcommand("demo", "a connection's whole life on loopback, every state held and observed");
  cmd->add_option("--port", o->port, "the first listener's port (0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--pause", o->pause, "seconds each step stays on screen")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  add_choice_option<DemoScene>(*cmd, "--scene", o->scene,
                               {{"all", DemoScene::all},
                                {"lifecycle", DemoScene::lifecycle},
                                {"closing", DemoScene::closing},
                                {"reuseaddr", DemoScene::reuseaddr}},
                               "lifecycle, closing (simultaneous close), reuseaddr, or all");
  add_source_option(*cmd, o->source, "how the demo observes: proc (default), ss, netstat, bpftrace");
  cmd->add_flag("--json", o->json, "one JSON object per step: expected and observed states");
  cmd->add_flag("--diagram", o->diagram, "draw the state diagram after each step");
  cmd->footer(
      "--trace: every socket call the demo makes, on stderr, with the Go and C call it matches.\n"
      "-q: each step's call and what was observed, without the titles and the narration.");
  return {cmd, [o](const CommonFlags& common, const Tracer& tracer) {
            o->colour = colour_terminal();
            o->quiet = common.quiet;
            return run_demo(*o, std::cout, tracer);
          }};
}

}  // namespace socklab
