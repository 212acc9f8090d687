// tcpstate watch: one line per observed state transition (or a live view
// of the current sockets on a terminal), until Ctrl-C or --duration.
#pragma once

#include <cstdint>
#include <optional>

#include <asio/ip/address.hpp>

#include "tcpstate/watcher.hpp"

namespace socklab {

struct WatchOptions {
  std::uint16_t port = 0;
  std::optional<asio::ip::address> host;
  SourceKind source = SourceKind::ss;
  unsigned interval_ms = 100;
  double duration = 0;
  bool json = false;
  bool plain = false;
  bool diagram = false;
  bool quiet = false;  ///< -q: the live view without its title line
};

/// Polls the source and prints its transitions; 0 at the end.
int watch(const WatchOptions& options);

}  // namespace socklab
