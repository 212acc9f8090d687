// udp-server: one UDP socket serves every client at once: no accept, no
// thread or process per client. Each datagram carries its sender's address,
// so one recvfrom/sendto loop answers everyone; that is why the course says a
// UDP server is concurrent by default. Lesson: notes/udp-flow.md
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <asio.hpp>

#include "common/ascii.hpp"
#include "common/cli.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/event_loops.hpp"
#include "common/listen.hpp"
#include "common/server.hpp"
#include "common/stop_signals.hpp"
#include "common/trace.hpp"

namespace socklab {
namespace {

using asio::ip::udp;
constexpr auto program = "udp-server";
enum class Mode { echo, upper, daytime };

struct Options {
  HostPort listen{"", 8006};
  Mode mode = Mode::echo;
  unsigned workers = 1;
  std::size_t max_peers = 100000;
  Family family = Family::any;
  CommonFlags common;
};

// What the server knows of one client address.
struct PeerCount {
  std::uint64_t datagrams_in = 0, bytes_in = 0, datagrams_out = 0;
};

// What the workers share: options, log, tracer, totals.
struct Shared {
  const Options& options;
  Log log;
  Tracer tracer;
  std::atomic<std::uint64_t> datagrams{0}, truncated{0}, not_sent{0};
  std::atomic<std::size_t> peers_logged{0};
};

// One socket and the loop that serves it. With --workers N there are N,
// bound to the same port with SO_REUSEPORT: the kernel hashes each client's
// address to one of them, so a client always meets the same worker.
struct Worker {
  explicit Worker(asio::io_context& loop) : loop(loop), socket(loop) {}
  asio::io_context& loop;
  udp::socket socket;
  std::map<udp::endpoint, PeerCount> peers;
  PeerCount others;  // peers beyond --max-peers, counted together
};

// The largest UDP payload is 65,527 bytes (IPv6; 65,507 over IPv4), so a
// 64 KiB buffer never truncates; MSG_TRUNC would still tell us if it did.
thread_local std::array<char, 65536> buffer;

std::string daytime_text() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %z %Z", &local);
  return text;
}

// The reply to one datagram, by mode.
std::string_view make_reply(Mode mode, std::string_view in, std::string& scratch) {
  switch (mode) {
    case Mode::echo:
      return in;
    case Mode::upper:
      // A datagram arrives whole, so unlike TCP's UpperFilter nothing is held back.
      scratch.clear();
      append_upper(in, scratch);
      return scratch;
    case Mode::daytime:
      scratch = daytime_text();
      return scratch;
  }
  return in;
}

PeerCount& count_peer(Worker& w, const udp::endpoint& from, Shared& shared) {
  if (auto it = w.peers.find(from); it != w.peers.end()) return it->second;
  if (w.peers.size() >= shared.options.max_peers) return w.others;  // bounded, whatever a flood sends
  // Log the first new peers; after that they are counted, not logged, so a
  // flood cannot flood the terminal.
  const std::size_t seen = shared.peers_logged++;
  if (seen < 20) shared.log.line("new peer " + to_string(from));
  if (seen == 20) shared.log.line("more new peers: counted, not logged (totals at exit)");
  return w.peers[from];
}

// [3] recvfrom, [4] sendto, for as long as the socket is open. After each
// wake-up it drains up to 64 datagrams, then lets the other work run.
asio::awaitable<void> serve(Worker& w, Shared& shared) {
  const int fd = w.socket.native_handle();
  std::string scratch;
  for (;;) {
    std::error_code ec;
    co_await w.socket.async_wait(udp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // the socket was closed: the server is stopping
    for (int i = 0; i < 64; ++i) {
      sockaddr_storage from_addr{};
      socklen_t from_len = sizeof from_addr;
      // MSG_TRUNC: return the datagram's real length even if it was longer
      // than the buffer (the rest would be lost: UDP keeps no remainder).
      const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_TRUNC | MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from_addr), &from_len);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EBADF) break;
        continue;  // e.g. ECONNREFUSED: an ICMP error left by an earlier sendto; go on
      }
      const auto from = endpoint_from<udp::endpoint>(from_addr, from_len);
      auto size = static_cast<std::size_t>(n);
      if (size > buffer.size()) {
        shared.truncated++;
        size = buffer.size();
      }
      shared.datagrams++;
      PeerCount& peer = count_peer(w, from, shared);
      peer.datagrams_in++;
      peer.bytes_in += size;
      if (shared.tracer.enabled()) {
        shared.tracer.step(3, "recvfrom", to_string(from) + " " + bytes_text(size), calls::read_from_udp);
      }
      const std::string_view reply = make_reply(shared.options.mode, {buffer.data(), size}, scratch);
      // sendto never blocks here: when the socket's send buffer is full the
      // reply is dropped and counted, as the network itself might drop it.
      if (::sendto(fd, reply.data(), reply.size(), MSG_DONTWAIT, from.data(), from.size()) < 0) {
        shared.not_sent++;
        continue;
      }
      peer.datagrams_out++;
      if (shared.tracer.enabled()) {
        shared.tracer.step(4, "sendto", to_string(from) + " " + bytes_text(reply.size()),
                           calls::write_to_udp);
      }
    }
  }
}

// Every peer's totals, busiest first, at most 20 lines.
void print_totals(std::deque<Worker>& workers, Shared& shared) {
  std::vector<std::pair<udp::endpoint, PeerCount>> all;
  PeerCount others;
  for (auto& w : workers) {
    all.insert(all.end(), w.peers.begin(), w.peers.end());
    others.datagrams_in += w.others.datagrams_in;
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.second.datagrams_in > b.second.datagrams_in; });
  for (std::size_t i = 0; i < all.size() && i < 20; ++i) {
    const PeerCount& c = all[i].second;
    shared.log.line("peer " + to_string(all[i].first) + ": in " + std::to_string(c.datagrams_in) +
                    " datagrams (" + std::to_string(c.bytes_in) + " B), out " +
                    std::to_string(c.datagrams_out));
  }
  if (all.size() > 20) shared.log.line("... and " + std::to_string(all.size() - 20) + " more peers");
  shared.log.line(
      "stopped; datagrams: " + std::to_string(shared.datagrams.load()) + " from " +
      std::to_string(all.size()) + " peers" +
      (others.datagrams_in ? " (+" + std::to_string(others.datagrams_in) + " beyond --max-peers)" : "") +
      ", truncated " + std::to_string(shared.truncated.load()) + ", replies not sent " +
      std::to_string(shared.not_sent.load()));
}

int run(const Options& options) {
  StopSignals stop;  // from here on, SIGINT/SIGTERM end the server cleanly
  Shared shared{options, Log(options.common.quiet), Tracer(options.common.trace, std::cerr), {}, {}, {}, {}};
  std::deque<asio::io_context> loops = make_event_loops(options.workers);
  std::deque<Worker> workers;
  for (auto& loop : loops) workers.emplace_back(loop);

  // [1] resolve, [2] socket + bind. No listen() and no accept(): UDP has no
  // connections, the one socket receives every client's datagrams.
  HostPort where = options.listen;
  for (auto& w : workers) {
    w.socket = listen_udp(w.loop, where, options.family, shared.tracer, options.workers > 1);
    where.port = w.socket.local_endpoint().port();  // port 0: the others bind the port the first one got
  }
  const std::string bound = to_string(workers[0].socket.local_endpoint());
  announce_listening(bound);

  // SIGINT/SIGTERM: close every socket (which ends its loop's wait) and stop.
  stop.call_on(workers[0].loop, [&] {
    for (auto& w : workers) {
      asio::post(w.loop, [&w] {
        std::error_code ignored;
        w.socket.close(ignored);
        w.loop.stop();
      });
    }
  });
  for (auto& w : workers) asio::co_spawn(w.loop, serve(w, shared), asio::detached);
  run_event_loops(loops);
  shared.tracer.step(5, "close", bound, calls::close);
  print_totals(workers, shared);
  return 0;
}

}  // namespace
}  // namespace socklab

int main(int argc, char** argv) {
  using namespace socklab;
  Options options;
  CLI::App app{
      "UDP echo server (RFC 862): one socket answers every client, each datagram sent back whole\n"
      "to the address it came from. --upper upper-cases letters; --daytime replies with the time,\n"
      "as the course's server does. Prints each new peer, and every peer's totals on exit.\n"
      "Lesson: notes/udp-flow.md",
      program};
  add_listen_option(app, options.listen);
  auto* upper = app.add_flag_callback(
      "--upper", [&] { options.mode = Mode::upper; }, "reply with the datagram upper-cased (ASCII letters)");
  app.add_flag_callback(
         "--daytime", [&] { options.mode = Mode::daytime; },
         "reply with the current local time instead of an echo")
      ->excludes(upper);
  app.add_option("--workers", options.workers,
                 "sockets sharing the port with SO_REUSEPORT, one thread each (default 1)")
      ->check(CLI::Range(1, 64));
  app.add_option("--max-peers", options.max_peers, "peers counted one by one; more are counted together")
      ->check(CLI::Range(1, 10000000))
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
