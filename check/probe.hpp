// The grader's side of a connection: a client socket with every wait
// bounded (poll with a timeout), so a program that hangs cannot hang us.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace socklab {

class Probe {
 public:
  /// Connects to host:port within `timeout_ms`.
  static Result<Probe> connect(const std::string& host, std::uint16_t port, int timeout_ms);
  Probe(Probe&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Probe& operator=(Probe&&) = delete;
  Probe(const Probe&) = delete;
  ~Probe();

  /// Sends every byte within `timeout_ms`.
  Result<void> send(const std::string& bytes, int timeout_ms);

  struct Read {
    std::string bytes;
    bool eof = false;    // the peer closed (its FIN read)
    bool reset = false;  // the peer reset
  };
  /// Reads until `want` bytes, the end, or `timeout_ms`; then keeps reading
  /// while more comes within `extra_ms` (bytes the peer should not send).
  Read read(std::size_t want, int timeout_ms, int extra_ms);

  /// Waits at most `timeout_ms` for the peer's FIN (bytes before it kept).
  Read read_to_end(int timeout_ms);

  /// shutdown(SHUT_WR): our FIN, the half-close.
  void half_close();
  /// close() with SO_LINGER 0: an RST instead of a FIN.
  void reset();

  /// Our own port (the client side of the connection in the socket table).
  std::uint16_t local_port() const;
  int fd() const { return fd_; }

 private:
  explicit Probe(int fd) : fd_(fd) {}
  int fd_;
};

/// "expected 26 bytes, got 1024; first difference at byte 26: expected nothing, got 0x00"
/// or "" when equal. Names the first byte that differs and both lengths.
std::string bytes_difference(const std::string& sent_expected, const std::string& got);

}  // namespace socklab
