// SIGINT (Ctrl-C) and SIGTERM: the one way every program learns it should
// stop. The handler only writes a byte to a pipe (the "self-pipe"): the pipe
// is readable from the first signal on, so an event loop can wait for it
// beside its sockets, and a blocking loop can poll() it or ask requested().
#pragma once

#include <functional>

#include <asio/io_context.hpp>

namespace socklab {

/// Catches SIGINT and SIGTERM from construction to the end of the process:
/// the handlers are never taken back, so a second signal while the program
/// shuts down changes nothing (it does not kill it half-way). Create it
/// before announcing anything, so no signal finds the default action.
class StopSignals {
 public:
  StopSignals();

  /// Event-loop programs: calls `on_stop` once, on `io`, at the first signal
  /// (at once if one came already). Nothing to keep alive: the wait belongs
  /// to `io`. Blocking programs poll fd(), sleep in wait_for(), or ask
  /// requested().
  void call_on(asio::io_context& io, std::function<void()> on_stop);

  /// True once SIGINT or SIGTERM has arrived.
  bool requested() const;
  /// Readable once SIGINT or SIGTERM has arrived (never read from it).
  int fd() const;
  /// Sleeps `seconds`, or less if a signal comes; returns requested().
  bool wait_for(double seconds) const;
};

/// Ignores SIGPIPE for the whole process: a write to a connection the peer
/// has closed then fails with EPIPE, an error the caller handles, instead of
/// killing the program. StopSignals does it too; a program that keeps the
/// default SIGINT (sendfile: Ctrl-C just ends it) calls this alone. Programs
/// started later get SIGPIPE back (ChildProcess resets it).
void ignore_broken_pipe();

}  // namespace socklab
