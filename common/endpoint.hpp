// Endpoints: the HOST[:PORT] strings users type, and the addresses they
// resolve to. Parsing is pure (no I/O) so unit tests reach every form.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include "common/result.hpp"

namespace socklab {

/// Which address family a program may use (-4 / -6 / either).
enum class Family { any, v4, v6 };

/// A host (name or address, possibly empty) and a port, as the user typed it.
struct HostPort {
  std::string host;    ///< "" means "all interfaces" for a listener
  std::uint16_t port;  ///< 0 means "any free port" for a listener
  bool operator==(const HostPort&) const = default;
};

/// Parses a peer address: "HOST", "HOST:PORT", "[V6]:PORT", "[V6]" or a bare
/// IPv6 address such as "::1". A missing port becomes `default_port`.
/// Rejects an empty host, "host:", a port outside 1-65535, "[::1".
Result<HostPort> parse_peer(std::string_view text, std::uint16_t default_port);

/// Parses a listen address: "PORT", ":PORT", "HOST:PORT", "[V6]:PORT" or
/// "HOST". An empty host means all interfaces; port 0 means any free port.
Result<HostPort> parse_listen(std::string_view text, std::uint16_t default_port);

/// The address as the user would type it: "localhost:8001", "[::1]:8001",
/// or ":8001" for all interfaces.
std::string to_string(const HostPort& where);

/// "127.0.0.1:8001" or "[::1]:8001"; IPv4-mapped IPv6 is shown as IPv4.
std::string format_address(const asio::ip::address& address, std::uint16_t port);

/// Same as format_address for any Asio endpoint.
template <class Endpoint>
std::string to_string(const Endpoint& endpoint) {
  return format_address(endpoint.address(), endpoint.port());
}

/// The Asio endpoint (tcp:: or udp::endpoint) for an address the kernel
/// filled in: the sockaddr_storage and length that accept or recvfrom gave.
template <class Endpoint>
Endpoint endpoint_from(const sockaddr_storage& address, socklen_t length) {
  Endpoint endpoint;
  const std::size_t size = std::min<std::size_t>(length, endpoint.capacity());
  std::memcpy(endpoint.data(), &address, size);
  endpoint.resize(size);
  return endpoint;
}

/// Resolves a peer (Go: net.ResolveTCPAddr | C: getaddrinfo). Fails with
/// "unknown host 'x'" or "no IPv6 address for 'x'" and never throws.
Result<std::vector<asio::ip::tcp::endpoint>> resolve_tcp(asio::io_context& io, const HostPort& peer,
                                                         Family family);
/// The UDP twin of resolve_tcp.
Result<std::vector<asio::ip::udp::endpoint>> resolve_udp(asio::io_context& io, const HostPort& peer,
                                                         Family family);

/// The one local address a listener binds: the wildcard for an empty host
/// (0.0.0.0, or :: with -6), else the resolved host.
Result<asio::ip::address> resolve_listen_address(asio::io_context& io, const HostPort& listen, Family family);

}  // namespace socklab
