#include "common/stop_signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>

#include <asio/posix/stream_descriptor.hpp>

#include "common/error.hpp"

namespace socklab {
namespace {

// The pipe, for the whole process: the handler must reach it without a
// pointer to any object, and it stays open until exit.
int stop_pipe[2] = {-1, -1};
volatile std::sig_atomic_t stop_flag = 0;  // what requested() reads, without a system call

void on_signal(int /*signal*/) {
  stop_flag = 1;
  const int saved = errno;  // a handler must not change errno under the code it interrupted
  const char byte = 1;
  [[maybe_unused]] const ssize_t ignored = ::write(stop_pipe[1], &byte, 1);  // full pipe: already readable
  errno = saved;
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Non-blocking, so a flood of signals can never block the handler;
    // close-on-exec, so a program we start does not inherit it.
    if (::pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw StepError("pipe", std::strerror(errno));
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // interrupted system calls go on; the pipe tells
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
  });
}

}  // namespace

void ignore_broken_pipe() { ::signal(SIGPIPE, SIG_IGN); }

StopSignals::StopSignals() {
  install_once();
  ignore_broken_pipe();
}

void StopSignals::call_on(asio::io_context& io, std::function<void()> on_stop) {
  // The wait owns a duplicate of the pipe's read end: it lives as long as
  // the wait is pending, at most as long as `io`, and closing it leaves the
  // pipe open.
  auto watch = std::make_shared<asio::posix::stream_descriptor>(io, ::dup(stop_pipe[0]));
  watch->async_wait(asio::posix::stream_descriptor::wait_read,
                    [watch, on_stop = std::move(on_stop)](const std::error_code& ec) {
                      if (!ec) on_stop();
                    });
}

bool StopSignals::requested() const { return stop_flag != 0; }

int StopSignals::fd() const { return stop_pipe[0]; }

bool StopSignals::wait_for(double seconds) const {
  pollfd p{stop_pipe[0], POLLIN, 0};
  const int ms = seconds > 0 ? static_cast<int>(seconds * 1000) : 0;
  while (::poll(&p, 1, ms) < 0 && errno == EINTR) {
  }
  return (p.revents & POLLIN) != 0;
}

}  // namespace socklab
