// One captured packet decoded down to its TCP header: the link layer
// (Ethernet, Linux "cooked", BSD loopback, raw IP), IPv4 or IPv6, and the
// TCP header with its options. Pure: bytes in, a Segment or a reason out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace socklab {

/// The link layers a capture may start with (pcap's LINKTYPE_ values are
/// mapped to these by the capture code).
enum class LinkType {
  ethernet,    // LINKTYPE_ETHERNET: 14-byte header (+4 per VLAN tag)
  linux_sll,   // LINKTYPE_LINUX_SLL: 16-byte "cooked" header (interface "any")
  linux_sll2,  // LINKTYPE_LINUX_SLL2: 20-byte cooked header
  null_host,   // LINKTYPE_NULL: 4-byte address family in the writer's byte order
  loop,        // LINKTYPE_LOOP: 4-byte address family, network byte order
  raw,         // LINKTYPE_RAW: the IP header first
};

/// TCP header flags, as the header's bits.
enum TcpFlag : std::uint8_t {
  tcp_fin = 0x01,
  tcp_syn = 0x02,
  tcp_rst = 0x04,
  tcp_psh = 0x08,
  tcp_ack = 0x10,
  tcp_urg = 0x20,
  tcp_ece = 0x40,
  tcp_cwr = 0x80,
};

/// The TCP options a lesson talks about (RFC 9293 MSS, RFC 7323 window
/// scale and timestamps, RFC 2018 SACK permitted); the others are skipped.
struct TcpOptions {
  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> wscale;
  bool sack_perm = false;
  std::optional<std::pair<std::uint32_t, std::uint32_t>> ts;  // TSval, TSecr
  bool operator==(const TcpOptions&) const = default;
};

/// An IP address as bytes: IPv4 in the first 4, or IPv6 in all 16.
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;
};

/// "127.0.0.1" or "::1".
std::string address_text(const IpAddress& address);
/// "127.0.0.1:8001" or "[::1]:8001".
std::string endpoint_text(const IpAddress& address, std::uint16_t port);

/// One TCP segment as the wire carried it (absolute numbers, raw window).
struct Segment {
  double time = 0;  // seconds since the epoch (the capture's timestamp)
  IpAddress src, dst;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;   // unscaled, as in the header
  std::uint32_t payload = 0;  // payload bytes, from the IP length (not the snap length)
  TcpOptions options;
  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
};

/// Why a packet gave no segment.
enum class DecodeSkip {
  not_ip,     // ARP, LLDP, ...
  not_tcp,    // UDP, ICMP, ...
  fragment,   // a later IP fragment: no TCP header in it
  truncated,  // the capture cut the packet before the end of the TCP header (snap length)
  malformed,  // lengths that contradict each other
};

/// A segment, or why there is none.
struct Decoded {
  std::optional<Segment> segment;
  DecodeSkip skip = DecodeSkip::not_ip;
};

/// Decodes one captured packet: `data` holds the `caplen` bytes captured of
/// a packet `wirelen` bytes long. The timestamp is copied into the segment.
Decoded decode_segment(LinkType link, const std::uint8_t* data, std::size_t caplen, std::size_t wirelen,
                       double time);

/// "truncated (the snap length cut the TCP header)", for the summary line.
const char* skip_text(DecodeSkip skip);

/// The packets a capture gave, and how many of them gave no segment, by
/// reason: the counts behind the summary a reader prints at the end.
struct SkipCounts {
  std::uint64_t packets = 0;
  std::uint64_t skipped[5] = {};  // by DecodeSkip

  /// Counts one decoded packet; true when it gave a segment.
  bool count(const Decoded& decoded) {
    ++packets;
    if (!decoded.segment) ++skipped[static_cast<int>(decoded.skip)];
    return decoded.segment.has_value();
  }
  /// "skipped 2 not TCP, 1 malformed (of 10 packets)", or "" when none was.
  std::string summary() const;
};

/// "SYN+ACK": the flags set, in the order SYN, FIN, RST, PSH, ACK, URG, ECE,
/// CWR; "" when none is.
std::string flags_text(std::uint8_t flags);

}  // namespace socklab
