#include "common/cli.hpp"

#include <iostream>

#include "socklab_version.hpp"

namespace socklab {

void add_common_flags(CLI::App& app, CommonFlags& flags) {
  app.add_flag("--trace", flags.trace,
               "print every socket step to stderr, with the Go and C call it matches");
  app.add_flag("-q,--quiet", flags.quiet, "print only results and errors");
  app.set_version_flag("--version", std::string(app.get_name()) + " (socklab) " SOCKLAB_VERSION);
}

void add_family_flags(CLI::App& app, Family& family) {
  auto* v4 = app.add_flag_callback(
      "-4", [&family] { family = Family::v4; }, "IPv4 only");
  auto* v6 = app.add_flag_callback(
      "-6", [&family] { family = Family::v6; }, "IPv6 only");
  v4->excludes(v6);
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help or --version: printed to stdout, status 0
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e.what());
  }
  return std::nullopt;
}

int usage_error(const CLI::App& app, std::string_view what) {
  std::cerr << app.get_name() << ": " << what << "\n"
            << "Run '" << app.get_name() << " --help' for the options." << std::endl;
  return 2;
}

CLI::Option* add_listen_option(CLI::App& app, HostPort& listen, std::string_view what) {
  const std::uint16_t default_port = listen.port;
  return app
      .add_option_function<std::string>(
          "-l,--listen",
          [&listen, default_port](const std::string& text) {
            auto parsed = parse_listen(text, default_port);
            if (!parsed) throw CLI::ValidationError("--listen", parsed.error());
            listen = *parsed;
          },
          std::string(what) + ", [HOST:]PORT (port 0: any free port)")
      ->type_name("[HOST:]PORT")
      ->default_str(to_string(listen));
}

CLI::Option* add_peer_option(CLI::App& app, const std::string& name, HostPort& peer,
                             std::uint16_t default_port, const std::string& help) {
  return app
      .add_option_function<std::string>(
          name,
          [&peer, name, default_port](const std::string& text) {
            auto parsed = parse_peer(text, default_port);
            if (!parsed) throw CLI::ValidationError(name, parsed.error());
            peer = *parsed;
          },
          help)
      ->type_name("HOST[:PORT]");
}

}  // namespace socklab
