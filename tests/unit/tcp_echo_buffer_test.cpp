#include "tcp/echo_buffer.hpp"

#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/local/connect_pair.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

using socklab::EchoBuffer;
using Socket = asio::local::stream_protocol::socket;

namespace {

// A socket pair: `server` is read through the EchoBuffer, `peer` plays the client.
struct Pair {
  asio::io_context io;
  Socket server{io}, peer{io};
  EchoBuffer buffer;
  Pair() {
    asio::local::connect_pair(server, peer);
    server.non_blocking(true);
  }

  // Runs one EchoBuffer::read to its end and returns what it read.
  std::string read(std::error_code& ec) {
    std::string got;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const std::string_view data = co_await buffer.read(server, ec);
          got.assign(data);
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.restart();
    io.run();
    return got;
  }
  std::string read() {
    std::error_code ec;
    std::string got = read(ec);
    REQUIRE(!ec);
    return got;
  }

  void send(const std::string& bytes) { asio::write(peer, asio::buffer(bytes)); }
};

std::string bytes(std::size_t n, char c = 'x') { return std::string(n, c); }

}  // namespace

TEST_CASE("EchoBuffer") {
  Pair p;
  SUBCASE("reads a short write with the small buffer and stays small") {
    p.send("hello\n");
    CHECK(p.read() == "hello\n");
    CHECK_FALSE(p.buffer.large());
  }
  SUBCASE("reads a write larger than 1 KiB in one read and grows to 64 KiB") {
    const std::string big = bytes(40 * 1024, 'a');
    p.send(big);
    CHECK((p.read() == big));
    CHECK(p.buffer.large());
  }
  SUBCASE("a write of exactly 1 KiB makes it grow (it cannot tell the rest is not coming)") {
    p.send(bytes(EchoBuffer::small_size));
    CHECK(p.read() == bytes(EchoBuffer::small_size));
    CHECK(p.buffer.large());
  }
  SUBCASE("gives the large buffer back after 16 short reads in a row, not before") {
    p.send(bytes(4096));
    CHECK(p.read().size() == 4096);
    for (int i = 1; i < EchoBuffer::short_reads_to_shrink; ++i) {
      p.send("short");
      CHECK(p.read() == "short");
    }
    p.send("16th");
    CHECK(p.read() == "16th");
    CHECK(p.buffer.large());  // still holds the 16th read's bytes
    p.send("after");
    CHECK(p.read() == "after");
    CHECK_FALSE(p.buffer.large());
  }
  SUBCASE("a long read among short ones starts the count again") {
    p.send(bytes(4096));
    p.read();
    for (int i = 0; i < EchoBuffer::short_reads_to_shrink - 1; ++i) {
      p.send("s");
      p.read();
    }
    p.send(bytes(2000));
    CHECK(p.read().size() == 2000);
    p.send("s");
    p.read();
    p.send("s");
    p.read();
    CHECK(p.buffer.large());
  }
  SUBCASE("the end of stream right after a large write comes with the next read") {
    const std::string big = bytes(3000, 'b');
    p.send(big);
    p.peer.shutdown(Socket::shutdown_send);
    CHECK((p.read() == big));
    std::error_code ec;
    CHECK(p.read(ec).empty());
    CHECK(ec == asio::error::eof);
  }
  SUBCASE("reports the end of stream") {
    p.peer.close();
    std::error_code ec;
    CHECK(p.read(ec).empty());
    CHECK(ec == asio::error::eof);
  }
}

TEST_CASE("EchoBuffer::write") {
  Pair p;
  SUBCASE("sends everything, waiting while the peer reads slowly") {
    // More than the socket buffers hold: part is sent at once, the rest waits.
    const std::string big(8 * 1024 * 1024, 'y');
    std::error_code write_ec;
    bool written = false;
    std::string got;
    asio::co_spawn(
        p.io,
        [&]() -> asio::awaitable<void> {
          co_await p.buffer.write(p.server, big, write_ec);
          written = true;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    asio::co_spawn(
        p.io,
        [&]() -> asio::awaitable<void> {
          got.resize(big.size());
          co_await asio::async_read(p.peer, asio::buffer(got), asio::use_awaitable);
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    p.io.run();
    CHECK(written);
    CHECK(!write_ec);
    CHECK((got == big));
  }
  SUBCASE("a large read that must wait to be written is copied first") {
    // Fill the socket towards the peer, so the echo cannot be sent at once.
    std::size_t filled = 0;
    const std::string filler(64 * 1024, 'z');
    for (std::error_code ec; !ec;) filled += p.server.write_some(asio::buffer(filler), ec);
    const std::string first = bytes(40 * 1024, 'f');
    p.send(first);
    asio::co_spawn(
        p.io,
        [&]() -> asio::awaitable<void> {
          std::error_code ec;
          const std::string_view data = co_await p.buffer.read(p.server, ec);  // in the thread's buffer
          co_await p.buffer.write(p.server, data, ec);
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    p.io.poll();  // runs until the write waits for the peer
    Pair other;   // another connection on this thread reads into the same buffer
    other.send(bytes(40 * 1024, 'o'));
    CHECK(other.read() == bytes(40 * 1024, 'o'));
    std::string got(filled + first.size(), '\0');
    asio::co_spawn(
        p.io,
        [&]() -> asio::awaitable<void> {
          co_await asio::async_read(p.peer, asio::buffer(got), asio::use_awaitable);
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    p.io.run();
    CHECK((got.substr(filled) == first));
  }
}
