#include "tcp/load.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "common/error.hpp"

using asio::ip::tcp;
using socklab::LoadOptions;
using socklab::run_load;

namespace {

const auto loopback = asio::ip::make_address("127.0.0.1");

// What the test's server does with what it reads.
enum class Behaviour { echo, corrupt_sixth_byte, close_at_once };

// A blocking server on a loopback port that accepts exactly `connections`
// connections, each served by a thread of its own until the client closes.
class Server {
 public:
  Server(Behaviour behaviour, int connections) : behaviour_(behaviour) {
    accepting_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        tcp::socket socket = acceptor_.accept();
        serving_.emplace_back([this, s = std::move(socket)]() mutable { serve(s); });
      }
    });
  }
  ~Server() {
    accepting_.join();
    for (auto& t : serving_) t.join();
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  socklab::HostPort where() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }

 private:
  void serve(tcp::socket& socket) {
    if (behaviour_ == Behaviour::close_at_once) return;  // the socket closes when it goes
    std::vector<char> buffer(4096);
    std::size_t offset = 0;  // bytes of the stream served so far
    std::error_code ec;
    for (;;) {
      const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
      if (ec) return;  // the client closed: the run is over
      if (behaviour_ == Behaviour::corrupt_sixth_byte && offset <= 5 && 5 < offset + n)
        buffer[5 - offset] ^= 1;
      offset += n;
      asio::write(socket, asio::buffer(buffer.data(), n), ec);
      if (ec) return;
    }
  }

  Behaviour behaviour_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_, tcp::endpoint(loopback, 0)};
  std::thread accepting_;
  std::vector<std::thread> serving_;
};

LoadOptions options(const socklab::HostPort& peer, int connections, int rounds, int size) {
  LoadOptions o;
  o.peer = peer;
  o.connections = connections;
  o.rounds = rounds;
  o.size = size;
  o.connect_timeout = 5;
  o.round_timeout = 5;
  return o;
}

}  // namespace

TEST_CASE("run_load") {
  const socklab::Tracer quiet;
  SUBCASE("times every round trip of every connection against an echo server") {
    Server server(Behaviour::echo, 3);
    const auto result = run_load(options(server.where(), 3, 20, 100), quiet);
    CHECK(result.failures == 0);
    CHECK(result.first_failure.empty());
    CHECK(result.latency_ms.count == 60);
    CHECK(result.latency_ms.min > 0);
    CHECK(result.latency_ms.min <= result.latency_ms.max);
    CHECK(result.peer == "127.0.0.1:" + std::to_string(server.where().port));
    CHECK(result.round_trips_per_second() > 0);
  }
  SUBCASE("catches an echo that differs, and names the connection, round and byte") {
    Server server(Behaviour::corrupt_sixth_byte, 1);
    const auto result = run_load(options(server.where(), 1, 5, 64), quiet);
    CHECK(result.failures == 1);
    CHECK(result.first_failure == "connection 0, round 1: echoed data differs at byte 5");
    CHECK(result.latency_ms.count == 1);  // the one round trip that came back, wrong
  }
  SUBCASE("says so when the server closes before it echoes") {
    Server server(Behaviour::close_at_once, 2);
    const auto result = run_load(options(server.where(), 2, 5, 64), quiet);
    CHECK(result.failures == 2);
    const bool closed =
        result.first_failure.find("round 1: the server closed the connection early") != std::string::npos;
    // A reset instead of a FIN, when our bytes reached the closed socket first.
    const bool reset = result.first_failure.find("round 1: Connection reset by peer") != std::string::npos;
    CHECK((closed || reset));
    CHECK(result.latency_ms.count == 0);
  }
  SUBCASE("throws naming the connection when nothing listens") {
    asio::io_context io;
    tcp::socket holder(io, tcp::endpoint(loopback, 0));  // bound, not listening: SYN gets RST
    const std::string at = "127.0.0.1:" + std::to_string(holder.local_endpoint().port());
    try {
      run_load(options({"127.0.0.1", holder.local_endpoint().port()}, 2, 1, 8), quiet);
      FAIL("run_load did not throw");
    } catch (const socklab::StepError& e) {
      CHECK(std::string(e.what()) ==
            "connect " + at + " (connection 0): connection refused: nothing is listening on " + at);
    }
  }
  SUBCASE("refuses more than 1 GiB of buffers before connecting") {
    try {
      run_load(options({"127.0.0.1", 9}, 1025, 1, 1024 * 1024), quiet);
      FAIL("run_load did not throw");
    } catch (const socklab::StepError& e) {
      CHECK(std::string(e.what()) == "load: --load x --size is above 1 GiB of buffers");
    }
  }
}
