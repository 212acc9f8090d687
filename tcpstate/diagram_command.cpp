// tcpstate diagram: its option (--highlight, parsed here into states), then
// render_diagram() (tcpstate/diagram.hpp).
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tcpstate/cli_options.hpp"
#include "tcpstate/diagram.hpp"

namespace socklab {

Subcommand add_diagram(CLI::App& app) {
  auto highlight = std::make_shared<std::set<TcpState>>();
  auto* cmd = app.add_subcommand("diagram", "the TCP state machine, drawn in the terminal");
  cmd->add_option_function<std::vector<std::string>>(
         "--highlight",
         [highlight](const std::vector<std::string>& names) {
           for (const std::string& name : names) {
             auto state = parse_state(name);
             if (!state) throw CLI::ValidationError("--highlight", "unknown TCP state '" + name + "'");
             highlight->insert(*state);
           }
         },
         "states to highlight (any spelling: FIN-WAIT-1, ESTAB...)")
      ->type_name("STATE");
  cmd->footer("--trace and -q: nothing to trace and nothing to leave out; the diagram is all there is.");
  return {cmd, [highlight](const CommonFlags&, const Tracer&) {
            std::cout << render_diagram(*highlight, colour_terminal());
            return 0;
          }};
}

}  // namespace socklab
