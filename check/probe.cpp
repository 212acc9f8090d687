#include "check/probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace socklab {
namespace {

using Clock = std::chrono::steady_clock;

int left_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits for `events` on fd until the deadline; false at the deadline.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    const int n = poll(&p, 1, left_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string byte_text(unsigned char c) {
  char buf[16];
  if (c >= 0x20 && c < 0x7f)
    std::snprintf(buf, sizeof buf, "0x%02x '%c'", c, c);
  else
    std::snprintf(buf, sizeof buf, "0x%02x", c);
  return buf;
}

}  // namespace

Result<Probe> Probe::connect(const std::string& host, std::uint16_t port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return Failure{host + ": " + gai_strerror(rc)};
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return Failure{std::string("socket: ") + std::strerror(errno)};
  }
  Probe probe(fd);
  const int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (rc != 0 && errno != EINPROGRESS) return Failure{std::string("connect: ") + std::strerror(errno)};
  if (rc != 0) {
    if (!wait_for(fd, POLLOUT, Clock::now() + std::chrono::milliseconds(timeout_ms)))
      return Failure{"connect: no answer in " + std::to_string(timeout_ms) + " ms"};
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Failure{std::string("connect: ") + std::strerror(err)};
  }
  return probe;
}

Probe::~Probe() {
  if (fd_ >= 0) close(fd_);
}

Result<void> Probe::send(const std::string& bytes, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return Failure{std::string("send: ") + std::strerror(errno) + " after " + std::to_string(done) +
                     " bytes"};
    if (!wait_for(fd_, POLLOUT, deadline))
      return Failure{"send: only " + std::to_string(done) + " of " + std::to_string(bytes.size()) +
                     " bytes taken in " + std::to_string(timeout_ms) + " ms"};
  }
  return {};
}

Probe::Read Probe::read(std::size_t want, int timeout_ms, int extra_ms) {
  Read r;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  bool extra = false;
  char buf[65536];
  while (true) {
    if (!extra && r.bytes.size() >= want) {
      if (extra_ms <= 0) return r;
      extra = true;
      deadline = Clock::now() + std::chrono::milliseconds(extra_ms);
    }
    if (!wait_for(fd_, POLLIN, deadline)) return r;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      r.bytes.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      r.eof = true;
      return r;
    }
    if (errno == EAGAIN || errno == EINTR) continue;
    r.reset = errno == ECONNRESET;
    r.eof = !r.reset;
    return r;
  }
}

Probe::Read Probe::read_to_end(int timeout_ms) { return read(static_cast<std::size_t>(-1), timeout_ms, 0); }

void Probe::half_close() { shutdown(fd_, SHUT_WR); }

void Probe::reset() {
  // A zero linger time: close() discards the connection with an RST.
  linger l{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd_);
  fd_ = -1;
}

std::uint16_t Probe::local_port() const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

std::string bytes_difference(const std::string& expected, const std::string& got) {
  if (expected == got) return "";
  std::size_t i = 0;
  while (i < expected.size() && i < got.size() && expected[i] == got[i]) ++i;
  const std::string want =
      i < expected.size() ? byte_text(static_cast<unsigned char>(expected[i])) : "nothing";
  const std::string had = i < got.size() ? byte_text(static_cast<unsigned char>(got[i])) : "nothing";
  return "expected " + std::to_string(expected.size()) + " bytes, got " + std::to_string(got.size()) +
         "; first difference at byte " + std::to_string(i) + ": expected " + want + ", got " + had;
}

}  // namespace socklab
