// The step tracer behind --trace: every socket step a program takes, numbered
// like the course's steps, with the Go call and the POSIX call it matches and,
// where the step changes TCP state, what happened on the wire in plain words.
//
//   [3] accept 127.0.0.1:51234   (Go: listener.Accept | C: accept)
//       -> the kernel finished the three-way handshake: ESTABLISHED
//
// One implementation, used by every program, so the end-of-file story reads
// the same everywhere.
#pragma once

#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

namespace socklab {

/// The Go call and the C (POSIX) call a step corresponds to.
struct Call {
  std::string_view go;
  std::string_view c;
};

/// The calls the course's programs make, by name.
namespace calls {
inline constexpr Call resolve_tcp{"net.ResolveTCPAddr", "getaddrinfo"};
inline constexpr Call resolve_udp{"net.ResolveUDPAddr", "getaddrinfo"};
inline constexpr Call listen_tcp{"net.Listen", "socket+bind+listen"};
inline constexpr Call listen_udp{"net.ListenUDP", "socket+bind"};
inline constexpr Call accept{"listener.Accept", "accept"};
inline constexpr Call dial_tcp{"net.Dial(\"tcp\")", "socket+connect"};
inline constexpr Call dial_udp{"net.Dial(\"udp\")", "socket+connect"};
inline constexpr Call read{"conn.Read", "recv"};
inline constexpr Call write{"conn.Write", "send"};
inline constexpr Call read_from_udp{"conn.ReadFromUDP", "recvfrom"};
inline constexpr Call write_to_udp{"conn.WriteToUDP", "sendto"};
inline constexpr Call close_write{"conn.(*net.TCPConn).CloseWrite", "shutdown(SHUT_WR)"};
inline constexpr Call close{"conn.Close", "close"};
}  // namespace calls

/// What a step means for TCP, told the same way by every program.
namespace story {
inline constexpr std::string_view connected =
    "SYN sent, SYN+ACK received, ACK sent: handshake done, ESTABLISHED";
inline constexpr std::string_view accepted =
    "the kernel finished the three-way handshake before accept returned: ESTABLISHED";
inline constexpr std::string_view shutdown_write =
    "FIN sent: FIN_WAIT_1 until the peer ACKs it, then FIN_WAIT_2 while the peer sits in "
    "CLOSE_WAIT; we can still read";
inline constexpr std::string_view peer_fin =
    "read returned 0 (end of file): the peer sent FIN, it will send no more; we are in CLOSE_WAIT "
    "until we close";
inline constexpr std::string_view peer_fin_after_ours =
    "read returned 0 (end of file): the peer's FIN answers ours; both directions are closed";
inline constexpr std::string_view reset =
    "the peer reset the connection (RST): no FIN, no TIME_WAIT, the connection is gone at once";
inline constexpr std::string_view close_after_peer_fin =
    "FIN sent after the peer's FIN: we are in LAST_ACK until it ACKs, then CLOSED";
inline constexpr std::string_view close_first =
    "we close first: FIN sent, FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT, which lasts 2MSL (60 s on "
    "Linux)";
inline constexpr std::string_view close_both_fins_ours_first =
    "both FINs exchanged and ours went first: this side waits in TIME_WAIT for 2MSL (60 s on Linux)";
inline constexpr std::string_view close_unread =
    "closed with unread data: the kernel sends RST instead of FIN";
}  // namespace story

/// Which FINs a connection has seen; picks the story for close().
struct FinState {
  bool we_sent_fin = false;
  bool peer_sent_fin = false;
};

/// The story of closing a TCP connection in the given state.
std::string_view close_story(FinState fins);

/// Writes numbered steps to a stream (stderr in the programs); does nothing
/// when disabled. Safe to call from several threads: each step is one write.
class Tracer {
 public:
  /// A disabled tracer: every call is a no-op.
  Tracer();
  /// Traces to `out` when `enabled`.
  Tracer(bool enabled, std::ostream& out);

  bool enabled() const { return enabled_; }

  /// Writes one step. `detail` is the address, sizes and the like.
  void step(int number, std::string_view action, std::string_view detail, Call call,
            std::string_view consequence = {}) const;

  /// A note that belongs to no call (for example "stdin closed").
  void note(std::string_view text) const;

  /// The exact text `step` writes, without the trailing newline.
  static std::string format(int number, std::string_view action, std::string_view detail, Call call,
                            std::string_view consequence = {});

 private:
  bool enabled_ = false;
  std::ostream* out_ = nullptr;
  mutable std::mutex mutex_;
};

/// "1 byte" / "5 bytes".
std::string bytes_text(std::size_t n);

}  // namespace socklab
