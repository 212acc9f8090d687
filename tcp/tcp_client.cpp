// tcp-client: the course's interactive TCP client. Lines (or any bytes) from
// stdin go to the server; what the server sends goes to stdout. At the end of
// stdin it half-closes and still prints everything the server sends.
// --load measures a server instead. Lesson: notes/concurrent-tcp-server.md
#include <unistd.h>

#include <array>
#include <cstdio>
#include <iostream>
#include <string>

#include <asio.hpp>

#include "common/cli.hpp"
#include "common/connect.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/stats.hpp"
#include "common/trace.hpp"
#include "tcp/idle_watchdog.hpp"
#include "tcp/load.hpp"

namespace socklab {
namespace {

using asio::ip::tcp;
constexpr auto program = "tcp-client";

struct Options {
  HostPort peer{};  // required
  double connect_timeout = 10;
  double idle_timeout = 0;
  LoadOptions load;
  bool json = false;
  Family family = Family::any;
  CommonFlags common;
};

// Writes all of `data` to a file descriptor (stdout), whatever it is.
void write_fd(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StepError("write stdout", std::error_code(errno, std::system_category()).message());
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Reads stdin. A pipe or a terminal is watched by the event loop; a regular
// file or /dev/null cannot be (epoll refuses them), but reading those never
// waits, so they are read directly.
class StdinReader {
 public:
  explicit StdinReader(const asio::any_io_executor& executor) : in_(executor) {
    std::error_code ec;
    in_.assign(::dup(STDIN_FILENO), ec);
    direct_ = static_cast<bool>(ec);
  }
  asio::awaitable<std::size_t> read(asio::mutable_buffer buffer, std::error_code& ec) {
    if (closed_) {  // the server closed while we were not waiting on stdin
      ec = asio::error::operation_aborted;
      co_return 0;
    }
    if (!direct_) {
      co_return co_await in_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
    }
    ssize_t n;
    do n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    while (n < 0 && errno == EINTR);
    if (n < 0) ec = std::error_code(errno, std::system_category());
    if (n == 0) ec = asio::error::eof;
    co_return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  void close() {
    std::error_code ignored;
    in_.close(ignored);
    closed_ = true;
  }

 private:
  asio::posix::stream_descriptor in_;
  bool direct_ = false;
  bool closed_ = false;
};

// The state both directions of an interactive session share.
struct Session {
  std::shared_ptr<Watched<tcp::socket>> conn;
  const Tracer& tracer;
  StdinReader stdin_reader;
  FinState fins;
  std::string failure;  // the first run-time failure, "step: reason"
};

// stdin -> socket; at the end of stdin, shutdown(SHUT_WR) sends our FIN.
asio::awaitable<void> send_stdin(Session& s) {
  std::array<char, std::size_t{64} * 1024> buffer;
  tcp::socket& socket = s.conn->stream;
  for (;;) {
    std::error_code ec;
    const std::size_t n = co_await s.stdin_reader.read(asio::buffer(buffer), ec);
    if (ec == asio::error::operation_aborted) co_return;  // the server closed first
    if (ec == asio::error::eof) break;
    if (ec) {
      s.failure = "read stdin: " + ec.message();
      s.conn->close();
      co_return;
    }
    co_await asio::async_write(socket, asio::buffer(buffer.data(), n),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!socket.is_open()) co_return;  // closed by the watchdog or the other direction
      s.failure = "write: " + ec.message();
      s.conn->close();
      co_return;
    }
    s.conn->touch();
    s.tracer.step(3, "write", bytes_text(n), calls::write);
  }
  s.tracer.note("stdin ended");
  std::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  s.fins.we_sent_fin = true;
  s.tracer.step(5, "shutdown write", "", calls::close_write, story::shutdown_write);
}

// socket -> stdout, until the server closes.
asio::awaitable<void> receive_to_stdout(Session& s) {
  std::array<char, std::size_t{64} * 1024> buffer;
  for (;;) {
    std::error_code ec;
    const std::size_t n = co_await s.conn->stream.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) {
      s.fins.peer_sent_fin = true;
      s.tracer.step(4, "read", "0 bytes", calls::read,
                    s.fins.we_sent_fin ? story::peer_fin_after_ours : story::peer_fin);
      break;
    }
    if (ec) {
      if (s.failure.empty()) {
        s.failure = s.conn->timed_out() ? "read: no data either way for --idle-timeout seconds"
                                        : "read: " + ec.message();
      }
      if (ec == asio::error::connection_reset) s.tracer.step(4, "read", "reset", calls::read, story::reset);
      break;
    }
    s.conn->touch();
    s.tracer.step(4, "read", bytes_text(n), calls::read);
    write_fd(STDOUT_FILENO, buffer.data(), n);
  }
  s.stdin_reader.close();  // nothing more to send once the server has closed
  s.tracer.step(6, "close", "", calls::close, close_story(s.fins));
  s.conn->close();
}

// Prints a load run's result: four lines of text, or one JSON object.
void print_load(const LoadOptions& o, const LoadResult& r, bool json) {
  const Summary& l = r.latency_ms;
  const double per_second = r.round_trips_per_second();
  const double mib_per_second = per_second * o.size / (1024.0 * 1024.0);
  if (json) {
    const Json line = {{"peer", r.peer},
                       {"connections", o.connections},
                       {"rounds", o.rounds},
                       {"size", o.size},
                       {"round_trips", l.count},
                       {"seconds", r.seconds},
                       {"round_trips_per_s", per_second},
                       {"mib_per_s", mib_per_second},
                       {"latency_ms", l},
                       {"errors", r.failures}};
    std::printf("%s\n", json_text(line).c_str());
  } else {
    std::printf("load: %d connections x %d round trips x %d bytes -> %s\n", o.connections, o.rounds, o.size,
                r.peer.c_str());
    std::printf("%zu round trips in %.3f s: %.0f round trips/s, %.1f MiB/s each way\n", l.count, r.seconds,
                per_second, mib_per_second);
    std::printf("latency ms: %s\n", to_text(l).c_str());
    std::printf("errors: %d\n", r.failures);
  }
  std::fflush(stdout);
}

int run_interactive(const Options& options, const Tracer& tracer) {
  asio::io_context io;
  // [1] resolve, [2] connect.
  const TcpPeer peer = resolve_peer(io, options.peer, options.family);
  tracer.step(1, "resolve", peer.resolved(), calls::resolve_tcp);
  tcp::socket socket = connect_to(io, peer, options.connect_timeout);
  std::error_code ec;
  tracer.step(2, "connect",
              to_string(socket.remote_endpoint(ec)) + " from " + to_string(socket.local_endpoint(ec)),
              calls::dial_tcp, story::connected);
  Session session{
      std::make_shared<Watched<tcp::socket>>(std::move(socket), seconds_or_zero(options.idle_timeout)),
      tracer,
      StdinReader(io.get_executor()),
      {},
      {}};
  watch_idle(session.conn);
  asio::co_spawn(io, send_stdin(session), asio::detached);
  asio::co_spawn(io, receive_to_stdout(session), asio::detached);
  io.run();
  if (!session.failure.empty()) {
    const auto colon = session.failure.find(": ");
    throw StepError(session.failure.substr(0, colon), session.failure.substr(colon + 2));
  }
  return 0;
}

}  // namespace
}  // namespace socklab

int main(int argc, char** argv) {
  using namespace socklab;
  Options options;
  CLI::App app{
      "Interactive TCP client: stdin goes to the server, the server's replies go to stdout.\n"
      "End of file: when stdin ends, tcp-client half-closes (shutdown write, a FIN), keeps\n"
      "printing what the server still sends, and exits 0 when the server closes.\n"
      "With --load C it measures a server instead: C connections doing --rounds round trips\n"
      "of --size bytes each, every echoed byte verified.\n"
      "Lesson: notes/concurrent-tcp-server.md",
      program};
  add_peer_option(app, "peer", options.peer, 8001,
                  "the server, HOST[:PORT] (default port 8001; IPv6 as [::1]:8001)")
      ->required();
  app.add_option("--connect-timeout", options.connect_timeout, "give up connecting after this many seconds")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  app.add_option("--idle-timeout", options.idle_timeout,
                 "give up when nothing moves either way for this many seconds (0: never; "
                 "in --load mode, for each round trip, default 10)")
      ->check(CLI::Range(0.0, 86400.0));
  auto* load =
      app.add_option("--load", options.load.connections, "load mode: open this many connections at once")
          ->check(CLI::Range(1, 100000));
  auto* rounds = app.add_option("--rounds", options.load.rounds, "load mode: round trips per connection")
                     ->check(CLI::Range(1, 100000000))
                     ->capture_default_str();
  auto* size = app.add_option("--size", options.load.size, "load mode: bytes per message")
                   ->check(CLI::Range(1, 64 * 1024 * 1024))
                   ->capture_default_str();
  auto* json = app.add_flag("--json", options.json, "load mode: print the result as one JSON object");
  for (auto* o : {rounds, size, json}) o->needs(load);
  add_family_flags(app, options.family);
  add_common_flags(app, options.common);
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  try {
    const Tracer tracer(options.common.trace, std::cerr);
    if (options.load.connections > 0) {
      options.load.peer = options.peer;
      options.load.family = options.family;
      options.load.connect_timeout = options.connect_timeout;
      options.load.round_timeout = options.idle_timeout > 0 ? options.idle_timeout : 10;
      const LoadResult result = run_load(options.load, tracer);
      print_load(options.load, result, options.json);
      if (result.failures > 0) throw StepError("load", result.first_failure);
      return 0;
    }
    return run_interactive(options, tracer);
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
