#include "tcpstate/demo_sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/error.hpp"

namespace socklab {
namespace {

// Two calls --trace names that common/trace.hpp does not list: the option a
// Go program sets through net.ListenConfig's Control hook, and a connect
// that returns at once, which Go's Dial never does.
constexpr Call set_option_call{"syscall.SetsockoptInt", "setsockopt"};
constexpr Call bind_call{"net.Listen", "bind"};
constexpr Call connect_nonblocking{"(none: net.Dial waits)", "connect on an O_NONBLOCK socket"};

std::string errno_text() { return std::strerror(errno); }

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::string endpoint_of(const sockaddr_in& a) {
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(a.sin_port));
}

sockaddr_in name_of(int fd, bool peer) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (peer)
    getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len);
  else
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return a;
}

void set_non_blocking(const Fd& s) { fcntl(s.get(), F_SETFL, fcntl(s.get(), F_GETFL) | O_NONBLOCK); }

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  reset();
  fd_ = o.fd_;
  o.fd_ = -1;
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string local_of(const Fd& s) { return endpoint_of(name_of(s.get(), false)); }

std::string DemoSockets::ends(const Fd& s, std::string_view arrow) const {
  auto c = connections_.find(s.get());
  if (c == connections_.end()) return local_of(s);
  return c->second.local + " " + std::string(arrow) + " " + c->second.remote;
}

std::uint16_t port_of(const Fd& s) { return ntohs(name_of(s.get(), false).sin_port); }

void DemoSockets::set_option(const Fd& s, int level, int name, int value, std::string_view what) {
  if (setsockopt(s.get(), level, name, &value, sizeof value) != 0)
    throw StepError("setsockopt " + std::string(what), errno_text());
  tracer_.step(2, "setsockopt", std::string(what) + " " + std::to_string(value), set_option_call);
}

Fd DemoSockets::open_listener(std::uint16_t port, const ListenSetup& setup, int* bind_error) {
  Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.open()) throw StepError("socket", errno_text());
  if (setup.reuse_address) set_option(s, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  // Accepted sockets inherit the listener's receive buffer: small, so a
  // reader that stops reading closes its window after a few KiB.
  if (setup.receive_buffer) set_option(s, SOL_SOCKET, SO_RCVBUF, setup.receive_buffer, "SO_RCVBUF");
  // TCP_DEFER_ACCEPT (seconds): the kernel ignores the handshake's final ACK
  // and keeps the connection in SYN_RCVD until the client's first data arrives.
  if (setup.defer_accept) set_option(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, 30, "TCP_DEFER_ACCEPT");
  sockaddr_in a = loopback(port);
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (!bind_error) throw StepError("bind " + endpoint_of(a), errno_text());
    *bind_error = errno;
    tracer_.step(2, "bind", endpoint_of(a) + " failed: " + errno_text(), bind_call);
    return Fd();
  }
  if (::listen(s.get(), setup.backlog) != 0) throw StepError("listen", errno_text());
  connections_.erase(s.get());  // a listener has no FINs
  tracer_.step(2, "listen", local_of(s) + " backlog " + std::to_string(setup.backlog), calls::listen_tcp);
  return s;
}

Fd DemoSockets::listen(std::uint16_t port, const ListenSetup& setup) {
  return open_listener(port, setup, nullptr);
}

Fd DemoSockets::try_listen(std::uint16_t port, const ListenSetup& setup, int& bind_error) {
  return open_listener(port, setup, &bind_error);
}

Fd DemoSockets::connect(std::uint16_t port, const ConnectSetup& setup) {
  Fd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!c.open()) throw StepError("socket", errno_text());
  if (setup.receive_buffer) set_option(c, SOL_SOCKET, SO_RCVBUF, setup.receive_buffer, "SO_RCVBUF");
  if (!setup.blocking) set_non_blocking(c);
  sockaddr_in a = loopback(port);
  if (::connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 &&
      !(errno == EINPROGRESS && !setup.blocking)) {
    throw StepError("connect " + endpoint_of(a), errno_text());
  }
  const std::string detail = local_of(c) + " -> " + endpoint_of(a);
  if (setup.blocking) {
    connections_[c.get()] = {local_of(c), endpoint_of(a), {}};
    tracer_.step(2, "connect", detail, calls::dial_tcp, story::connected);
  } else {
    connections_.erase(c.get());  // not connected yet: close() tells no FIN story
    tracer_.step(2, "connect", detail + " (returns at once: EINPROGRESS)", connect_nonblocking,
                 "SYN sent; the handshake goes on without us: SYN_SENT");
  }
  return c;
}

Fd DemoSockets::accept(const Fd& listener) {
  Fd s(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!s.open()) throw StepError("accept", errno_text());
  connections_[s.get()] = {local_of(s), endpoint_of(name_of(s.get(), true)), {}};
  tracer_.step(3, "accept", ends(s, "<-"), calls::accept, story::accepted);
  return s;
}

void DemoSockets::write(const Fd& s, std::string_view data) {
  if (send(s.get(), data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size()))
    throw StepError("write", errno_text());
  tracer_.step(5, "write", ends(s, "->") + " " + bytes_text(data.size()), calls::write);
}

std::size_t DemoSockets::fill(const Fd& s) {
  set_non_blocking(s);
  static const std::string chunk(4096, 'x');
  std::size_t total = 0;
  for (int quiet = 0; quiet < 3;) {
    ssize_t n = send(s.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      quiet = 0;
      continue;
    }
    if (errno != EAGAIN) throw StepError("write", errno_text());
    ++quiet;  // the window may still open a little: look again shortly
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  tracer_.step(5, "write", ends(s, "->") + " " + bytes_text(total) + ", until it would block (EAGAIN)",
               calls::write);
  return total;
}

std::string DemoSockets::read_exactly(const Fd& s, std::size_t n) {
  std::string data(n, '\0');
  if (recv(s.get(), data.data(), n, MSG_WAITALL) != static_cast<ssize_t>(n))
    throw StepError("read", "fewer than " + bytes_text(n) + " arrived");
  tracer_.step(4, "read", ends(s, "<-") + " " + bytes_text(n), calls::read);
  return data;
}

std::size_t DemoSockets::drain(const Fd& s) {
  set_non_blocking(s);
  char buf[65536];
  std::size_t total = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = recv(s.get(), buf, sizeof buf, 0);
    if (n == 0) {
      FinState& fins = connections_[s.get()].fins;
      fins.peer_sent_fin = true;
      tracer_.step(4, "read", ends(s, "<-") + " " + bytes_text(total) + ", then 0", calls::read,
                   fins.we_sent_fin ? story::peer_fin_after_ours : story::peer_fin);
      return total;
    }
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      continue;
    }
    if (errno != EAGAIN) throw StepError("read", errno_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw StepError("read", "no end of file within 10 s");
}

void DemoSockets::shutdown_write(const Fd& s) {
  if (::shutdown(s.get(), SHUT_WR) != 0) throw StepError("shutdown", errno_text());
  connections_[s.get()].fins.we_sent_fin = true;
  tracer_.step(5, "shutdown write", ends(s, "->"), calls::close_write, story::shutdown_write);
}

void DemoSockets::close(Fd& s) {
  if (!s.open()) return;
  const std::string detail = ends(s, "->");
  std::string_view story;
  if (auto c = connections_.find(s.get()); c != connections_.end()) {
    story = close_story(c->second.fins);
    connections_.erase(c);
  }
  s.reset();
  tracer_.step(6, "close", detail, calls::close, story);
}

}  // namespace socklab
