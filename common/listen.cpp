#include "common/listen.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "common/error.hpp"

namespace socklab {
namespace {

// [1] resolve the one local address a listener binds, and open `socket`
// (the socket() of step [2]) in its family.
template <class Socket>
typename Socket::endpoint_type resolve_and_open(asio::io_context& io, Socket& socket, const HostPort& where,
                                                Family family, const Tracer& tracer, Call call) {
  auto address = resolve_listen_address(io, where, family);
  if (!address) throw StepError("resolve " + where.host, address.error());
  typename Socket::endpoint_type local(*address, where.port);
  tracer.step(1, "resolve", to_string(local), call);
  std::error_code ec;
  socket.open(local.protocol(), ec);
  check(ec, "socket");
  return local;
}

}  // namespace

asio::ip::tcp::acceptor listen_tcp(asio::io_context& io, const HostPort& where, Family family,
                                   const Tracer& tracer) {
  using asio::ip::tcp;
  tcp::acceptor acceptor(io);
  const tcp::endpoint local = resolve_and_open(io, acceptor, where, family, tracer, calls::resolve_tcp);
  std::error_code ec;
  // SO_REUSEADDR lets a restarted server bind its port while connections of
  // the previous run still sit in TIME_WAIT (else: "Address already in use").
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(local, ec);
  check(ec, "bind " + to_string(local));
  // The backlog bounds the connections the kernel has completed that we have
  // not accepted yet; the largest the system allows (somaxconn).
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  check(ec, "listen " + to_string(local));
  tracer.step(2, "listen", to_string(acceptor.local_endpoint()), calls::listen_tcp,
              "the socket is in LISTEN: the kernel answers SYNs");
  return acceptor;
}

asio::ip::udp::socket listen_udp(asio::io_context& io, const HostPort& where, Family family,
                                 const Tracer& tracer, bool share_port) {
  using asio::ip::udp;
  udp::socket socket(io);
  const udp::endpoint local = resolve_and_open(io, socket, where, family, tracer, calls::resolve_udp);
  std::error_code ec;
  if (share_port) {
    const int one = 1;
    if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      throw StepError("setsockopt SO_REUSEPORT", std::strerror(errno));
    }
  }
  socket.bind(local, ec);
  check(ec, "bind " + to_string(local));
  socket.non_blocking(true, ec);
  tracer.step(2, "listen udp", to_string(socket.local_endpoint()), calls::listen_udp);
  return socket;
}

void announce_listening(const std::string& address) {
  std::cout << "listening on " << address << std::endl;  // endl flushes: scripts wait for it
}

}  // namespace socklab
