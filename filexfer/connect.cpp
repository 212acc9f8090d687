#include "filexfer/connect.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <asio/io_context.hpp>

#include "common/error.hpp"

namespace socklab::filexfer {

int connect_tcp(const std::string& text, std::uint16_t default_port, Family family, double timeout,
                std::string& peer) {
  asio::io_context io;
  const HostPort where = *parse_peer(text, default_port);
  auto endpoints = resolve_tcp(io, where, family);
  if (!endpoints) throw StepError("resolve " + text, endpoints.error());
  std::string last_error = "no address";
  for (const auto& ep : *endpoints) {
    peer = to_string(ep);
    const int fd = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw StepError("socket", std::strerror(errno));
    if (::connect(fd, ep.data(), static_cast<socklen_t>(ep.size())) == 0) return fd;
    if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(timeout * 1000));
      int err = 0;
      socklen_t len = sizeof err;
      if (ready > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) return fd;
      last_error = ready == 0 ? "no answer within " + std::to_string(static_cast<int>(timeout)) + " s"
                              : std::strerror(err);
      if (err == ECONNREFUSED) last_error = "connection refused: nothing is listening on " + peer;
    } else {
      last_error = errno == ECONNREFUSED ? "connection refused: nothing is listening on " + peer
                                         : std::strerror(errno);
    }
    ::close(fd);
  }
  throw StepError("connect " + text, last_error);
}

}  // namespace socklab::filexfer
