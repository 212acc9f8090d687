// The receiver's guess limit: each wrong code a sender presents is one guess
// at the run's code; after `allowed` wrong codes the code stops working for
// the rest of the run, as magic-wormhole's code works for one try. Counting
// handshakes in progress as possible guesses keeps the bound exact even when
// several senders connect at once. Pure: no clock, no I/O; safe across threads.
#pragma once

#include <mutex>
#include <string>

namespace socklab::secure {

class GuessLimit {
 public:
  /// The number of wrong codes the run tolerates (recvfile: 3).
  explicit GuessLimit(int allowed = 3) : allowed_(allowed) {}

  /// Before a handshake: true if it may start (it then counts as a possible
  /// guess until finish()); false once the code no longer works, or while
  /// the guesses left are all held by handshakes in progress (refuse this
  /// sender for now: open() says which).
  bool begin();
  /// After a handshake that begin() let start: a wrong code uses a guess for
  /// good; a success or a connection that tried no code gives it back.
  void finish(bool wrong_code);

  /// True while the code still works (fewer than `allowed` wrong codes).
  bool open() const;
  int wrong_codes() const;
  /// One line for the receiver's log once the code no longer works.
  std::string closed_message() const;

 private:
  mutable std::mutex mutex_;
  const int allowed_;
  int wrong_ = 0;
  int in_progress_ = 0;
};

}  // namespace socklab::secure
