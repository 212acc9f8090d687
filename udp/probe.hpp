// The probe datagram of udp-client's probe mode and the statistics built
// from its echoes: loss, duplicates and reordering found from sequence
// numbers, the way ping finds them. No I/O here, so unit tests reach it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/stats.hpp"

namespace socklab {

/// The bytes at the start of every probe: "SLP1" (socklab probe, version 1).
inline constexpr char probe_magic[4] = {'S', 'L', 'P', '1'};
/// magic (4) + sequence number (8) + send time in ns (8), big-endian.
inline constexpr std::size_t probe_header_size = 20;
/// The largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header).
inline constexpr std::size_t max_udp_payload = 65507;

struct ProbeHeader {
  std::uint64_t sequence = 0;
  std::uint64_t sent_ns = 0;
  bool operator==(const ProbeHeader&) const = default;
};

/// A probe of exactly `size` bytes (at least probe_header_size): the header,
/// then filler bytes that repeat the sequence number's low byte.
std::string encode_probe(const ProbeHeader& header, std::size_t size);

/// The header of a datagram, or nothing when it is not one of our probes
/// (too short, or the magic is wrong: some other sender, or a mangled reply).
std::optional<ProbeHeader> decode_probe(std::span<const char> datagram);

/// Counts what came back of `count` probes numbered 0..count-1.
class ProbeStats {
 public:
  explicit ProbeStats(std::uint64_t count) : seen_(count, false) {}

  /// A reply to probe `sequence` arrived after `rtt_ms`.
  void on_reply(std::uint64_t sequence, double rtt_ms);
  /// A datagram that was not a reply to one of our probes.
  void on_foreign() { ++foreign_; }
  /// The probe `sequence` was sent.
  void on_sent() { ++sent_; }

  bool answered(std::uint64_t sequence) const { return sequence < seen_.size() && seen_[sequence]; }
  std::uint64_t sent() const { return sent_; }
  /// Distinct probes answered.
  std::uint64_t received() const { return received_; }
  /// Probes sent that never got a reply.
  std::uint64_t lost() const { return sent_ - received_; }
  /// Replies beyond the first for the same probe.
  std::uint64_t duplicated() const { return duplicated_; }
  /// First replies that arrived after a reply to a later probe.
  std::uint64_t reordered() const { return reordered_; }
  std::uint64_t foreign() const { return foreign_; }
  double loss_percent() const {
    return sent_ ? 100.0 * static_cast<double>(lost()) / static_cast<double>(sent_) : 0;
  }
  /// min/avg/p50/p99/max of the first replies' round-trip times, in ms.
  Summary rtt() const { return summarize(rtts_); }

 private:
  std::vector<bool> seen_;
  std::vector<double> rtts_;
  std::uint64_t sent_ = 0, received_ = 0, duplicated_ = 0, reordered_ = 0, foreign_ = 0;
  std::optional<std::uint64_t> highest_;
};

}  // namespace socklab
