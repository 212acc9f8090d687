#include "udp/probe.hpp"

#include <algorithm>
#include <cstring>

#include "common/byte_order.hpp"

namespace socklab {

std::string encode_probe(const ProbeHeader& header, std::size_t size) {
  std::string out(probe_magic, sizeof probe_magic);
  out.reserve(std::max(size, probe_header_size));
  put_u64(out, header.sequence);
  put_u64(out, header.sent_ns);
  out.resize(std::max(size, probe_header_size), static_cast<char>(header.sequence & 0xff));
  return out;
}

std::optional<ProbeHeader> decode_probe(std::span<const char> datagram) {
  if (datagram.size() < probe_header_size) return std::nullopt;
  if (std::memcmp(datagram.data(), probe_magic, sizeof probe_magic) != 0) return std::nullopt;
  return ProbeHeader{get_u64(datagram, 4), get_u64(datagram, 12)};
}

void ProbeStats::on_reply(std::uint64_t sequence, double rtt_ms) {
  if (sequence >= seen_.size()) {  // a number we never sent: not our reply
    ++foreign_;
    return;
  }
  if (seen_[sequence]) {
    ++duplicated_;
    return;
  }
  seen_[sequence] = true;
  ++received_;
  rtts_.push_back(rtt_ms);
  // Late: a later probe's reply came first, so this one was overtaken.
  if (highest_ && sequence < *highest_) ++reordered_;
  if (!highest_ || sequence > *highest_) highest_ = sequence;
}

}  // namespace socklab
