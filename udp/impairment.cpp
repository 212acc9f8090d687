#include "udp/impairment.hpp"

#include <algorithm>

namespace socklab {

bool Impairer::chance(double pct) {
  // 53 random bits -> a uniform double in [0, 100).
  const double roll = static_cast<double>(random_() >> 11) * (100.0 / 9007199254740992.0);
  return roll < pct;
}

Decision Impairer::decide() {
  Decision d;
  d.drop = chance(settings_.loss_pct);
  d.duplicate = chance(settings_.dup_pct);
  d.hold = chance(settings_.reorder_pct);
  const double spread = (static_cast<double>(random_() >> 11) / 9007199254740992.0) * 2.0 - 1.0;  // [-1, 1)
  d.delay_ms = std::max(0.0, settings_.delay_ms + spread * settings_.jitter_ms);
  if (d.drop) d.duplicate = d.hold = false;  // a dropped datagram has no other fate
  return d;
}

}  // namespace socklab
