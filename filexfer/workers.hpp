// recvfile's threads: one per connection, and their sockets, so that
// SIGTERM can wake them. Connections over --max-transfers still get a
// thread to hear which guard refused them, but only so many: a flood is
// closed at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "filexfer/receive_session.hpp"

namespace socklab::filexfer {

/// Connections beyond --max-transfers that may wait for their refusal.
inline constexpr std::size_t max_waiting_connections = 512;

class Workers {
 public:
  Workers(unsigned max_transfers, Reporter& log) : max_transfers_(max_transfers), log_(log) {}

  /// Serves `fd` (owned) on a thread of its own, or closes it when too
  /// many connections are open already.
  void start(Receiver& receiver, int fd, const std::string& peer, bool allowed_peer);

  /// Wakes every transfer (a shutdown ends its blocking waits) and waits for
  /// them. A transfer cut here leaves only its hidden part file.
  void stop_all();

 private:
  struct Thread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;  // set when it has finished
  };
  // The thread's work: serve a duplicate of `fd`, then let `fd` go.
  void serve(Receiver& receiver, int fd, const std::string& peer, bool over_limit, bool allowed_peer);
  // Joins the threads that have finished, so their stacks are freed.
  void reap();
  unsigned max_transfers_;
  Reporter& log_;
  std::mutex mutex_;
  std::set<int> fds_;
  std::vector<Thread> threads_;
};

}  // namespace socklab::filexfer
