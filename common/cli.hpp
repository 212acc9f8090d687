// The command-line conventions every program shares: --trace, -q/--quiet,
// --version, -4/-6, and exit status 2 with "PROGRAM: message" for a bad
// command line (CLI11's own errors included).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "common/endpoint.hpp"

namespace socklab {

/// Flags every program has.
struct CommonFlags {
  bool trace = false;
  bool quiet = false;
};

/// Adds --trace, -q/--quiet and --version to `app`.
void add_common_flags(CLI::App& app, CommonFlags& flags);

/// Adds -4 and -6 (mutually exclusive) setting `family`.
void add_family_flags(CLI::App& app, Family& family);

/// Parses the command line. Returns nothing to go on, or the exit status to
/// return at once: 0 after --help/--version, 2 after an error (printed as
/// "PROGRAM: what was wrong" plus a hint to run --help).
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

/// Reports a bad command line that CLI11's own rules cannot express: prints
/// "PROGRAM: what" and the --help hint to stderr and returns 2, the exit status.
int usage_error(const CLI::App& app, std::string_view what);

/// Adds a server's "-l,--listen [HOST:]PORT" option. The address is parsed
/// here, once: a bad one is a command-line error (exit 2). `listen` holds
/// the default (shown in --help); its port is used when HOST alone is given.
CLI::Option* add_listen_option(CLI::App& app, HostPort& listen,
                               std::string_view what = "address to listen on");

/// Adds a client's peer "HOST[:PORT]" (`name`: "peer" for the positional,
/// or an option such as "--to"), parsed here, once, into `peer`. A missing
/// port is `default_port`.
CLI::Option* add_peer_option(CLI::App& app, const std::string& name, HostPort& peer,
                             std::uint16_t default_port, const std::string& help);

}  // namespace socklab
