#include "graph/tcp_info.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace socklab::graph {
namespace {

// Netlink pads every message and attribute to 4 bytes.
constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// Reads a T from unaligned bytes (the buffer may sit at any address).
template <class T>
T load(const std::uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

std::string state_name(unsigned state) {
  static constexpr std::array<const char*, 13> names = {
      "",      "ESTABLISHED", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",  "TIME-WAIT",
      "CLOSE", "CLOSE-WAIT",  "LAST-ACK", "LISTEN",   "CLOSING",    "NEW-SYN-RECV"};
  if (state == 0 || state >= names.size()) return "state " + std::to_string(state);
  return names[state];
}

std::string address(std::uint8_t family, const std::uint32_t (&words)[4]) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, words, text, sizeof text);
  return text;
}

// tcp_info as the kernel sent it: a kernel older or newer than our header
// sends fewer or more bytes; fields past what was sent stay zero, and
// `length` says which ones arrived.
void read_tcp_info(std::span<const std::uint8_t> payload, TcpInfoSample& s) {
  tcp_info info{};
  const std::size_t length = std::min(payload.size(), sizeof info);
  std::memcpy(&info, payload.data(), length);
  s.has_info = true;
  s.mss = info.tcpi_snd_mss;
  s.cwnd_segments = info.tcpi_snd_cwnd;
  s.cwnd_bytes = std::uint64_t{info.tcpi_snd_cwnd} * info.tcpi_snd_mss;
  // TCP_INFINITE_SSTHRESH (0x7fffffff): no loss seen yet, still in slow start.
  if (info.tcpi_snd_ssthresh < 0x7fffffffU) s.ssthresh_segments = info.tcpi_snd_ssthresh;
  s.unacked_segments = info.tcpi_unacked;
  // The kernel's own count (tcp_packets_in_flight): what cwnd is compared to.
  const std::int64_t flight =
      std::int64_t{info.tcpi_unacked} - info.tcpi_sacked - info.tcpi_lost + info.tcpi_retrans;
  s.in_flight_segments = flight > 0 ? static_cast<std::uint32_t>(flight) : 0;
  s.in_flight_bytes = std::uint64_t{s.in_flight_segments} * info.tcpi_snd_mss;
  s.notsent_bytes = info.tcpi_notsent_bytes;
  s.srtt_us = info.tcpi_rtt;
  s.rttvar_us = info.tcpi_rttvar;
  s.total_retrans = info.tcpi_total_retrans;
  s.rcv_ssthresh_bytes = info.tcpi_rcv_ssthresh;
  s.rcv_space_bytes = info.tcpi_rcv_space;
  if (length >= offsetof(tcp_info, tcpi_snd_wnd) + sizeof info.tcpi_snd_wnd)
    s.snd_wnd_bytes = info.tcpi_snd_wnd;
}

Result<TcpInfoSample> read_socket(std::span<const std::uint8_t> body) {
  if (body.size() < sizeof(inet_diag_msg)) {
    return Failure{"inet_diag message of " + std::to_string(body.size()) +
                   " bytes, shorter than its header (" + std::to_string(sizeof(inet_diag_msg)) + ")"};
  }
  const auto msg = load<inet_diag_msg>(body.data());
  if (msg.idiag_family != AF_INET && msg.idiag_family != AF_INET6) {
    return Failure{"inet_diag message of address family " + std::to_string(msg.idiag_family) +
                   ", not IPv4 or IPv6"};
  }
  TcpInfoSample s;
  s.src = address(msg.idiag_family, msg.id.idiag_src);
  s.dst = address(msg.idiag_family, msg.id.idiag_dst);
  s.src_port = ntohs(msg.id.idiag_sport);
  s.dst_port = ntohs(msg.id.idiag_dport);
  s.state = state_name(msg.idiag_state);
  std::size_t at = align4(sizeof(inet_diag_msg));
  while (at < body.size()) {
    if (body.size() - at < sizeof(rtattr)) return Failure{"attribute header cut short"};
    const auto attr = load<rtattr>(body.data() + at);
    if (attr.rta_len < sizeof(rtattr) || attr.rta_len > body.size() - at) {
      return Failure{"attribute length " + std::to_string(attr.rta_len) + " outside its message"};
    }
    const auto payload = body.subspan(at + sizeof(rtattr), attr.rta_len - sizeof(rtattr));
    if (attr.rta_type == INET_DIAG_INFO) {
      read_tcp_info(payload, s);
    } else if (attr.rta_type == INET_DIAG_CONG) {
      // A NUL-terminated name; without the NUL, the bytes as they are.
      const auto* text = reinterpret_cast<const char*>(payload.data());
      s.congestion.assign(text, std::find(text, text + payload.size(), '\0'));
    }
    at += align4(attr.rta_len);
  }
  return s;
}

}  // namespace

Result<std::vector<TcpInfoSample>> parse_inet_diag(std::span<const std::uint8_t> bytes) {
  std::vector<TcpInfoSample> sockets;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < sizeof(nlmsghdr)) {
      return Failure{"netlink header cut short at byte " + std::to_string(at)};
    }
    const auto header = load<nlmsghdr>(bytes.data() + at);
    if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > bytes.size() - at) {
      return Failure{"netlink message length " + std::to_string(header.nlmsg_len) + " at byte " +
                     std::to_string(at) + " outside the " + std::to_string(bytes.size()) + " bytes"};
    }
    const auto body = bytes.subspan(at + sizeof(nlmsghdr), header.nlmsg_len - sizeof(nlmsghdr));
    if (header.nlmsg_type == NLMSG_DONE) return sockets;
    if (header.nlmsg_type == NLMSG_ERROR) {
      if (body.size() < sizeof(int)) return Failure{"netlink error message cut short"};
      // The kernel sends -errno; a hostile message may send anything, even
      // INT_MIN, whose negation an int cannot hold: negate in 64 bits.
      const std::int64_t error = -static_cast<std::int64_t>(load<int>(body.data()));
      if (error <= 0 || error > 4095)
        return Failure{"netlink error message with error " + std::to_string(error)};
      return Failure{std::string("the kernel refused the dump: ") + std::strerror(static_cast<int>(error))};
    }
    if (header.nlmsg_type != SOCK_DIAG_BY_FAMILY) {
      return Failure{"netlink message of type " + std::to_string(header.nlmsg_type) +
                     ", not a sock_diag reply"};
    }
    auto socket = read_socket(body);
    if (!socket) return Failure{socket.error()};
    sockets.push_back(std::move(*socket));
    at += align4(header.nlmsg_len);
  }
  return Failure{"the dump ends without NLMSG_DONE"};
}

Result<TcpInfoSampler> TcpInfoSampler::open() {
  const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return Failure{std::string("sock_diag netlink socket: ") + std::strerror(errno)};
  return TcpInfoSampler(fd);
}

TcpInfoSampler::TcpInfoSampler(TcpInfoSampler&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), seq_(other.seq_) {}

TcpInfoSampler& TcpInfoSampler::operator=(TcpInfoSampler&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    seq_ = other.seq_;
  }
  return *this;
}

TcpInfoSampler::~TcpInfoSampler() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::vector<std::uint8_t>> TcpInfoSampler::dump(int family) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.header.nlmsg_seq = ++seq_;
  message.request.sdiag_family = static_cast<std::uint8_t>(family);
  message.request.sdiag_protocol = IPPROTO_TCP;
  // Extension n is asked for by bit n - 1.
  message.request.idiag_ext = (1U << (INET_DIAG_INFO - 1)) | (1U << (INET_DIAG_CONG - 1));
  message.request.idiag_states = ~0U;  // every state
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return Failure{std::string("sock_diag request: ") + std::strerror(errno)};
  }
  std::vector<std::uint8_t> reply;
  std::vector<std::uint8_t> datagram(1 << 16);
  // The kernel answers in datagrams of many messages; the last holds NLMSG_DONE.
  // Bounded: a dump of a million sockets is far fewer datagrams than this.
  for (int i = 0; i < 1 << 20; ++i) {
    const ssize_t n = ::recv(fd_, datagram.data(), datagram.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Failure{std::string("sock_diag reply: ") + std::strerror(errno)};
    }
    reply.insert(reply.end(), datagram.begin(), datagram.begin() + n);
    // Does this datagram hold NLMSG_DONE or an error? Walk its headers.
    std::size_t at = 0;
    while (static_cast<std::size_t>(n) - at >= sizeof(nlmsghdr)) {
      const auto header = load<nlmsghdr>(datagram.data() + at);
      if (header.nlmsg_type == NLMSG_DONE || header.nlmsg_type == NLMSG_ERROR) return reply;
      if (header.nlmsg_len < sizeof(nlmsghdr)) break;
      at += align4(header.nlmsg_len);
    }
    if (n == 0) break;
  }
  return Failure{"sock_diag reply without NLMSG_DONE"};
}

Result<std::vector<TcpInfoSample>> TcpInfoSampler::sample(std::optional<std::uint16_t> port) {
  std::vector<TcpInfoSample> all;
  for (int family : {AF_INET, AF_INET6}) {
    auto bytes = dump(family);
    if (!bytes) return Failure{bytes.error()};
    auto sockets = parse_inet_diag(*bytes);
    if (!sockets) return Failure{sockets.error()};
    for (auto& s : *sockets) {
      if (!port || s.src_port == *port || s.dst_port == *port) all.push_back(std::move(s));
    }
  }
  return all;
}

}  // namespace socklab::graph
