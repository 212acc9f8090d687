// Event loops for the TCP programs: tcp-server and tcp-client --load run
// one Asio event loop (io_context) per thread.
#pragma once

#include <deque>

#include <asio/io_context.hpp>

namespace socklab {

/// `count` event loops, each to be run by a single thread. The hint 1 tells
/// Asio so, which saves it some locking. (A deque: an io_context cannot move.)
inline std::deque<asio::io_context> make_event_loops(unsigned count) {
  std::deque<asio::io_context> loops;
  for (unsigned i = 0; i < count; ++i) loops.emplace_back(1);
  return loops;
}

}  // namespace socklab
