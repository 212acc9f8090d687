// What udp-relay does to each datagram from a client: drop it, send it
// twice, hold it back behind the next one, delay it. The decisions come from
// one seeded generator, so a run with the same --seed and the same traffic
// makes the same decisions. No I/O here, so unit tests reach it.
#pragma once

#include <cstdint>
#include <random>

namespace socklab {

/// The relay's settings; percentages are 0..100, times in ms.
struct ImpairmentSettings {
  double loss_pct = 0;
  double dup_pct = 0;
  double reorder_pct = 0;
  double delay_ms = 0;
  double jitter_ms = 0;
};

/// One datagram's fate.
struct Decision {
  bool drop = false;       ///< never forwarded
  bool duplicate = false;  ///< forwarded twice
  bool hold = false;       ///< held back and sent after the next datagram
  double delay_ms = 0;     ///< forwarded after this long
};

class Impairer {
 public:
  Impairer(ImpairmentSettings settings, std::uint64_t seed) : settings_(settings), random_(seed) {}

  /// The fate of the next datagram. The same number of draws is taken for
  /// every datagram, so one decision never shifts the ones after it.
  Decision decide();

 private:
  bool chance(double pct);
  ImpairmentSettings settings_;
  std::mt19937_64 random_;
};

}  // namespace socklab
