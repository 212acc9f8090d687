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

void add_listen_option(CLI::App& app, std::string& listen, std::string_view what) {
  app.add_option("-l,--listen", listen, std::string(what) + ", [HOST:]PORT (port 0: any free port)")
      ->check(listen_validator())
      ->capture_default_str();
}

CLI::Validator listen_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto parsed = parse_listen(text, 1);
        return parsed ? std::string() : parsed.error();
      },
      "[HOST:]PORT");
}

CLI::Validator peer_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto parsed = parse_peer(text, 1);
        return parsed ? std::string() : parsed.error();
      },
      "HOST[:PORT]");
}

}  // namespace socklab
