#include "tcpstate/cli_options.hpp"

#include <unistd.h>

#include <cstdlib>

namespace socklab {

CLI::Option* add_port_option(CLI::App& app, std::uint16_t& port, const std::string& what) {
  return app.add_option("--port", port, "only " + what + " with this port at either end")
      ->check(CLI::Range(1, 65535));
}

CLI::Option* add_host_option(CLI::App& app, std::optional<asio::ip::address>& host, const std::string& what) {
  return app
      .add_option_function<std::string>(
          "--host",
          [&host](const std::string& text) {
            auto address = parse_host(text);
            if (!address) throw CLI::ValidationError("--host", address.error());
            host = *address;
          },
          "only " + what + " with this IP address at either end")
      ->type_name("ADDRESS");
}

CLI::Option* add_source_option(CLI::App& app, SourceKind& source, const std::string& help) {
  return add_choice_option<SourceKind>(app, "--source", source,
                                       {{"ss", SourceKind::ss},
                                        {"netstat", SourceKind::netstat},
                                        {"proc", SourceKind::proc},
                                        {"bpftrace", SourceKind::bpftrace}},
                                       help);
}

SocketFilter socket_filter(std::uint16_t port, const std::optional<asio::ip::address>& host) {
  return SocketFilter{port, host ? host->to_string() : ""};
}

bool colour_terminal() { return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr; }

}  // namespace socklab
