// Steps [1] resolve and [2] listen of every server, TCP and UDP: the
// course's net.Listen and net.ListenUDP, traced, and the "listening on"
// line that scripts and tests wait for.
#pragma once

#include <string>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include "common/endpoint.hpp"
#include "common/trace.hpp"

namespace socklab {

/// [1] resolve `where` (an empty host: every interface), [2] listen: socket,
/// SO_REUSEADDR, bind, listen with the largest backlog. Traces both steps;
/// throws StepError ("bind 0.0.0.0:8001: Address already in use").
asio::ip::tcp::acceptor listen_tcp(asio::io_context& io, const HostPort& where, Family family,
                                   const Tracer& tracer);

/// The UDP twin: [1] resolve, [2] socket + bind (UDP has no listen and no
/// accept). With `share_port`, SO_REUSEPORT lets several sockets bind the
/// same port. The socket is non-blocking: a server's sendto never waits for
/// a full send buffer, the datagram is dropped as the network might drop it.
asio::ip::udp::socket listen_udp(asio::io_context& io, const HostPort& where, Family family,
                                 const Tracer& tracer, bool share_port = false);

/// Prints "listening on IP:PORT" to stdout and flushes it. A server calls
/// it before serving, as its first stdout line: scripts and tests read it.
void announce_listening(const std::string& address);

}  // namespace socklab
