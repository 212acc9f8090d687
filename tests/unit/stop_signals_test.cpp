// StopSignals in a process of its own (unit-stop-signals): the handlers it
// installs stay for the life of the process.
#include "common/stop_signals.hpp"

#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>

#include <asio/io_context.hpp>

namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

}  // namespace

// One test case, in order: a signal, once caught, stays caught.
TEST_CASE("StopSignals") {
  const socklab::StopSignals stop;
  asio::io_context early_io;
  int early_calls = 0;
  socklab::StopSignals().call_on(early_io, [&] { ++early_calls; });

  SUBCASE("a signal asks to stop; a second one does no harm; each loop hears it once") {
    CHECK_FALSE(stop.requested());
    CHECK_FALSE(readable(stop.fd()));
    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(stop.wait_for(0.05));  // no signal: the whole time passes
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(45));

    std::raise(SIGTERM);  // caught: the test goes on
    CHECK(stop.requested());
    CHECK(readable(stop.fd()));
    CHECK(stop.wait_for(10));  // at once

    std::raise(SIGINT);  // a second signal, during "shutdown"
    std::raise(SIGTERM);
    CHECK(stop.requested());

    // A loop that was waiting before the signal, and one that starts after.
    early_io.run_for(std::chrono::seconds(5));
    CHECK(early_calls == 1);
    asio::io_context late_io;
    int late_calls = 0;
    socklab::StopSignals().call_on(late_io, [&] { ++late_calls; });
    late_io.run_for(std::chrono::seconds(5));
    CHECK(late_calls == 1);
  }
}

TEST_CASE("StopSignals ignores SIGPIPE: a write to a closed socket is EPIPE") {
  const socklab::StopSignals stop;
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  ::close(pair[1]);
  const char byte = 'x';
  // With SIGPIPE's default action this write would end the test binary.
  CHECK(::write(pair[0], &byte, 1) == -1);
  CHECK(errno == EPIPE);
  ::close(pair[0]);
}
