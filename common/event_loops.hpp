// Event loops, one Asio io_context per thread: tcp-server, udp-server
// --workers and tcp-client --load each run several, one per thread.
#pragma once

#include <deque>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>

namespace socklab {

/// `count` event loops, each to be run by a single thread. The hint 1 tells
/// Asio so, which saves it some locking. (A deque: an io_context cannot move.)
inline std::deque<asio::io_context> make_event_loops(unsigned count) {
  std::deque<asio::io_context> loops;
  for (unsigned i = 0; i < count; ++i) loops.emplace_back(1);
  return loops;
}

/// Runs every loop until it is stopped or has no work left: loops[0] on the
/// calling thread, each other loop on a thread of its own. Returns when all
/// have returned; an exception from loops[0] stops the others first.
inline void run_event_loops(std::deque<asio::io_context>& loops) {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < loops.size(); ++i) threads.emplace_back([&loop = loops[i]] { loop.run(); });
  try {
    loops[0].run();
  } catch (...) {
    for (auto& loop : loops) loop.stop();
    for (auto& t : threads) t.join();
    throw;
  }
  for (auto& t : threads) t.join();
}

}  // namespace socklab
