// tcp-client --load: many connections doing verified round trips at once,
// to measure an echo server.
#pragma once

#include <string>

#include "common/endpoint.hpp"
#include "common/trace.hpp"

namespace socklab {

struct LoadOptions {
  std::string peer;
  Family family = Family::any;
  int connections = 0;  ///< C: connections open at once
  int rounds = 1000;    ///< R: round trips per connection
  int size = 64;        ///< M: bytes per message
  double connect_timeout = 10;
  double round_timeout = 10;  ///< seconds one round trip may take
};

/// Runs the load and prints the result (text, or one JSON line). Returns 0
/// when every byte came back right, 1 (after saying what went wrong) when not.
int run_load(const LoadOptions& options, bool json, const Tracer& tracer);

}  // namespace socklab
