#include "tcp/load.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <asio.hpp>

#include "common/connect.hpp"
#include "common/error.hpp"
#include "common/event_loops.hpp"
#include "common/stats.hpp"
#include "tcp/idle_watchdog.hpp"

namespace socklab {
namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// The byte at `index` of message `round` on connection `id`: every message
// differs, so an echo that mixes up connections or rounds is caught.
inline char pattern(int id, int round, std::size_t index) {
  return static_cast<char>(
      (static_cast<std::size_t>(id) * 131u + static_cast<std::size_t>(round) * 7u + index) & 0xff);
}

struct Run {
  const LoadOptions& options;
  TcpPeer peer;
  std::mutex mutex;
  std::vector<float> latencies_us;  // every round trip, merged at the end of each connection
  std::atomic<int> failures{0};
  std::string first_failure;

  void fail(std::string why) {
    failures++;
    std::lock_guard lock(mutex);
    if (first_failure.empty()) first_failure = std::move(why);
  }
};

// One connection: R times write M bytes, read M bytes back, compare.
asio::awaitable<void> do_rounds(std::shared_ptr<Watched<tcp::socket>> conn, int id, Run& run) {
  const auto& o = run.options;
  const auto size = static_cast<std::size_t>(o.size);
  std::vector<char> message(size), echo(size);
  std::vector<float> latencies;
  latencies.reserve(static_cast<std::size_t>(o.rounds));
  for (int round = 0; round < o.rounds; ++round) {
    for (std::size_t i = 0; i < size; ++i) message[i] = pattern(id, round, i);
    const auto started = Clock::now();
    std::error_code ec;
    co_await asio::async_write(conn->stream, asio::buffer(message),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      co_await asio::async_read(conn->stream, asio::buffer(echo),
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      const std::string why = conn->timed_out()        ? "no echo within the round-trip timeout"
                              : ec == asio::error::eof ? "the server closed the connection early"
                                                       : ec.message();
      run.fail("connection " + std::to_string(id) + ", round " + std::to_string(round + 1) + ": " + why);
      break;
    }
    conn->touch();
    latencies.push_back(std::chrono::duration<float, std::micro>(Clock::now() - started).count());
    if (echo != message) {
      const auto at = std::mismatch(echo.begin(), echo.end(), message.begin()).first - echo.begin();
      run.fail("connection " + std::to_string(id) + ", round " + std::to_string(round + 1) +
               ": echoed data differs at byte " + std::to_string(at));
      break;
    }
  }
  conn->close();
  std::lock_guard lock(run.mutex);
  run.latencies_us.insert(run.latencies_us.end(), latencies.begin(), latencies.end());
}

// Runs every loop until it has no work left, then makes them ready to run again.
void run_loops(std::deque<asio::io_context>& loops) {
  run_event_loops(loops);
  for (auto& loop : loops) loop.restart();
}

}  // namespace

LoadResult run_load(const LoadOptions& options, const Tracer& tracer) {
  if (static_cast<double>(options.connections) * options.size > 1024.0 * 1024 * 1024) {
    throw StepError("load", "--load x --size is above 1 GiB of buffers");
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::deque<asio::io_context> loops =
      make_event_loops(std::min<unsigned>(cores, static_cast<unsigned>(options.connections)));
  Run run{options, resolve_peer(loops[0], options.peer, options.family), {}, {}, {}, {}};
  tracer.step(1, "resolve", run.peer.resolved(), calls::resolve_tcp);

  // Connect everything first, so the round trips measure the server's
  // echo, not its accept queue.
  std::vector<tcp::socket> sockets;
  sockets.reserve(static_cast<std::size_t>(options.connections));
  std::vector<std::error_code> results(static_cast<std::size_t>(options.connections));
  for (int i = 0; i < options.connections; ++i) {
    auto& loop = loops[static_cast<std::size_t>(i) % loops.size()];
    sockets.emplace_back(loop);
    connect_within(sockets.back(), run.peer, options.connect_timeout,
                   [&results, i](std::error_code ec) { results[static_cast<std::size_t>(i)] = ec; });
  }
  run_loops(loops);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i]) {
      throw StepError("connect " + run.peer.text() + " (connection " + std::to_string(i) + ")",
                      connect_failure(results[i], run.peer, options.connect_timeout));
    }
  }
  tracer.step(
      2, "connect",
      std::to_string(options.connections) + " connections to " + to_string(run.peer.addresses.front()),
      calls::dial_tcp, story::connected);

  const auto started = Clock::now();
  for (int i = 0; i < options.connections; ++i) {
    auto& socket = sockets[static_cast<std::size_t>(i)];
    std::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    auto conn =
        std::make_shared<Watched<tcp::socket>>(std::move(socket), seconds_or_zero(options.round_timeout));
    auto executor = conn->stream.get_executor();
    asio::co_spawn(executor, do_rounds(conn, i, run), asio::detached);
    watch_idle(conn);
  }
  run_loops(loops);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

  std::vector<double> ms(run.latencies_us.size());
  std::transform(run.latencies_us.begin(), run.latencies_us.end(), ms.begin(),
                 [](float us) { return us / 1000.0; });
  return LoadResult{to_string(run.peer.addresses.front()), seconds, summarize(std::move(ms)),
                    run.failures.load(), std::move(run.first_failure)};
}

}  // namespace socklab
