// Fuzz target: udp/probe's decode_probe (every reply udp-client reads comes
// from the network) and ProbeStats fed with whatever sequence numbers arrive.
// Property beyond "no crash": a decoded header encodes back to the same first
// 20 bytes; decode(encode(h)) == h; the statistics stay consistent (received
// never exceeds sent, lost + received == sent).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "udp/probe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const char> bytes(reinterpret_cast<const char*>(data), size);
  if (auto h = socklab::decode_probe(bytes)) {
    const std::string again = socklab::encode_probe(*h, size);
    FUZZ_CHECK(again.size() == size, "a re-encoded probe has the datagram's size");
    FUZZ_CHECK(std::memcmp(again.data(), data, socklab::probe_header_size) == 0,
               "a decoded header encodes back to the same bytes");
    FUZZ_CHECK(socklab::decode_probe(again) == h, "decode(encode(h)) == h");
  } else {
    FUZZ_CHECK(size < socklab::probe_header_size || std::memcmp(data, "SLP1", 4) != 0,
               "only a short datagram or a wrong magic is rejected");
  }

  // Every 2 bytes: a reply's sequence number out of a window of 64 probes sent.
  socklab::ProbeStats stats(64);
  for (int i = 0; i < 64; ++i) stats.on_sent();
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    const std::uint64_t seq = static_cast<std::uint64_t>(data[i]) % 80;  // some beyond what was sent
    stats.on_reply(seq, static_cast<double>(data[i + 1]));
  }
  FUZZ_CHECK(stats.received() <= stats.sent(), "never more probes answered than sent");
  FUZZ_CHECK(stats.received() + stats.lost() == stats.sent(), "each probe is answered or lost");
  FUZZ_CHECK(stats.reordered() <= stats.received(), "only answered probes are reordered");
  FUZZ_CHECK(stats.rtt().count == stats.received(), "one round-trip time per answered probe");
  return 0;
}
