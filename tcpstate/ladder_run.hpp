// tcpstate ladder: the real segments of each connection as a ladder, from a
// live capture, a saved file, or a command run in a private network
// namespace (capture/captured_command.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <asio/ip/address.hpp>

#include "common/trace.hpp"

namespace socklab {

struct LadderOptions {
  std::uint16_t port = 0;
  std::optional<asio::ip::address> host;
  std::string interface;
  std::string read;
  std::string write;
  bool all = false;
  bool absolute = false;
  bool json = false;
  double duration = 0;
  std::uint64_t count = 0;
  unsigned follow = 0;
  std::vector<std::string> command;
};

/// Draws the ladder; the command's exit status with -- COMMAND, else 0.
int ladder(const LadderOptions& options, bool quiet, const Tracer& tracer);

}  // namespace socklab
