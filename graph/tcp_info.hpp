// TCP_INFO of sockets, read from the kernel over sock_diag netlink (what
// `ss -ti` uses): the sender's own view of a connection that no capture can
// see, the congestion window above all. parse_inet_diag() reads the kernel's
// reply bytes (pure, bounds-checked); TcpInfoSampler asks for them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace socklab::graph {

/// One socket's TCP_INFO at one moment, in the units a graph draws.
struct TcpInfoSample {
  std::string src;  ///< local address, e.g. "127.0.0.1" or "::1"
  std::uint16_t src_port = 0;
  std::string dst;  ///< remote address
  std::uint16_t dst_port = 0;
  std::string state;                ///< "ESTABLISHED", "LISTEN", ... (the kernel's state number named)
  std::uint32_t mss = 0;            ///< tcpi_snd_mss: bytes per segment this socket sends
  std::uint32_t cwnd_segments = 0;  ///< tcpi_snd_cwnd: the congestion window, in segments
  std::uint64_t cwnd_bytes = 0;     ///< cwnd_segments x mss
  /// tcpi_snd_ssthresh in segments; empty while still "infinite" (slow start never ended).
  std::optional<std::uint32_t> ssthresh_segments;
  /// Segments sent and not yet known to have left the network, as the kernel counts them
  /// against cwnd (tcp_packets_in_flight): unacked - sacked - lost + retrans.
  std::uint32_t in_flight_segments = 0;
  std::uint64_t in_flight_bytes = 0;   ///< in_flight_segments x mss
  std::uint32_t unacked_segments = 0;  ///< tcpi_unacked: sent, not cumulatively acknowledged
  std::uint32_t notsent_bytes = 0;     ///< tcpi_notsent_bytes: written by the program, not sent yet
  std::uint32_t srtt_us = 0;           ///< tcpi_rtt: smoothed round-trip time, microseconds
  std::uint32_t rttvar_us = 0;         ///< tcpi_rttvar
  std::uint32_t total_retrans = 0;     ///< tcpi_total_retrans: segments retransmitted so far
  /// tcpi_snd_wnd: the peer's advertised receive window (scaled, bytes); kernels before 5.4 do not send it.
  std::optional<std::uint32_t> snd_wnd_bytes;
  std::uint32_t rcv_ssthresh_bytes = 0;  ///< tcpi_rcv_ssthresh: the most this socket offers the peer now
  std::uint32_t rcv_space_bytes = 0;     ///< tcpi_rcv_space: the receive buffer autotuning aims at
  std::string congestion;                ///< INET_DIAG_CONG: "cubic", "reno", "bbr"...; empty if not sent
  bool has_info = false;  ///< false when the reply carried no INET_DIAG_INFO (e.g. LISTEN dumps)
};

/// The sockets in a sock_diag dump reply: a run of netlink messages
/// (SOCK_DIAG_BY_FAMILY, then NLMSG_DONE). Every length is checked against
/// the bytes given; a truncated or malformed message fails with one line.
/// An NLMSG_ERROR message fails with the kernel's error.
Result<std::vector<TcpInfoSample>> parse_inet_diag(std::span<const std::uint8_t> bytes);

/// A sock_diag netlink socket that dumps TCP sockets with TCP_INFO and the
/// congestion algorithm's name, in the caller's network namespace.
class TcpInfoSampler {
 public:
  static Result<TcpInfoSampler> open();
  TcpInfoSampler(TcpInfoSampler&& other) noexcept;
  TcpInfoSampler& operator=(TcpInfoSampler&& other) noexcept;
  TcpInfoSampler(const TcpInfoSampler&) = delete;
  TcpInfoSampler& operator=(const TcpInfoSampler&) = delete;
  ~TcpInfoSampler();

  /// The kernel's raw reply to one dump request for `family` (AF_INET or
  /// AF_INET6): every datagram up to and including NLMSG_DONE, concatenated.
  Result<std::vector<std::uint8_t>> dump(int family);

  /// The TCP sockets (IPv4 and IPv6) with `port` as local or remote port
  /// (any port when empty), parsed.
  Result<std::vector<TcpInfoSample>> sample(std::optional<std::uint16_t> port = {});

 private:
  explicit TcpInfoSampler(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::uint32_t seq_ = 0;
};

}  // namespace socklab::graph
