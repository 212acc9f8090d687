// tcp-client --load: many connections doing verified round trips at once,
// to measure an echo server.
#pragma once

#include <string>

#include "common/endpoint.hpp"
#include "common/stats.hpp"
#include "common/trace.hpp"

namespace socklab {

struct LoadOptions {
  HostPort peer;
  Family family = Family::any;
  int connections = 0;  ///< C: connections open at once
  int rounds = 1000;    ///< R: round trips per connection
  int size = 64;        ///< M: bytes per message
  double connect_timeout = 10;
  double round_timeout = 10;  ///< seconds one round trip may take
};

/// What a load run measured.
struct LoadResult {
  std::string peer;           ///< the address the connections went to
  double seconds = 0;         ///< from the first round trip to the last
  Summary latency_ms;         ///< every round trip's time, write to echo read
  int failures = 0;           ///< connections that stopped early
  std::string first_failure;  ///< why the first of them stopped, "connection I, round R: why"

  double round_trips_per_second() const {
    return seconds > 0 ? static_cast<double>(latency_ms.count) / seconds : 0;
  }
};

/// Connects all connections, then runs the round trips on them at once.
/// Throws StepError when it cannot connect; a connection whose echo fails
/// or differs is counted in `failures`.
LoadResult run_load(const LoadOptions& options, const Tracer& tracer);

}  // namespace socklab
