#include "capture/segment.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace socklab {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

Decoded skipped(DecodeSkip why) { return Decoded{std::nullopt, why}; }

// The options field: kind, length, value; 0 ends the list, 1 is padding.
// A malformed option ends the walk (the kernel ignores the rest likewise).
TcpOptions parse_options(const std::uint8_t* p, std::size_t n) {
  TcpOptions o;
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t kind = p[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= n) break;
    const std::size_t len = p[i + 1];
    if (len < 2 || i + len > n) break;
    const std::uint8_t* v = p + i + 2;
    if (kind == 2 && len == 4) o.mss = be16(v);
    if (kind == 3 && len == 3) o.wscale = v[0];
    if (kind == 4 && len == 2) o.sack_perm = true;
    if (kind == 8 && len == 10) o.ts = std::make_pair(be32(v), be32(v + 4));
    i += len;
  }
  return o;
}

// The TCP header at `p` (`captured` bytes of it in the capture), carried in
// an IP payload of `ip_payload` bytes.
Decoded decode_tcp(Segment s, const std::uint8_t* p, std::size_t captured, std::size_t ip_payload) {
  if (captured < 20) return skipped(DecodeSkip::truncated);
  const std::size_t header = static_cast<std::size_t>(p[12] >> 4) * 4;
  if (header < 20 || header > ip_payload) return skipped(DecodeSkip::malformed);
  s.src_port = be16(p);
  s.dst_port = be16(p + 2);
  s.seq = be32(p + 4);
  s.ack = be32(p + 8);
  s.flags = p[13];
  s.window = be16(p + 14);
  s.payload = static_cast<std::uint32_t>(ip_payload - header);
  // Options the snap length cut off are left out; the fixed header is enough.
  s.options = parse_options(p + 20, std::min(header, captured) - 20);
  return Decoded{s, DecodeSkip::not_ip};
}

Decoded decode_ipv4(Segment s, const std::uint8_t* p, std::size_t captured, std::size_t wire) {
  if (captured < 20) return skipped(DecodeSkip::truncated);
  if ((p[0] >> 4) != 4) return skipped(DecodeSkip::malformed);
  const std::size_t header = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  std::size_t total = be16(p + 2);
  // A segment the kernel hands to the NIC for splitting (TSO) may be
  // captured with total length 0: the packet's own length is what counts.
  if (total == 0) total = wire;
  if (header < 20 || total < header || total > wire) return skipped(DecodeSkip::malformed);
  if (p[9] != 6) return skipped(DecodeSkip::not_tcp);
  if ((be16(p + 6) & 0x1fff) != 0) return skipped(DecodeSkip::fragment);
  if (captured < header) return skipped(DecodeSkip::truncated);
  s.src.v6 = s.dst.v6 = false;
  std::memcpy(s.src.bytes.data(), p + 12, 4);
  std::memcpy(s.dst.bytes.data(), p + 16, 4);
  return decode_tcp(s, p + header, captured - header, total - header);
}

Decoded decode_ipv6(Segment s, const std::uint8_t* p, std::size_t captured, std::size_t wire) {
  if (captured < 40) return skipped(DecodeSkip::truncated);
  if ((p[0] >> 4) != 6) return skipped(DecodeSkip::malformed);
  std::size_t payload = be16(p + 4);
  if (payload == 0) payload = wire - 40;  // a jumbogram (or TSO): the packet's length counts
  if (40 + payload > wire) return skipped(DecodeSkip::malformed);
  s.src.v6 = s.dst.v6 = true;
  std::memcpy(s.src.bytes.data(), p + 8, 16);
  std::memcpy(s.dst.bytes.data(), p + 24, 16);
  std::uint8_t next = p[6];
  std::size_t offset = 40;
  // Walk the extension headers to the TCP header (at most a few).
  for (int hops = 0; hops < 8; ++hops) {
    if (next == 6) return decode_tcp(s, p + offset, captured - offset, payload - (offset - 40));
    if (next != 0 && next != 43 && next != 44 && next != 60) return skipped(DecodeSkip::not_tcp);
    if (captured < offset + 8) return skipped(DecodeSkip::truncated);
    const std::size_t len = next == 44 ? 8 : (static_cast<std::size_t>(p[offset + 1]) + 1) * 8;
    if (next == 44 && (be16(p + offset + 2) & 0xfff8) != 0) return skipped(DecodeSkip::fragment);
    if (offset - 40 + len > payload) return skipped(DecodeSkip::malformed);
    next = p[offset];
    offset += len;
    if (captured < offset) return skipped(DecodeSkip::truncated);
  }
  return skipped(DecodeSkip::malformed);
}

Decoded decode_ip(Segment s, std::uint16_t ethertype, const std::uint8_t* p, std::size_t captured,
                  std::size_t wire) {
  if (ethertype == 0x0800) return decode_ipv4(s, p, captured, wire);
  if (ethertype == 0x86dd) return decode_ipv6(s, p, captured, wire);
  return skipped(DecodeSkip::not_ip);
}

// The IP version from the first nibble, for link layers without a type field.
std::uint16_t ethertype_of_version(const std::uint8_t* p, std::size_t captured) {
  if (captured < 1) return 0;
  if ((p[0] >> 4) == 4) return 0x0800;
  if ((p[0] >> 4) == 6) return 0x86dd;
  return 0;
}

// BSD loopback's address family: AF_INET is 2 everywhere; AF_INET6 is 24,
// 28 or 30 depending on the system that wrote the file.
std::uint16_t ethertype_of_family(std::uint32_t family) {
  if (family == 2) return 0x0800;
  if (family == 24 || family == 28 || family == 30) return 0x86dd;
  return 0;
}

}  // namespace

std::string address_text(const IpAddress& address) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string endpoint_text(const IpAddress& address, std::uint16_t port) {
  // Appended piece by piece: GCC 12 at -O3 warns (wrongly) about "[" + string.
  std::string text;
  if (address.v6) text += '[';
  text += address_text(address);
  if (address.v6) text += ']';
  text += ':';
  text += std::to_string(port);
  return text;
}

Decoded decode_segment(LinkType link, const std::uint8_t* data, std::size_t caplen, std::size_t wirelen,
                       double time) {
  if (wirelen < caplen) wirelen = caplen;
  Segment s;
  s.time = time;
  std::size_t header = 0;
  std::uint16_t type = 0;
  switch (link) {
    case LinkType::ethernet:
      header = 14;
      if (caplen < header) return skipped(DecodeSkip::truncated);
      type = be16(data + 12);
      // 802.1Q / 802.1ad VLAN tags: 4 bytes each before the real type.
      while ((type == 0x8100 || type == 0x88a8) && header < 14 + 4 * 4) {
        if (caplen < header + 4) return skipped(DecodeSkip::truncated);
        type = be16(data + header + 2);
        header += 4;
      }
      break;
    case LinkType::linux_sll:
      header = 16;
      if (caplen < header) return skipped(DecodeSkip::truncated);
      type = be16(data + 14);
      break;
    case LinkType::linux_sll2:
      header = 20;
      if (caplen < header) return skipped(DecodeSkip::truncated);
      type = be16(data);
      break;
    case LinkType::null_host:
    case LinkType::loop: {
      header = 4;
      if (caplen < header) return skipped(DecodeSkip::truncated);
      const std::uint32_t big = be32(data);
      const std::uint32_t little = static_cast<std::uint32_t>(data[3]) << 24 |
                                   static_cast<std::uint32_t>(data[2]) << 16 |
                                   static_cast<std::uint32_t>(data[1]) << 8 | data[0];
      type = ethertype_of_family(big);
      if (type == 0 && link == LinkType::null_host) type = ethertype_of_family(little);
      break;
    }
    case LinkType::raw:
      type = ethertype_of_version(data, caplen);
      break;
  }
  return decode_ip(s, type, data + header, caplen - header, wirelen - header);
}

const char* skip_text(DecodeSkip skip) {
  switch (skip) {
    case DecodeSkip::not_ip:
      return "not IP";
    case DecodeSkip::not_tcp:
      return "not TCP";
    case DecodeSkip::fragment:
      return "IP fragments without a TCP header";
    case DecodeSkip::truncated:
      return "cut before the end of the TCP header (snap length too short)";
    case DecodeSkip::malformed:
      return "malformed";
  }
  return "?";
}

std::string SkipCounts::summary() const {
  std::string text;
  for (int i = 0; i < 5; ++i) {
    if (skipped[i] == 0) continue;
    text +=
        (text.empty() ? "" : ", ") + std::to_string(skipped[i]) + " " + skip_text(static_cast<DecodeSkip>(i));
  }
  return text.empty() ? "" : "skipped " + text + " (of " + std::to_string(packets) + " packets)";
}

std::string flags_text(std::uint8_t flags) {
  static constexpr std::pair<std::uint8_t, const char*> order[] = {
      {tcp_syn, "SYN"}, {tcp_fin, "FIN"}, {tcp_rst, "RST"}, {tcp_psh, "PSH"},
      {tcp_ack, "ACK"}, {tcp_urg, "URG"}, {tcp_ece, "ECE"}, {tcp_cwr, "CWR"},
  };
  std::string text;
  for (const auto& [bit, name] : order) {
    if ((flags & bit) == 0) continue;
    if (!text.empty()) text += '+';
    text += name;
  }
  return text;
}

}  // namespace socklab
