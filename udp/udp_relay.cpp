// udp-relay: sits between UDP clients and one server and does to the
// clients' datagrams what a real network may do: lose, duplicate, reorder
// and delay them. Loopback never loses anything; through the relay a student
// sees why UDP programs must count and number their datagrams.
// Lessons: notes/tcp-vs-udp.md, notes/udp-flow.md
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "common/cli.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/listen.hpp"
#include "common/server.hpp"
#include "common/stop_signals.hpp"
#include "common/trace.hpp"
#include "udp/impairment.hpp"

namespace socklab {
namespace {

using asio::ip::udp;
using Datagram = std::shared_ptr<const std::string>;
using Clock = std::chrono::steady_clock;
constexpr auto program = "udp-relay";

struct Options {
  HostPort listen{"", 8007};
  HostPort to{};  // required
  ImpairmentSettings impair;
  std::optional<std::uint64_t> seed;
  std::size_t max_flows = 1024;
  double flow_timeout = 30;
  Family family = Family::any;
  CommonFlags common;
};

struct Counts {
  std::uint64_t from_clients = 0, forwarded = 0, dropped = 0, duplicated = 0, reordered = 0, replies = 0,
                refused = 0, expired = 0;
};

// One client: the relay talks to the server from a socket of its own for
// each client, so the server's replies tell us whom they are for. UDP has
// no end of a conversation, so a flow ends when it has been quiet for
// --flow-timeout (as a NAT or a firewall forgets a UDP "connection").
struct Flow {
  Flow(asio::io_context& io, udp::endpoint client)
      : upstream(io), client(std::move(client)), hold_timer(io) {}
  udp::socket upstream;
  udp::endpoint client;
  Clock::time_point last_active = Clock::now();  // the last datagram either way
  // --reorder: a datagram held back until the next one has gone ahead of it.
  std::optional<std::pair<Datagram, int>> held;
  asio::steady_timer hold_timer;

  // Closing the socket ends the flow's to_client coroutine; a delayed
  // datagram still on its timer finds the socket closed and is not sent.
  void close() {
    std::error_code ignored;
    upstream.close(ignored);
    hold_timer.cancel();
  }
};

class Relay {
 public:
  Relay(asio::io_context& io, const Options& options, udp::endpoint server, std::uint64_t seed)
      : io_(io),
        options_(options),
        server_(std::move(server)),
        listener_(io),
        sweep_timer_(io),
        impairer_(options.impair, seed),
        log_(options.common.quiet),
        tracer_(options.common.trace, std::cerr) {}

  // [1] resolve, [2] socket + bind the clients' side.
  std::string open() {
    listener_ = listen_udp(io_, options_.listen, options_.family, tracer_);
    return to_string(listener_.local_endpoint());
  }

  void stop() {
    std::error_code ignored;
    listener_.close(ignored);
    sweep_timer_.cancel();
    for (auto& [client, flow] : flows_) flow->close();
  }

  const Counts& counts() const { return counts_; }

  // Datagrams from clients: decide their fate, then forward to the server.
  asio::awaitable<void> from_clients() {
    std::vector<char> buffer(65536);
    for (;;) {
      udp::endpoint client;
      std::error_code ec;
      const std::size_t n = co_await listener_.async_receive_from(
          asio::buffer(buffer), client, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !listener_.is_open()) co_return;
      if (ec) continue;  // an ICMP error from an earlier send to a client: go on
      counts_.from_clients++;
      auto flow = flow_for(client);
      if (!flow) {
        counts_.refused++;
        continue;
      }
      flow->last_active = Clock::now();
      auto data = std::make_shared<const std::string>(buffer.data(), n);
      const Decision d = impairer_.decide();
      const int copies = d.duplicate ? 2 : 1;
      if (d.drop) {
        counts_.dropped++;
        tracer_.step(3, "drop", to_string(client) + " " + bytes_text(n), calls::read_from_udp);
        continue;
      }
      if (d.duplicate) counts_.duplicated++;
      if (d.hold && !flow->held) {
        hold(flow, data, copies, d.delay_ms);
        continue;
      }
      forward(flow, data, copies, d.delay_ms);
      if (flow->held) {  // the held datagram goes after this one: reordered
        auto [held, held_copies] = *flow->held;
        flow->held.reset();
        flow->hold_timer.cancel();
        counts_.reordered++;
        forward(flow, held, held_copies, d.delay_ms);
      }
    }
  }

  // Forgets the flows that have been quiet for --flow-timeout, every second
  // (or every half timeout, if that is shorter); a flood of new clients thus
  // holds the relay full for little longer than the timeout after it stops.
  asio::awaitable<void> sweep_idle_flows() {
    const auto every = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(std::min(1.0, options_.flow_timeout / 2)));
    for (;;) {
      sweep_timer_.expires_after(every);
      std::error_code ec;
      co_await sweep_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !listener_.is_open()) co_return;
      forget_idle_flows();
    }
  }

 private:
  void forget_idle_flows() {
    const auto idle = std::chrono::duration<double>(options_.flow_timeout);
    const auto now = Clock::now();
    for (auto it = flows_.begin(); it != flows_.end();) {
      Flow& flow = *it->second;
      if (now - flow.last_active < idle || flow.held) {
        ++it;
        continue;
      }
      flow.close();
      counts_.expired++;
      char quiet[48];
      std::snprintf(quiet, sizeof quiet, " (quiet for %g s)", options_.flow_timeout);
      log_.line("forgot client " + to_string(flow.client) + quiet);
      it = flows_.erase(it);
    }
  }

  std::shared_ptr<Flow> flow_for(const udp::endpoint& client) {
    if (auto it = flows_.find(client); it != flows_.end()) return it->second;
    if (flows_.size() >= options_.max_flows) return nullptr;
    auto flow = std::make_shared<Flow>(io_, client);
    std::error_code ec;
    flow->upstream.open(server_.protocol(), ec);
    if (!ec) flow->upstream.connect(server_, ec);
    if (ec) {
      log_.line("cannot open a socket towards the server for " + to_string(client) + ": " + ec.message());
      return nullptr;
    }
    flow->upstream.non_blocking(true, ec);
    flows_[client] = flow;
    log_.line("new client " + to_string(client));
    asio::co_spawn(io_, to_client(flow), asio::detached);
    return flow;
  }

  // The server's replies go back to the client untouched.
  asio::awaitable<void> to_client(std::shared_ptr<Flow> flow) {
    std::vector<char> buffer(65536);
    for (;;) {
      std::error_code ec;
      const std::size_t n = co_await flow->upstream.async_receive(
          asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !flow->upstream.is_open()) co_return;
      if (ec) continue;  // e.g. nothing listening at the server yet (ICMP): keep relaying
      flow->last_active = Clock::now();
      listener_.send_to(asio::buffer(buffer.data(), n), flow->client, 0, ec);
      if (!ec) counts_.replies++;
    }
  }

  void send_now(const std::shared_ptr<Flow>& flow, const Datagram& data, int copies) {
    for (int i = 0; i < copies; ++i) {
      std::error_code ec;
      flow->upstream.send(asio::buffer(*data), 0, ec);
      if (!ec) counts_.forwarded++;
      tracer_.step(4, "forward", to_string(server_) + " " + bytes_text(data->size()), calls::write);
    }
  }

  void forward(const std::shared_ptr<Flow>& flow, const Datagram& data, int copies, double delay_ms) {
    if (delay_ms <= 0) {
      send_now(flow, data, copies);
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(
        io_, std::chrono::microseconds(static_cast<long>(delay_ms * 1000)));
    timer->async_wait([this, timer, flow, data, copies](std::error_code ec) {
      if (!ec && flow->upstream.is_open()) send_now(flow, data, copies);
    });
  }

  // Holds a datagram until the next one from the same client passes it; if
  // none comes within 100 ms (or the delay), it goes alone, not reordered.
  void hold(const std::shared_ptr<Flow>& flow, const Datagram& data, int copies, double delay_ms) {
    flow->held = std::make_pair(data, copies);
    flow->hold_timer.expires_after(std::chrono::milliseconds(100 + static_cast<long>(delay_ms)));
    flow->hold_timer.async_wait([this, flow](std::error_code ec) {
      if (ec || !flow->held) return;
      auto [held, held_copies] = *flow->held;
      flow->held.reset();
      send_now(flow, held, held_copies);
    });
  }

  asio::io_context& io_;
  const Options& options_;
  udp::endpoint server_;
  udp::socket listener_;
  asio::steady_timer sweep_timer_;
  Impairer impairer_;
  Log log_;
  Tracer tracer_;
  Counts counts_;
  std::map<udp::endpoint, std::shared_ptr<Flow>> flows_;
};

int run(const Options& options) {
  StopSignals stop;  // from here on, SIGINT/SIGTERM end the relay cleanly
  asio::io_context io(1);
  auto servers = resolve_udp(io, options.to, options.family);
  if (!servers) throw StepError("resolve " + options.to.host, servers.error());

  const std::uint64_t seed = options.seed ? *options.seed : std::random_device{}();
  Relay relay(io, options, servers->front(), seed);
  announce_listening(relay.open());
  Log log(options.common.quiet);
  log.line("relaying to " + to_string(servers->front()) + "; seed " + std::to_string(seed) +
           " (the same --seed repeats the same decisions)");

  stop.call_on(io, [&] {
    relay.stop();
    io.stop();
  });
  asio::co_spawn(io, relay.from_clients(), asio::detached);
  asio::co_spawn(io, relay.sweep_idle_flows(), asio::detached);
  io.run();

  // What the relay did, always printed (also with -q): it is the point.
  const Counts& c = relay.counts();
  std::cout << "relay: from clients " << c.from_clients << ", forwarded " << c.forwarded << ", dropped "
            << c.dropped << ", duplicated " << c.duplicated << ", reordered " << c.reordered
            << "; replies to clients " << c.replies;
  if (c.refused) std::cout << "; refused (over --max-flows) " << c.refused;
  if (c.expired) std::cout << "; clients forgotten after --flow-timeout " << c.expired;
  std::cout << std::endl;
  return 0;
}

}  // namespace
}  // namespace socklab

int main(int argc, char** argv) {
  using namespace socklab;
  Options options;
  CLI::App app{
      "Impairment relay: forwards UDP datagrams between clients and one server, and on the way\n"
      "loses, duplicates, reorders or delays the clients' datagrams (replies pass untouched), so\n"
      "the client sees what a real network can do. Prints what it did on exit.\n"
      "Lessons: notes/tcp-vs-udp.md, notes/udp-flow.md",
      program};
  add_listen_option(app, options.listen, "address for clients");
  add_peer_option(app, "--to", options.to, 8006, "the server, HOST[:PORT]")->required();
  const auto percent = CLI::Range(0.0, 100.0);
  app.add_option("--loss", options.impair.loss_pct, "percent of datagrams dropped (20: one in five)")
      ->check(percent);
  app.add_option("--dup", options.impair.dup_pct, "percent of datagrams sent twice")->check(percent);
  app.add_option("--reorder", options.impair.reorder_pct,
                 "percent of datagrams held back behind the next one")
      ->check(percent);
  app.add_option("--delay", options.impair.delay_ms, "milliseconds each datagram is delayed")
      ->check(CLI::Range(0.0, 60000.0));
  app.add_option("--jitter", options.impair.jitter_ms, "the delay varies by up to this many ms either way")
      ->check(CLI::Range(0.0, 60000.0));
  app.add_option("--seed", options.seed, "seed for the random decisions (default: a random one, printed)");
  app.add_option("--max-flows", options.max_flows, "clients relayed at once; a new client over it is ignored")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--flow-timeout", options.flow_timeout,
                 "seconds a client may stay quiet before the relay forgets it (and its socket)")
      ->check(CLI::Range(0.05, 86400.0))
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
