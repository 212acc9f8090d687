// An idle timeout for a stream: a small watchdog coroutine beside the one
// doing the I/O. Activity pushes the deadline forward; when the deadline
// passes, the watchdog closes the stream, and closing a socket cancels the
// operation pending on it.
#pragma once

#include <chrono>
#include <memory>
#include <system_error>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace socklab {

/// Converts seconds from the command line to a duration (0 stays 0: no limit).
inline std::chrono::steady_clock::duration seconds_or_zero(double seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(seconds > 0 ? seconds : 0));
}

/// A stream with an idle deadline. Use from one event loop only.
template <class Stream>
class Watched {
 public:
  Watched(Stream stream, std::chrono::steady_clock::duration idle)
      : stream(std::move(stream)), timer_(this->stream.get_executor()), idle_(idle) {
    touch();
  }

  Stream stream;

  /// Records activity: the deadline moves to now + idle.
  void touch() {
    if (idle_.count() > 0) deadline_ = std::chrono::steady_clock::now() + idle_;
  }
  /// Closes the stream and stops the watchdog.
  void close() {
    std::error_code ignored;
    stream.close(ignored);
    timer_.cancel();
  }
  bool timed_out() const { return timed_out_; }
  bool has_limit() const { return idle_.count() > 0; }

  /// The watchdog: waits until the deadline stops moving, then closes.
  friend asio::awaitable<void> watchdog(std::shared_ptr<Watched> self) {
    std::error_code ec;
    while (self->stream.is_open()) {
      if (std::chrono::steady_clock::now() >= self->deadline_) {
        self->timed_out_ = true;
        self->close();
        co_return;
      }
      self->timer_.expires_at(self->deadline_);
      co_await self->timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
    }
  }

 private:
  asio::steady_timer timer_;
  std::chrono::steady_clock::duration idle_;
  std::chrono::steady_clock::time_point deadline_{};
  bool timed_out_ = false;
};

/// Starts the watchdog of `watched` on its stream's event loop (when it has a limit).
template <class Stream>
void watch_idle(const std::shared_ptr<Watched<Stream>>& watched) {
  if (!watched->has_limit()) return;
  asio::co_spawn(watched->stream.get_executor(), watchdog(watched), asio::detached);
}

}  // namespace socklab
