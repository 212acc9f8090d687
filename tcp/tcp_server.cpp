// tcp-server: a concurrent TCP echo server (RFC 862) and, with --upper, the
// course's upper-casing server. Each connection is a coroutine, Asio's
// counterpart of the course's goroutine per connection; event loops (one
// per core but one) run them. Lesson: notes/concurrent-tcp-server.md
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "common/cli.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/event_loops.hpp"
#include "common/listen.hpp"
#include "common/server.hpp"
#include "common/stop_signals.hpp"
#include "common/trace.hpp"
#include "tcp/echo_buffer.hpp"
#include "tcp/idle_watchdog.hpp"
#include "tcp/upper.hpp"

namespace socklab {
namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto program = "tcp-server";

struct Options {
  HostPort listen{"", 8001};
  bool upper = false;
  std::size_t max_conn = 10000;
  double idle_timeout = 300;
  unsigned threads = 0;
  Family family = Family::any;
  CommonFlags common;
};

// What every connection shares: the options, the log, the tracer and counts.
struct Shared {
  const Options& options;
  Log log;
  Tracer tracer;
  std::atomic<std::size_t> active{0};
  std::atomic<std::uint64_t> served{0};
};

// One connection, start to end: read, echo (or upper-case), close. Its
// errors stay here, so one bad peer never ends the server.
asio::awaitable<void> serve_connection(std::shared_ptr<Watched<tcp::socket>> conn, Shared& shared) {
  tcp::socket& socket = conn->stream;
  std::error_code ec;
  const std::string peer = to_string(socket.remote_endpoint(ec));
  const auto started = Clock::now();
  std::uint64_t bytes_in = 0, bytes_out = 0;
  FinState fins;
  EchoBuffer buffer;  // 1 KiB, or 64 KiB while the peer writes much
  UpperFilter upper;
  std::string reply;
  std::string_view ending = "closed";
  for (;;) {
    // [4] read: whatever has arrived, at most one buffer.
    std::string_view data = co_await buffer.read(socket, ec);
    if (ec == asio::error::operation_aborted) break;  // the watchdog closed an idle connection
    if (ec == asio::error::eof) {
      fins.peer_sent_fin = true;
      shared.tracer.step(4, "read", peer + " 0 bytes", calls::read, story::peer_fin);
      ending = "peer closed";
      break;
    }
    if (ec) {
      shared.tracer.step(4, "read", peer + " failed: " + ec.message(), calls::read,
                         ec == asio::error::connection_reset ? story::reset : "");
      ending = ec == asio::error::connection_reset ? "reset by peer" : "read failed";
      break;
    }
    conn->touch();
    bytes_in += data.size();
    // Checked first: building the trace text costs two allocations a read.
    if (shared.tracer.enabled())
      shared.tracer.step(4, "read", peer + " " + bytes_text(data.size()), calls::read);

    if (shared.options.upper) {
      reply.clear();
      upper.feed(data, reply);
      data = reply;
    }
    // [5] write the same bytes back (or their upper case).
    if (!data.empty()) {
      co_await buffer.write(socket, data, ec);
      if (ec) {
        shared.tracer.step(5, "write", peer + " failed: " + ec.message(), calls::write);
        ending = "write failed";
        break;
      }
      conn->touch();
      bytes_out += data.size();
      if (shared.tracer.enabled())
        shared.tracer.step(5, "write", peer + " " + bytes_text(data.size()), calls::write);
    }
    if (upper.exit_seen()) {
      ending = "client sent exit";
      break;
    }
  }
  if (shared.options.upper && fins.peer_sent_fin) {
    // A half-closed client still gets the end of its last line.
    const std::string rest = upper.finish();
    if (!rest.empty()) {
      co_await buffer.write(socket, rest, ec);
      if (!ec) bytes_out += rest.size();
    }
  }
  // [6] close.
  if (conn->timed_out()) ending = "idle timeout";
  shared.tracer.step(6, "close", peer, calls::close, close_story(fins));
  conn->close();
  shared.active--;
  char summary[160];
  std::snprintf(summary, sizeof summary, " (%s, in %llu B, out %llu B, %.3f s)", std::string(ending).c_str(),
                static_cast<unsigned long long>(bytes_in), static_cast<unsigned long long>(bytes_out),
                std::chrono::duration<double>(Clock::now() - started).count());
  shared.log.line("close " + peer + summary);
}

// The accept loop: every new connection gets its own coroutine on the next
// event loop, round robin, so each loop serves as many connections.
asio::awaitable<void> do_accept(tcp::acceptor& acceptor, std::deque<asio::io_context>& loops,
                                Shared& shared) {
  std::size_t next = 0;
  for (;;) {
    asio::io_context& loop = loops[next++ % loops.size()];
    std::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(loop, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors (EMFILE) and the like: say so, breathe, go on.
      shared.log.line("accept failed: " + ec.message());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const std::string peer = to_string(socket.remote_endpoint(ec));
    if (ec) continue;  // the peer is already gone
    if (shared.active >= shared.options.max_conn) {
      shared.log.line("refused " + peer + ": --max-conn " + std::to_string(shared.options.max_conn) +
                      " connections already open");
      socket.close(ec);
      continue;
    }
    shared.active++;
    shared.served++;
    shared.tracer.step(3, "accept", peer, calls::accept, story::accepted);
    shared.log.line("open " + peer);
    // Nagle's algorithm would hold a small reply until the previous one is
    // ACKed; with the client's delayed ACK that costs ~40 ms a round trip.
    socket.set_option(tcp::no_delay(true), ec);
    socket.non_blocking(true, ec);
    auto conn = std::make_shared<Watched<tcp::socket>>(std::move(socket),
                                                       seconds_or_zero(shared.options.idle_timeout));
    asio::co_spawn(loop, serve_connection(conn, shared), asio::detached);
    watch_idle(conn);
  }
}

// One event loop per core but one, and at least one. A loop whose thread
// waits for a core makes all its connections wait: on 2 cores shared with
// the clients, two loops waited twice as long as one (bench/NOTES.md).
unsigned default_loops() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 1;
}

int run(const Options& options) {
  StopSignals stop;  // from here on, SIGINT/SIGTERM end the server cleanly
  Shared shared{options, Log(options.common.quiet), Tracer(options.common.trace, std::cerr), {}, {}};
  const std::size_t fd_limit = raise_open_file_limit();
  const unsigned threads = options.threads ? options.threads : default_loops();
  std::deque<asio::io_context> loops = make_event_loops(threads);  // one per thread

  // [1] resolve, [2] listen: socket, SO_REUSEADDR, bind, listen.
  tcp::acceptor acceptor = listen_tcp(loops[0], options.listen, options.family, shared.tracer);
  announce_listening(to_string(acceptor.local_endpoint()));
  if (options.max_conn + 64 > fd_limit) {
    shared.log.line("note: the open-file limit (" + std::to_string(fd_limit) + ") is below --max-conn");
  }

  // SIGINT/SIGTERM: stop accepting and stop every event loop.
  stop.call_on(loops[0], [&] {
    acceptor.close();
    for (auto& loop : loops) loop.stop();
  });
  asio::co_spawn(loops[0], do_accept(acceptor, loops, shared), asio::detached);

  // A loop with no connection yet must wait for one, not return: the guards
  // count as work until SIGINT/SIGTERM stops every loop.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep;
  keep.reserve(loops.size());
  for (auto& loop : loops) keep.push_back(asio::make_work_guard(loop));
  run_event_loops(loops);
  shared.log.line("stopped; connections served: " + std::to_string(shared.served.load()));
  return 0;
}

}  // namespace
}  // namespace socklab

int main(int argc, char** argv) {
  using namespace socklab;
  Options options;
  CLI::App app{
      "Concurrent TCP echo server (RFC 862): sends back exactly the bytes each client sends.\n"
      "With --upper it is the course's server: upper-cases letters and closes on a line 'exit'.\n"
      "Lesson: notes/concurrent-tcp-server.md",
      program};
  add_listen_option(app, options.listen);
  app.add_flag("--upper", options.upper, "upper-case ASCII letters; a line 'exit' closes the connection");
  app.add_option("--max-conn", options.max_conn, "connections served at once; more are closed at once")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
      ->capture_default_str();
  app.add_option("--idle-timeout", options.idle_timeout,
                 "close a connection silent this many seconds (0: never)")
      ->check(CLI::Range(0.0, 86400.0 * 365))
      ->capture_default_str();
  app.add_option("--threads", options.threads, "event loops (0: one per core but one, at least one)")
      ->check(CLI::Range(0u, 256u))
      ->capture_default_str();
  add_family_flags(app, options.family);
  add_common_flags(app, options.common);
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  try {
    return run(options);
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
