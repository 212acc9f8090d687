#include "filexfer/connection.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace socklab::filexfer {

Connection::Connection(int fd, double idle_seconds)
    : fd_(fd), idle_ms_(idle_seconds > 0 ? static_cast<int>(idle_seconds * 1000) : -1) {
  // Without TCP_NODELAY the 33-byte trailer after a file's last segment waits
  // until that segment is ACKed, and the receiver delays its ACK by up to
  // 40 ms: one small file per 40 ms.
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::wait(short events) {
  pollfd p{fd_, events, 0};
  for (;;) {
    const int ready = ::poll(&p, 1, idle_ms_);
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

void Connection::wait_to_write(const std::string& step) {
  // POLLRDHUP: the peer's FIN arrived. Waiting to write, that means the peer
  // closed while its receive window was full; it will never read again (a
  // closed socket only answers the window probes with "still full"), so
  // waiting out the idle timeout would be for nothing.
  pollfd p{fd_, POLLOUT | POLLRDHUP, 0};
  for (;;) {
    const int ready = ::poll(&p, 1, idle_ms_);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      throw StepError(step,
                      "the peer read nothing for " + std::to_string(idle_ms_ / 1000) + " s (idle timeout)");
    }
    if (p.revents & (POLLOUT | POLLERR)) return;  // the write that follows tells which
    throw StepError(step, "the peer closed the connection");
  }
}

// Adds bytes from the socket to what is read ahead. From the socket, never
// through read_some(): that would hand back what is already ahead, and a
// message split across two reads would go round this loop forever.
void Connection::fill(const std::string& step) {
  char buffer[4096];
  const std::size_t n = receive(buffer, step);
  if (n == 0) throw StepError(step, "the connection closed in the middle of a message");
  ahead_.append(buffer, n);
}

std::size_t Connection::read_some(std::span<char> buffer, const std::string& step) {
  if (!ahead_.empty()) {
    const std::size_t n = std::min(buffer.size(), ahead_.size());
    std::memcpy(buffer.data(), ahead_.data(), n);
    ahead_.erase(0, n);
    return n;
  }
  return receive(buffer, step);
}

std::size_t Connection::receive(std::span<char> buffer, const std::string& step) {
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw StepError(step, errno == ECONNRESET ? "the peer reset the connection" : std::strerror(errno));
    }
    if (!wait(POLLIN))
      throw StepError(step, "nothing arrived for " + std::to_string(idle_ms_ / 1000) + " s (idle timeout)");
  }
}

std::string_view Connection::peek(const std::string& step) {
  if (ahead_.empty()) {
    char buffer[4096];
    const std::size_t n = receive(buffer, step);
    ahead_.append(buffer, n);
  }
  return ahead_;
}

void Connection::write_all(std::string_view data, const std::string& step) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      throw StepError(step, errno == EPIPE || errno == ECONNRESET ? "the peer closed the connection"
                                                                  : std::strerror(errno));
    }
    // The peer's receive window is full: wait until it reads (the sliding window at work).
    wait_to_write(step);
  }
}

std::uint64_t Connection::send_file_some(int file_fd, std::uint64_t offset, std::uint64_t count,
                                         const std::string& step) {
  for (;;) {
    off_t at = static_cast<off_t>(offset);
    const ssize_t n = ::sendfile(fd_, file_fd, &at, std::min<std::uint64_t>(count, 4 << 20));
    if (n > 0) return static_cast<std::uint64_t>(n);
    if (n == 0) throw StepError(step, "the file got shorter while it was being sent");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw StepError(step, errno == EPIPE || errno == ECONNRESET ? "the peer closed the connection"
                                                                  : std::strerror(errno));
    }
    wait_to_write(step);
  }
}

bool Connection::readable(int wait_ms) {
  if (!ahead_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, wait_ms) > 0;
}

void Connection::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

}  // namespace socklab::filexfer
