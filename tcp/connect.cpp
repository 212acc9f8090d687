#include "tcp/connect.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "common/error.hpp"

namespace socklab {

using asio::ip::tcp;

namespace {
std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds);
  return text;
}
}  // namespace

std::vector<tcp::endpoint> resolve_peer(asio::io_context& io, const std::string& peer, Family family,
                                        const Tracer& tracer) {
  const HostPort where = *parse_peer(peer, 8001);  // already checked by the CLI validator
  auto endpoints = resolve_tcp(io, where, family);
  if (!endpoints) throw StepError("resolve " + where.host, endpoints.error());
  std::string found;
  for (const auto& e : *endpoints) found += (found.empty() ? "" : ", ") + to_string(e);
  tracer.step(1, "resolve", where.host + " -> " + found, calls::resolve_tcp);
  return std::move(endpoints).value();
}

asio::awaitable<std::error_code> connect_within(tcp::socket& socket,
                                                const std::vector<tcp::endpoint>& endpoints, double seconds) {
  // A timer beside the connect: if it fires first it closes the socket, and
  // closing a socket cancels the connect pending on it.
  struct State {
    bool done = false;
    bool timed_out = false;
  };
  auto state = std::make_shared<State>();
  asio::steady_timer timer(socket.get_executor(),
                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(seconds)));
  timer.async_wait([state, &socket](const std::error_code& ec) {
    if (ec || state->done) return;
    state->timed_out = true;
    std::error_code ignored;
    socket.close(ignored);
  });
  std::error_code ec;
  co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  state->done = true;
  timer.cancel();
  if (state->timed_out) ec = asio::error::timed_out;
  co_return ec;
}

tcp::socket connect_to(asio::io_context& io, const std::string& peer, Family family, double seconds,
                       const Tracer& tracer) {
  const auto endpoints = resolve_peer(io, peer, family, tracer);
  tcp::socket socket(io);
  std::error_code result;
  asio::co_spawn(io, connect_within(socket, endpoints, seconds),
                 [&result](std::exception_ptr, std::error_code ec) { result = ec; });
  io.run();
  io.restart();
  const std::string target = endpoints.size() == 1 ? to_string(endpoints.front()) : peer;
  if (result == asio::error::timed_out) {
    throw StepError("connect " + target,
                    "no answer within " + seconds_text(seconds) + " s (--connect-timeout)");
  }
  if (result == asio::error::connection_refused) {
    // The peer's kernel answered the SYN with a RST: the host is there,
    // but no program listens on that port.
    throw StepError("connect " + target, "connection refused: nothing is listening on " + target);
  }
  check(result, "connect " + target);
  std::error_code ec;
  tracer.step(2, "connect",
              to_string(socket.remote_endpoint(ec)) + " from " + to_string(socket.local_endpoint(ec)),
              calls::dial_tcp, story::connected);
  // Without TCP_NODELAY, Nagle's algorithm holds a small write until the
  // previous one is ACKed, and the server's delayed ACK makes that ~40 ms.
  socket.set_option(tcp::no_delay(true), ec);
  return socket;
}

}  // namespace socklab
