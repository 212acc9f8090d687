// udp-client: the course's UDP client. It "dials" (a connected UDP socket:
// no packet is sent, the kernel only fixes the peer address), then each
// stdin line is one datagram and each reply is printed. UDP never
// retransmits: a datagram or reply that is lost is simply gone.
// Probe mode (--count) measures loss, duplicates, reordering and round-trip
// times like ping. Lessons: notes/udp-flow.md, notes/tcp-vs-udp.md
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "common/cli.hpp"
#include "common/connect.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/stats.hpp"
#include "common/trace.hpp"
#include "udp/probe.hpp"

namespace socklab {
namespace {

using asio::ip::udp;
using Clock = std::chrono::steady_clock;
constexpr auto program = "udp-client";

struct Options {
  HostPort peer{};  // required
  double reply_timeout = 2;
  std::uint64_t count = 0;
  std::size_t size = 64;
  double rate = 0;
  double interval_ms = 0;
  std::size_t window = 0;
  bool json = false;
  Family family = Family::any;
  CommonFlags common;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// ECONNREFUSED on a connected UDP socket: the peer's kernel answered an
// earlier datagram with ICMP "port unreachable".
[[noreturn]] void nothing_listening(const std::string& step, const std::string& peer) {
  throw StepError(step, nothing_listening_on(peer) + " (ICMP port unreachable came back)");
}

// [1] resolve, [2] dial: socket + connect. For UDP, connect sends nothing.
udp::socket dial(asio::io_context& io, const Options& options, const Tracer& tracer, std::string& peer_text) {
  auto endpoints = resolve_udp(io, options.peer, options.family);
  if (!endpoints) throw StepError("resolve " + options.peer.host, endpoints.error());
  const udp::endpoint remote = endpoints->front();
  peer_text = to_string(remote);
  tracer.step(1, "resolve", peer_text, calls::resolve_udp);
  udp::socket socket(io);
  std::error_code ec;
  socket.open(remote.protocol(), ec);
  check(ec, "socket");
  socket.connect(remote, ec);
  check(ec, "connect " + peer_text);
  tracer.step(2, "dial udp", to_string(socket.local_endpoint()) + " -> " + peer_text, calls::dial_udp,
              "no packet sent: connect only fixes the peer address, and lets ICMP errors reach us");
  socket.non_blocking(true, ec);
  return socket;
}

// Waits up to `seconds` for the socket to become readable.
bool wait_readable(int fd, double seconds) {
  pollfd p{fd, POLLIN, 0};
  const int ms = static_cast<int>(seconds * 1000);
  for (;;) {
    const int ready = ::poll(&p, 1, ms);
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

int run_interactive(const Options& options, const Tracer& tracer) {
  asio::io_context io;
  std::string peer;
  udp::socket socket = dial(io, options, tracer, peer);
  const int fd = socket.native_handle();
  std::vector<char> reply(65536);
  std::string line;
  std::uint64_t lines = 0, unanswered = 0;
  while (std::getline(std::cin, line)) {
    ++lines;
    if (line.size() > max_udp_payload) {
      throw StepError("write", "line " + std::to_string(lines) + " is " + std::to_string(line.size()) +
                                   " bytes; a UDP datagram carries at most 65507");
    }
    // [3] write: one line, one datagram (without its newline).
    if (::send(fd, line.data(), line.size(), 0) < 0) {
      if (errno == ECONNREFUSED) nothing_listening("write", peer);
      throw StepError("write", std::strerror(errno));
    }
    tracer.step(3, "write", bytes_text(line.size()) + " to " + peer, calls::write);
    if (!wait_readable(fd, options.reply_timeout)) {
      ++unanswered;
      std::cerr << program << ": no reply within " << options.reply_timeout
                << " s: the datagram or its reply was lost, and UDP does not retransmit; going on"
                << std::endl;
      continue;
    }
    // [4] read: the reply, and any further datagrams already waiting.
    for (;;) {
      const ssize_t n = ::recv(fd, reply.data(), reply.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == ECONNREFUSED) nothing_listening("read", peer);
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        throw StepError("read", std::strerror(errno));
      }
      tracer.step(4, "read", bytes_text(static_cast<std::size_t>(n)) + " from " + peer, calls::read);
      std::cout.write(reply.data(), n);
      if (n == 0 || reply[static_cast<std::size_t>(n) - 1] != '\n') std::cout << '\n';
      std::cout.flush();
    }
  }
  tracer.step(5, "close", peer, calls::close, "UDP has no connection to end: nothing goes on the wire");
  if (unanswered) {
    throw StepError("read",
                    std::to_string(unanswered) + " of " + std::to_string(lines) + " datagrams got no reply");
  }
  return 0;
}

// Probe mode's pace: seconds from one send to the next.
double probe_gap_seconds(const Options& options) {
  if (options.rate > 0) return 1.0 / options.rate;
  if (options.interval_ms > 0) return options.interval_ms / 1000.0;
  if (options.window > 0) return 0.0;  // only the window limits the pace
  return 0.010;                        // like ping, but every 10 ms
}

Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Probe mode's state: numbered, timestamped datagrams sent at a pace and
// within a window; the replies tell what the network (or the relay) did to
// them. One call per step of run_probe's loop.
class Prober {
 public:
  Prober(const Options& options, const Tracer& tracer, int fd, std::string peer)
      : options_(options),
        tracer_(tracer),
        fd_(fd),
        peer_(std::move(peer)),
        count_(options.count),
        window_(options.window ? options.window : options.count),
        timeout_(to_duration(options.reply_timeout)),
        gap_(to_duration(probe_gap_seconds(options))),
        stats_(options.count),
        sent_at_(options.count),
        next_send_(Clock::now()) {}

  // Forgets the oldest probes that were answered or waited for too long;
  // true once every probe is sent and none is left to wait for.
  bool done(Clock::time_point now) {
    while (!in_flight_.empty() &&
           (stats_.answered(in_flight_.front()) || sent_at_[in_flight_.front()] + timeout_ <= now)) {
      in_flight_.pop_front();
    }
    return next_ == count_ && in_flight_.empty();
  }

  // The pace and the window allow the next probe now.
  bool may_send(Clock::time_point now) const { return window_open() && now >= next_send_; }

  // [3] write: the next probe, stamped with `now`. When the send buffer is
  // full it waits a moment instead, and the probe goes on the next call.
  void send(Clock::time_point now) {
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    const std::string datagram = encode_probe({next_, static_cast<std::uint64_t>(now_ns)}, options_.size);
    if (::send(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT) < 0) {
      if (errno == ECONNREFUSED) nothing_listening("write", peer_);
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
        throw StepError("write", std::strerror(errno));
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 10);
      return;
    }
    if (tracer_.enabled())
      tracer_.step(3, "write", "probe " + std::to_string(next_) + " to " + peer_, calls::write);
    sent_at_[next_] = now;
    stats_.on_sent();
    in_flight_.push_back(next_++);
    // Keep the pace, but never try to catch up more than a second of backlog.
    next_send_ = std::max(next_send_ + gap_, now - std::chrono::seconds(1));
  }

  // [4] read: every reply that is waiting.
  void read_replies() {
    for (;;) {
      const ssize_t n = ::recv(fd_, reply_.data(), reply_.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == ECONNREFUSED) nothing_listening("read", peer_);
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        throw StepError("read", std::strerror(errno));
      }
      const auto arrived = Clock::now();
      auto header = decode_probe({reply_.data(), static_cast<std::size_t>(n)});
      if (!header || header->sequence >= count_) {
        stats_.on_foreign();
        continue;
      }
      stats_.on_reply(
          header->sequence,
          std::chrono::duration<double, std::milli>(arrived - sent_at_[header->sequence]).count());
      if (tracer_.enabled()) {
        tracer_.step(4, "read", "reply " + std::to_string(header->sequence) + " from " + peer_, calls::read);
      }
    }
  }

  // Sleeps until a reply comes, the next send is due or the oldest probe
  // expires (at most a second); returns at once if one of them is due.
  void wait(Clock::time_point now) const {
    auto until = Clock::time_point::max();
    if (window_open()) until = next_send_;
    if (!in_flight_.empty()) until = std::min(until, sent_at_[in_flight_.front()] + timeout_);
    if (until <= now) return;
    const auto wait = std::min<Clock::duration>(until - now, std::chrono::seconds(1));
    timespec ts{
        static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(wait).count()),
        static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count() % 1000000000)};
    pollfd p{fd_, POLLIN, 0};
    ::ppoll(&p, 1, &ts, nullptr);
  }

  const ProbeStats& stats() const { return stats_; }

 private:
  bool window_open() const { return next_ < count_ && in_flight_.size() < window_; }

  const Options& options_;
  const Tracer& tracer_;
  const int fd_;
  const std::string peer_;
  const std::uint64_t count_;
  const std::size_t window_;
  const Clock::duration timeout_, gap_;
  ProbeStats stats_;
  std::vector<Clock::time_point> sent_at_;
  std::deque<std::uint64_t> in_flight_;  // sent, not yet answered or given up, in send order
  std::vector<char> reply_ = std::vector<char>(65536);
  Clock::time_point next_send_;
  std::uint64_t next_ = 0;
};

// The probe's result: one JSON object, or ping-like lines.
void print_probe_result(const Options& options, const std::string& peer, const ProbeStats& stats,
                        double seconds) {
  const Summary rtt = stats.rtt();
  const double per_second = seconds > 0 ? static_cast<double>(stats.received()) / seconds : 0;
  if (options.json) {
    const Json result = {{"peer", peer},
                         {"count", options.count},
                         {"size", options.size},
                         {"sent", stats.sent()},
                         {"received", stats.received()},
                         {"lost", stats.lost()},
                         {"loss_pct", stats.loss_percent()},
                         {"duplicated", stats.duplicated()},
                         {"reordered", stats.reordered()},
                         {"foreign", stats.foreign()},
                         {"seconds", seconds},
                         {"replies_per_s", per_second},
                         {"rtt_ms", rtt}};
    std::cout << json_text(result) << std::endl;
    return;
  }
  using ull = unsigned long long;
  std::printf("probe %s: %llu datagrams of %zu bytes\n", peer.c_str(), static_cast<ull>(options.count),
              options.size);
  std::printf("sent %llu, received %llu, lost %llu (%.1f%%), duplicated %llu, reordered %llu\n",
              static_cast<ull>(stats.sent()), static_cast<ull>(stats.received()),
              static_cast<ull>(stats.lost()), stats.loss_percent(), static_cast<ull>(stats.duplicated()),
              static_cast<ull>(stats.reordered()));
  if (stats.foreign()) std::printf("not our probes (ignored): %llu\n", static_cast<ull>(stats.foreign()));
  std::printf("%.3f s, %.0f replies/s\n", seconds, per_second);
  if (rtt.count) std::printf("rtt ms: %s\n", to_text(rtt).c_str());
  std::fflush(stdout);
}

// Probe mode: send, read and wait in turn until every probe is answered or
// given up, then print what came back.
int run_probe(const Options& options, const Tracer& tracer) {
  asio::io_context io;
  std::string peer;
  udp::socket socket = dial(io, options, tracer, peer);  // [1] resolve, [2] dial
  Prober prober(options, tracer, socket.native_handle(), peer);
  const auto started = Clock::now();
  for (auto now = started; !prober.done(now); now = Clock::now()) {
    if (prober.may_send(now)) {
      prober.send(now);  // [3] write
      continue;
    }
    prober.read_replies();  // [4] read
    now = Clock::now();
    if (prober.done(now)) break;
    prober.wait(now);
  }
  const double seconds = seconds_since(started);
  tracer.step(5, "close", peer, calls::close, "UDP has no connection to end: nothing goes on the wire");
  print_probe_result(options, peer, prober.stats(), seconds);
  if (prober.stats().received() == 0) throw StepError("read", "no probe came back from " + peer);
  return 0;
}

}  // namespace
}  // namespace socklab

int main(int argc, char** argv) {
  using namespace socklab;
  Options options;
  CLI::App app{
      "UDP client. Interactive: each stdin line is one datagram, each reply is printed; a\n"
      "datagram with no reply within --reply-timeout is reported (UDP does not retransmit).\n"
      "Probe mode (--count N): numbered datagrams, then sent / received / lost / duplicated /\n"
      "reordered and round-trip times, like ping. Works against any UDP echo server.\n"
      "Lessons: notes/udp-flow.md, notes/tcp-vs-udp.md",
      program};
  add_peer_option(app, "peer", options.peer, 8006,
                  "the server, HOST[:PORT] (default port 8006; IPv6 as [::1]:8006)")
      ->required();
  app.add_option("--reply-timeout", options.reply_timeout, "seconds to wait for each reply")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  auto* count = app.add_option("--count", options.count, "probe mode: send this many numbered datagrams")
                    ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
  auto* size = app.add_option("--size", options.size, "probe mode: bytes per datagram (20..65507)")
                   ->check(CLI::Range(std::size_t{probe_header_size}, std::size_t{max_udp_payload}))
                   ->capture_default_str();
  auto* rate = app.add_option("--rate", options.rate, "probe mode: datagrams per second")
                   ->check(CLI::Range(0.001, 10000000.0));
  auto* interval = app.add_option("--interval", options.interval_ms,
                                  "probe mode: milliseconds between datagrams "
                                  "(default 10 unless --rate or --window)")
                       ->check(CLI::Range(0.0, 3600000.0))
                       ->excludes(rate);
  auto* window = app.add_option("--window", options.window,
                                "probe mode: at most this many datagrams in flight (sent, not yet answered)")
                     ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  auto* json = app.add_flag("--json", options.json, "probe mode: print the result as one JSON object");
  for (auto* o : {size, rate, interval, window, json}) o->needs(count);
  add_family_flags(app, options.family);
  add_common_flags(app, options.common);
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  try {
    const Tracer tracer(options.common.trace, std::cerr);
    return options.count ? run_probe(options, tracer) : run_interactive(options, tracer);
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
