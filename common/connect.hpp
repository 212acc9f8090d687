// Steps [1] resolve and [2] connect of every TCP client (tcp-client, its
// --load mode, sendfile): the course's net.Dial, with a time limit and the
// reason in words when nothing answers. The caller traces the steps.
#pragma once

#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "common/endpoint.hpp"

namespace socklab {

/// A peer as the user named it, and the addresses it resolved to.
struct TcpPeer {
  HostPort name;
  std::vector<asio::ip::tcp::endpoint> addresses;
  /// The address when there is one ("127.0.0.1:8001"), else the name.
  std::string text() const;
  /// What --trace shows for step [1]: "localhost -> [::1]:8001, 127.0.0.1:8001".
  std::string resolved() const;
};

/// [1] Resolves `name` (Go: net.ResolveTCPAddr | C: getaddrinfo); throws
/// StepError("resolve HOST", "unknown host 'HOST'") on failure.
TcpPeer resolve_peer(asio::io_context& io, const HostPort& name, Family family);

/// [2] Starts connecting `socket` to the first of `peer`'s addresses that
/// accepts, giving up after `seconds`; then calls `done(ec)` on the socket's
/// event loop (asio::error::timed_out when the time ran out).
void connect_within(asio::ip::tcp::socket& socket, const TcpPeer& peer, double seconds,
                    std::function<void(std::error_code)> done);

/// [2] The same, blocking: runs `io` until connected. Returns the socket
/// with TCP_NODELAY set; throws StepError("connect ADDR", why) on failure.
asio::ip::tcp::socket connect_to(asio::io_context& io, const TcpPeer& peer, double seconds);

/// Why a connect failed, in the words every client uses: "connection
/// refused: nothing is listening on ADDR", "no answer within 2 s
/// (--connect-timeout)", or the system's message.
std::string connect_failure(const std::error_code& ec, const TcpPeer& peer, double seconds);

/// "nothing is listening on ADDR": what a refusal means, for TCP (the
/// peer's kernel answered the SYN with RST) and UDP (ICMP port unreachable).
std::string nothing_listening_on(const std::string& address);

}  // namespace socklab
