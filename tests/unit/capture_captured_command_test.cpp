// capture/captured_command: real commands in a private network namespace,
// their segments captured from the first, and their end told. This binary
// enters the namespace for good, so it is a process of its own. Without root
// it needs user namespaces; where they are refused it exits 77 (skip).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "capture/captured_command.hpp"
#include "capture/segment.hpp"

using namespace socklab;

namespace {

// Opens a run, or ends the binary with "skip" where namespaces are refused.
std::unique_ptr<CapturedCommand> open_or_skip(const std::string& filter = "tcp") {
  auto run = CapturedCommand::open(filter, Tracer());
  if (!run && run.error().starts_with("cannot make a private network namespace")) {
    std::fprintf(stderr, "skip: %s\n", run.error().c_str());
    std::exit(77);
  }
  REQUIRE_MESSAGE(run, run.error());
  return std::move(run.value());
}

struct Seen {
  std::vector<Segment> segments;
  PcapSource::Next last = PcapSource::Next::quiet;
  double seconds = 0;
};

// Reads until `end` or `error`, at most 10 s.
Seen read_all(CapturedCommand& run) {
  Seen seen;
  const auto start = std::chrono::steady_clock::now();
  CaptureRecord record;
  while (seen.seconds < 10) {
    seen.last = run.next(record, 100);
    seen.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seen.last == PcapSource::Next::end || seen.last == PcapSource::Next::error) break;
    if (seen.last != PcapSource::Next::record) continue;
    const Decoded d =
        decode_segment(run.capture().link(), record.data, record.caplen, record.wirelen, record.time);
    if (d.segment) seen.segments.push_back(*d.segment);
  }
  return seen;
}

// A server on the course's port and a client that sends "hi"; then exit 3.
const std::vector<std::string> exchange = {"python3", "-c",
                                           "import socket\n"
                                           "l = socket.create_server(('127.0.0.1', 8001))\n"
                                           "c = socket.create_connection(('127.0.0.1', 8001))\n"
                                           "a, _ = l.accept()\n"
                                           "c.sendall(b'hi')\n"
                                           "assert a.recv(2) == b'hi'\n"
                                           "c.close(); a.close()\n"
                                           "raise SystemExit(3)\n"};

}  // namespace

TEST_CASE("CapturedCommand") {
  SUBCASE("captures the command's connection from its SYN and tells its exit status") {
    auto run = open_or_skip();
    CHECK_FALSE(run->exit_status());
    REQUIRE(run->start(exchange));
    const Seen seen = read_all(*run);
    CHECK(seen.last == PcapSource::Next::end);
    REQUIRE(run->exit_status());
    CHECK(*run->exit_status() == 3);
    REQUIRE_FALSE(seen.segments.empty());
    const Segment& syn = seen.segments.front();
    CHECK(syn.flags == tcp_syn);
    CHECK(syn.dst_port == 8001);
    CHECK(address_text(syn.dst) == "127.0.0.1");
    std::uint32_t payload = 0, fins = 0;
    for (const Segment& s : seen.segments) {
      payload += s.payload;
      fins += s.has(tcp_fin) ? 1 : 0;
    }
    CHECK(payload == 2);
    CHECK(fins == 2);
  }
  SUBCASE("keeps only what the filter accepts") {
    auto run = open_or_skip("tcp and port 1");
    REQUIRE(run->start(exchange));
    const Seen seen = read_all(*run);
    CHECK(seen.last == PcapSource::Next::end);
    CHECK(seen.segments.empty());
    CHECK(run->exit_status() == 3);
  }
  SUBCASE("a signal that ends the command is 128 + its number") {
    auto run = open_or_skip();
    REQUIRE(run->start({"sh", "-c", "kill -TERM $$"}));
    read_all(*run);
    CHECK(run->exit_status() == 128 + 15);
  }
  SUBCASE("ends what the command left running, so the run ends") {
    auto run = open_or_skip();
    REQUIRE(run->start({"sh", "-c", "sleep 60 & exit 0"}));
    const Seen seen = read_all(*run);
    CHECK(seen.last == PcapSource::Next::end);
    CHECK(seen.seconds < 5);
    CHECK(run->exit_status() == 0);
  }
  SUBCASE("stop() ends a command that would run on; no exit status then") {
    auto run = open_or_skip();
    REQUIRE(run->start({"sleep", "60"}));
    const auto start = std::chrono::steady_clock::now();
    run->stop();
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 5);
    CHECK_FALSE(run->exit_status());
  }
  SUBCASE("a command that cannot start says why") {
    auto run = open_or_skip();
    const auto started = run->start({"/nonexistent/program"});
    REQUIRE_FALSE(started);
    CHECK(started.error() == "/nonexistent/program: No such file or directory");
  }
}
