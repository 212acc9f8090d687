// The socket calls the demo makes by hand, on 127.0.0.1: plain POSIX calls,
// because it needs what Asio and Go hide (a backlog of 0, a small SO_RCVBUF,
// TCP_DEFER_ACCEPT, a connect that does not wait). Each call is told to the
// tracer (--trace) and throws StepError when it fails unexpectedly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/trace.hpp"

namespace socklab {

/// A socket descriptor, closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

/// "127.0.0.1:8001": the socket's own address (getsockname).
std::string local_of(const Fd& s);
/// Its port.
std::uint16_t port_of(const Fd& s);

/// How a listener is set up.
struct ListenSetup {
  int backlog = 1;
  bool reuse_address = false;  ///< SO_REUSEADDR
  int receive_buffer = 0;      ///< SO_RCVBUF (accepted sockets inherit it); 0: the kernel's
  bool defer_accept = false;   ///< TCP_DEFER_ACCEPT
};

/// How a client socket is set up.
struct ConnectSetup {
  int receive_buffer = 0;  ///< SO_RCVBUF; 0: the kernel's
  bool blocking = true;    ///< false: connect() returns while the handshake goes on
};

/// The demo's socket calls, each told to a tracer.
class DemoSockets {
 public:
  explicit DemoSockets(const Tracer& tracer) : tracer_(tracer) {}

  /// socket, the options, bind and listen on 127.0.0.1:port (0: any port).
  Fd listen(std::uint16_t port, const ListenSetup& setup);
  /// The same, but a bind that fails returns no socket and sets
  /// `bind_error` (errno) instead of throwing: the reuseaddr scene shows it.
  Fd try_listen(std::uint16_t port, const ListenSetup& setup, int& bind_error);
  /// socket, SO_RCVBUF, connect to 127.0.0.1:port.
  Fd connect(std::uint16_t port, const ConnectSetup& setup = {});
  /// accept: the next connection of the listener's queue.
  Fd accept(const Fd& listener);

  /// write: all of `data` (a few bytes: the send buffer takes them at once).
  void write(const Fd& s, std::string_view data);
  /// Writes until the kernel takes no more: the peer's window is zero and
  /// our send buffer is full (the write would block). Returns the bytes written.
  std::size_t fill(const Fd& s);
  /// read: exactly `n` bytes.
  std::string read_exactly(const Fd& s, std::size_t n);
  /// Reads until end of file (the peer's FIN), at most 10 s; returns the bytes read.
  std::size_t drain(const Fd& s);
  /// shutdown(SHUT_WR): our FIN, after the data already sent.
  void shutdown_write(const Fd& s);
  /// close.
  void close(Fd& s);

 private:
  Fd open_listener(std::uint16_t port, const ListenSetup& setup, int* bind_error);
  void set_option(const Fd& s, int level, int name, int value, std::string_view what);
  // "LOCAL -> REMOTE" for --trace; `arrow` "<-" for what comes in.
  std::string ends(const Fd& s, std::string_view arrow) const;

  // A connected socket: its two ends (kept: getpeername fails once the
  // peer is gone) and the FINs it has seen, which pick close()'s story.
  struct Connection {
    std::string local;
    std::string remote;
    FinState fins;
  };
  const Tracer& tracer_;
  std::map<int, Connection> connections_;  // by descriptor
};

}  // namespace socklab
