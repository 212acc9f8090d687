#include "common/connect.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

#include <asio/connect.hpp>
#include <asio/steady_timer.hpp>

#include "common/error.hpp"

namespace socklab {

using asio::ip::tcp;

std::string TcpPeer::text() const {
  return addresses.size() == 1 ? socklab::to_string(addresses.front()) : socklab::to_string(name);
}

std::string TcpPeer::resolved() const {
  std::string found;
  for (const auto& a : addresses) found += (found.empty() ? "" : ", ") + socklab::to_string(a);
  return name.host + " -> " + found;
}

TcpPeer resolve_peer(asio::io_context& io, const HostPort& name, Family family) {
  auto addresses = resolve_tcp(io, name, family);
  if (!addresses) throw StepError("resolve " + name.host, addresses.error());
  return {name, std::move(addresses).value()};
}

void connect_within(tcp::socket& socket, const TcpPeer& peer, double seconds,
                    std::function<void(std::error_code)> done) {
  // A timer beside the connect: if it fires first it closes the socket, and
  // closing a socket cancels the connect pending on it.
  struct State {
    explicit State(const tcp::socket::executor_type& loop) : timer(loop) {}
    asio::steady_timer timer;
    bool ended = false;  // the connect has completed (its handler ran)
    bool timed_out = false;
  };
  auto state = std::make_shared<State>(socket.get_executor());
  state->timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(seconds)));
  state->timer.async_wait([state, &socket](const std::error_code& ec) {
    if (ec || state->ended) return;  // cancelled, or too late to matter
    state->timed_out = true;
    std::error_code ignored;
    socket.close(ignored);
  });
  asio::async_connect(socket, peer.addresses,
                      [state, done = std::move(done)](std::error_code ec, const tcp::endpoint&) {
                        state->ended = true;
                        state->timer.cancel();
                        if (state->timed_out) ec = asio::error::timed_out;
                        done(ec);
                      });
}

tcp::socket connect_to(asio::io_context& io, const TcpPeer& peer, double seconds) {
  tcp::socket socket(io);
  std::error_code result;
  connect_within(socket, peer, seconds, [&result](std::error_code ec) { result = ec; });
  io.run();
  io.restart();
  if (result) throw StepError("connect " + peer.text(), connect_failure(result, peer, seconds));
  // Without TCP_NODELAY, Nagle's algorithm holds a small write until the
  // previous one is ACKed, and the peer's delayed ACK makes that ~40 ms.
  std::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  return socket;
}

std::string connect_failure(const std::error_code& ec, const TcpPeer& peer, double seconds) {
  if (ec == asio::error::timed_out) {
    char text[64];
    std::snprintf(text, sizeof text, "no answer within %g s (--connect-timeout)", seconds);
    return text;
  }
  // The peer's kernel answered the SYN with a RST: the host is there, but no
  // program listens on that port.
  if (ec == asio::error::connection_refused)
    return "connection refused: " + nothing_listening_on(peer.text());
  return ec.message();
}

std::string nothing_listening_on(const std::string& address) { return "nothing is listening on " + address; }

}  // namespace socklab
