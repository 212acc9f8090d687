// One TCP connection of sendfile or recvfile: every wait bounded by an idle
// timeout, protocol messages read through the decoders of protocol.hpp.
// The socket is non-blocking and each wait is a poll(2) with the timeout;
// one thread per transfer, so the code reads top to bottom like the course's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "filexfer/protocol.hpp"

namespace socklab::filexfer {

/// A message the protocol does not allow (as opposed to a connection that
/// broke): the peer can be told why before the connection closes.
class BadMessage : public StepError {
 public:
  using StepError::StepError;
};

/// One TCP connection (owns the descriptor). Every wait is bounded by the
/// idle timeout: a peer that stops sending or reading fails the step.
class Connection {
 public:
  /// Turns Nagle's algorithm off: every message here is written whole, and a
  /// small one (a trailer, an answer) must not wait for the peer's delayed ACK.
  Connection(int fd, double idle_seconds);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// The socket (recvfile shuts an older connection down through it).
  int fd() const { return fd_; }
  /// Up to `buffer.size()` bytes (what was read ahead first); 0 at end of stream.
  std::size_t read_some(std::span<char> buffer, const std::string& step);
  /// Reads one message with `decode` (a decode_* of protocol.hpp).
  template <class Decode>
  auto read_message(Decode decode, const std::string& step) {
    for (;;) {
      auto d = decode(std::span<const char>(ahead_));
      if (d.invalid()) throw BadMessage(step, d.error);
      if (d.complete()) {
        ahead_.erase(0, d.used);
        return d.value;
      }
      if (ahead_.size() > max_message) throw BadMessage(step, "message longer than the protocol allows");
      fill(step);
    }
  }
  /// The first bytes without consuming them (at least one unless end of stream).
  std::string_view peek(const std::string& step);
  void write_all(std::string_view data, const std::string& step);
  /// Sends `count` bytes of the file `file_fd` from `offset` with sendfile(2):
  /// the kernel copies from the page cache to the socket, never through our
  /// memory. `progress(bytes_sent_so_far)` after each piece.
  template <class OnProgress>
  void send_file(int file_fd, std::uint64_t offset, std::uint64_t count, const std::string& step,
                 OnProgress progress) {
    std::uint64_t sent = 0;
    while (sent < count) {
      sent += send_file_some(file_fd, offset + sent, count - sent, step);
      progress(sent);
    }
  }
  void shutdown_write();
  /// Whether a read would return at once (bytes are waiting or the peer
  /// closed), waiting at most `wait_ms` milliseconds for it.
  bool readable(int wait_ms = 0);

 private:
  void fill(const std::string& step);
  /// Up to `buffer.size()` bytes from the socket itself, waiting at most the
  /// idle timeout; 0 at end of stream.
  std::size_t receive(std::span<char> buffer, const std::string& step);
  std::uint64_t send_file_some(int file_fd, std::uint64_t offset, std::uint64_t count,
                               const std::string& step);
  bool wait(short events);
  /// Waits until the socket takes more bytes; throws on the idle timeout or
  /// when the peer has closed without reading what is waiting.
  void wait_to_write(const std::string& step);
  int fd_;
  int idle_ms_;
  std::string ahead_;
};

}  // namespace socklab::filexfer
