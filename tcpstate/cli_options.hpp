// tcpstate's command line: the options several subcommands share, declared
// once and parsed here into typed values, and the one shape every
// subcommand has (its options, then the function that runs it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <asio/ip/address.hpp>

#include "common/cli.hpp"
#include "common/trace.hpp"
#include "tcpstate/socket_table.hpp"
#include "tcpstate/watcher.hpp"

namespace socklab {

inline constexpr auto program = "tcpstate";

/// A subcommand once declared: its CLI11 app (set when it was chosen) and
/// what runs it after the command line is parsed.
struct Subcommand {
  CLI::App* app;
  std::function<int(const CommonFlags&, const Tracer&)> run;
};

Subcommand add_watch(CLI::App& app);
Subcommand add_snapshot(CLI::App& app);
Subcommand add_demo(CLI::App& app);
Subcommand add_diagram(CLI::App& app);
Subcommand add_ladder(CLI::App& app);

/// --port PORT (1-65535; `what`: "sockets" or "segments").
CLI::Option* add_port_option(CLI::App& app, std::uint16_t& port, const std::string& what);

/// --host ADDRESS, parsed here (parse_host): junk is a command-line error.
CLI::Option* add_host_option(CLI::App& app, std::optional<asio::ip::address>& host, const std::string& what);

/// An option whose value is one of a few names, parsed here into the value
/// each name stands for. (CLI11's CheckedTransformer would print, and accept,
/// an enum's numbers.) Junk: "--scene: 'x' is not one of all, lifecycle".
template <class T>
CLI::Option* add_choice_option(CLI::App& app, const std::string& name, T& value,
                               std::vector<std::pair<std::string, T>> choices, const std::string& help) {
  std::string names, current;
  for (const auto& [text, choice] : choices) {
    names += (names.empty() ? "" : ", ") + text;
    if (choice == value) current = text;
  }
  return app
      .add_option_function<std::string>(
          name,
          [&value, name, names, choices](const std::string& text) {
            for (const auto& [choice_name, choice] : choices) {
              if (choice_name == text) {
                value = choice;
                return;
              }
            }
            throw CLI::ValidationError(name, "'" + text + "' is not one of " + names);
          },
          help)
      ->type_name("NAME")
      ->default_str(current);
}

/// --source NAME -> SourceKind (ss, netstat, proc, bpftrace).
CLI::Option* add_source_option(CLI::App& app, SourceKind& source, const std::string& help);

/// The filter --port and --host ask for.
SocketFilter socket_filter(std::uint16_t port, const std::optional<asio::ip::address>& host);

/// Colours: stdout is a terminal and NO_COLOR is unset.
bool colour_terminal();

}  // namespace socklab
