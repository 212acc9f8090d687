// tcpstate snapshot: the current sockets once, like netstat -an | grep PORT.
#pragma once

#include <cstdint>
#include <optional>

#include <asio/ip/address.hpp>

#include "tcpstate/watcher.hpp"

namespace socklab {

struct SnapshotOptions {
  std::uint16_t port = 0;
  std::optional<asio::ip::address> host;
  SourceKind source = SourceKind::ss;  ///< bpftrace reads /proc: a snapshot has no events
  bool json = false;
  bool quiet = false;  ///< -q: no column header line
};

/// Prints the filtered sockets (a table, or one JSON object each); 0.
int snapshot(const SnapshotOptions& options);

}  // namespace socklab
