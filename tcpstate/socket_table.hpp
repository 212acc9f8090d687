// The socket tables the sources print, parsed into one shape: `ss -tan`
// (and `ss -tano`'s timers), `netstat -tan`, /proc/net/tcp and tcp6.
// Pure: text in, rows out. (bpftrace's lines: tcpstate/bpftrace_source.hpp.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/ip/address.hpp>
#include "capture/state.hpp"

#include "common/result.hpp"

namespace socklab {

/// One TCP socket as a source shows it, normalised: addresses as
/// "127.0.0.1:8001" or "[::1]:8001" (IPv4-mapped IPv6 shown as IPv4, the
/// wildcard as 0.0.0.0 or [::], an unknown port as "*"), states by the
/// course's names (state_name).
struct SocketRow {
  TcpState state = TcpState::closed;
  std::string local;
  std::string remote;
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0;
  std::uint64_t recv_q = 0;          ///< bytes received, not yet read (LISTEN: accept queue)
  std::uint64_t send_q = 0;          ///< bytes sent, not yet acknowledged
  std::string timer;                 ///< ss -o's timer name ("timewait", "persist", "on"), or ""
  std::optional<double> timer_left;  ///< seconds left on that timer
  bool operator==(const SocketRow&) const = default;
};

/// Parses `ss -tan` or `ss -tano` output (header optional).
Result<std::vector<SocketRow>> parse_ss(std::string_view text);

/// Parses `netstat -tan` / `netstat -tanW` output (the two header lines
/// optional; only tcp and tcp6 rows are read).
Result<std::vector<SocketRow>> parse_netstat(std::string_view text);

/// Parses /proc/net/tcp or /proc/net/tcp6 (addresses in hex, each 32-bit
/// word in the machine's byte order, which this reads as little-endian).
Result<std::vector<SocketRow>> parse_proc_net_tcp(std::string_view text);

/// Seconds in an ss timer value: "59sec", "924ms", "1.244ms" (1.244 s: ss
/// writes seconds '.' milliseconds "ms"), "1min", "1min5sec".
std::optional<double> parse_ss_duration(std::string_view text);

/// "HOST" and "PORT" as a source prints them -> the normalised
/// "127.0.0.1:8001" / "[::1]:8001" / "0.0.0.0:*". Hosts: dotted IPv4, IPv6
/// with or without brackets and with a "%scope" (dropped), "*" (any).
/// The reason for text that is not an address.
Result<std::string> normalise_endpoint(std::string_view host, std::string_view port);

/// Which sockets to show: a port (either end) and/or a host (either end).
struct SocketFilter {
  std::uint16_t port = 0;  ///< 0: any
  std::string host;        ///< normalised host text without port, "" for any
  bool matches(std::string_view local, std::uint16_t local_port, std::string_view remote,
               std::uint16_t remote_port) const;
  bool matches(const SocketRow& row) const {
    return matches(row.local, row.local_port, row.remote, row.remote_port);
  }
};

/// An IP address as a user or a source writes it ("::ffff:127.0.0.1" ->
/// 127.0.0.1, "[::1]" -> ::1, a "%scope" dropped); the reason ("'example'
/// is not an IP address") for anything else.
Result<asio::ip::address> parse_host(std::string_view host);

/// parse_host's address as SocketFilter compares it: "127.0.0.1", "::1".
Result<std::string> normalise_host(std::string_view host);

}  // namespace socklab
