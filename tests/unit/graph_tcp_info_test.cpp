// graph/tcp_info: the sock_diag reply parser on replies captured from this
// kernel (tests/unit/fixtures/graph/), on cut and corrupted copies of them,
// and the live sampler on a loopback connection the test opens.
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "graph/tcp_info.hpp"

using socklab::graph::parse_inet_diag;
using socklab::graph::TcpInfoSample;
using socklab::graph::TcpInfoSampler;

namespace {

// What tests/unit/fixtures/graph/inet_diag_loopback.bin holds (the live test
// below wrote it, and printed the ports): a listener, and a connection that
// had 256 KiB written by the client, 64 KiB of it read (loopback: mss 47616).
constexpr std::uint16_t FIXTURE_CLIENT_PORT = 58674;
constexpr std::uint16_t FIXTURE_SERVER_PORT = 57225;
constexpr std::uint32_t FIXTURE_MSS = 47616;
constexpr std::uint32_t FIXTURE_CWND = 14;
constexpr const char* FIXTURE_CONGESTION = "bbr";  // this kernel's default

std::vector<std::uint8_t> fixture(const std::string& name) {
  std::ifstream in(std::string(GRAPH_FIXTURES) + "/" + name, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A loopback connection: a listener, the client's end and the server's end.
struct Loopback {
  int listener = -1, client = -1, server = -1;
  std::uint16_t port = 0, client_port = 0;
  Loopback() {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener, 1) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    server = ::accept(listener, nullptr, nullptr);
    REQUIRE(server >= 0);
    sockaddr_in mine{};
    len = sizeof mine;
    REQUIRE(::getsockname(client, reinterpret_cast<sockaddr*>(&mine), &len) == 0);
    client_port = ntohs(mine.sin_port);
  }
  ~Loopback() {
    ::close(server);
    ::close(client);
    ::close(listener);
  }
  Loopback(const Loopback&) = delete;
  Loopback& operator=(const Loopback&) = delete;
};

const TcpInfoSample* find(const std::vector<TcpInfoSample>& all, std::uint16_t src_port,
                          std::uint16_t dst_port) {
  for (const auto& s : all) {
    if (s.src_port == src_port && s.dst_port == dst_port) return &s;
  }
  return nullptr;
}

// One netlink message header with `body`, as the kernel lays it out.
std::vector<std::uint8_t> message(std::uint16_t type, const std::vector<std::uint8_t>& body) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(sizeof h + body.size());
  h.nlmsg_type = type;
  std::vector<std::uint8_t> out(sizeof h + body.size());
  std::memcpy(out.data(), &h, sizeof h);
  std::copy(body.begin(), body.end(), out.begin() + sizeof h);
  while (out.size() % 4 != 0) out.push_back(0);
  return out;
}

}  // namespace

TEST_CASE("the live sampler sees a loopback connection's cwnd, mss, srtt and congestion control") {
  Loopback c;
  std::vector<char> data(256 << 10, 'x');
  REQUIRE(::send(c.client, data.data(), data.size(), MSG_DONTWAIT) > 0);
  std::vector<char> got(64 << 10);
  REQUIRE(::recv(c.server, got.data(), got.size(), 0) > 0);
  auto sampler = TcpInfoSampler::open();
  REQUIRE_MESSAGE(sampler, sampler.error());
  auto all = sampler->sample(c.port);
  REQUIRE_MESSAGE(all, all.error());
  // The listener, the client's end and the server's end: all have the port.
  CHECK(all->size() == 3);
  const auto* mine = find(*all, c.client_port, c.port);
  REQUIRE(mine != nullptr);
  CHECK(mine->src == "127.0.0.1");
  CHECK(mine->dst == "127.0.0.1");
  CHECK(mine->state == "ESTABLISHED");
  CHECK(mine->has_info);
  CHECK(mine->mss > 0);
  CHECK(mine->cwnd_segments >= 1);
  CHECK(mine->cwnd_bytes == std::uint64_t{mine->cwnd_segments} * mine->mss);
  CHECK(mine->srtt_us > 0);
  CHECK(!mine->congestion.empty());
  CHECK(mine->in_flight_bytes == std::uint64_t{mine->in_flight_segments} * mine->mss);
  const auto* listening = find(*all, c.port, 0);
  REQUIRE(listening != nullptr);
  CHECK(listening->state == "LISTEN");
  // A port nobody uses: nothing.
  auto none = sampler->sample(1);
  REQUIRE(none);
  CHECK(none->empty());
  // GRAPH_FIXTURE_OUT=FILE keeps this reply as a fixture (how the one here was made).
  if (const char* out = std::getenv("GRAPH_FIXTURE_OUT")) {
    auto bytes = sampler->dump(AF_INET);
    REQUIRE(bytes);
    std::ofstream(out, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    MESSAGE("fixture written: client port " << c.client_port << ", server port " << c.port);
  }
}

TEST_CASE("a reply captured from this kernel parses to the sockets it held") {
  const auto bytes = fixture("inet_diag_loopback.bin");
  auto all = parse_inet_diag(bytes);
  REQUIRE_MESSAGE(all, all.error());
  REQUIRE(all->size() == 3);
  const auto* client = find(*all, FIXTURE_CLIENT_PORT, FIXTURE_SERVER_PORT);
  REQUIRE(client != nullptr);
  CHECK(client->state == "ESTABLISHED");
  CHECK(client->src == "127.0.0.1");
  CHECK(client->congestion == FIXTURE_CONGESTION);
  CHECK(client->mss == FIXTURE_MSS);
  CHECK(client->cwnd_segments == FIXTURE_CWND);
  CHECK(client->cwnd_bytes == std::uint64_t{FIXTURE_CWND} * FIXTURE_MSS);
  CHECK(!client->ssthresh_segments.has_value());  // no loss on loopback: still "infinite"
  CHECK(client->srtt_us > 0);
  CHECK(client->snd_wnd_bytes.has_value());
  const auto* listener = find(*all, FIXTURE_SERVER_PORT, 0);
  REQUIRE(listener != nullptr);
  CHECK(listener->state == "LISTEN");
}

TEST_CASE("a reply cut anywhere is refused with one line, never read past its end") {
  const auto bytes = fixture("inet_diag_loopback.bin");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto cut = parse_inet_diag(std::span(bytes.data(), n));
    REQUIRE(!cut);
    CHECK(!cut.error().empty());
    CHECK(cut.error().find('\n') == std::string::npos);
  }
  CHECK(parse_inet_diag(std::span(bytes.data(), 10)).error() == "netlink header cut short at byte 0");
  CHECK(parse_inet_diag(std::span(bytes.data(), 0)).error() == "the dump ends without NLMSG_DONE");
}

TEST_CASE("corrupt lengths, types and errors are named") {
  auto bytes = fixture("inet_diag_loopback.bin");
  SUBCASE("a message longer than the bytes") {
    const std::uint32_t huge = 1 << 20;
    std::memcpy(bytes.data(), &huge, sizeof huge);
    CHECK(parse_inet_diag(bytes).error() ==
          "netlink message length 1048576 at byte 0 outside the " + std::to_string(bytes.size()) + " bytes");
  }
  SUBCASE("a message shorter than its header") {
    const std::uint32_t tiny = 8;
    std::memcpy(bytes.data(), &tiny, sizeof tiny);
    CHECK(parse_inet_diag(bytes).error().starts_with("netlink message length 8 at byte 0 outside"));
  }
  SUBCASE("an attribute whose length leaves its message") {
    // The first attribute follows the 16-byte netlink header and the 72-byte inet_diag_msg.
    const std::uint16_t bad = 0xffff;
    std::memcpy(bytes.data() + 16 + 72, &bad, sizeof bad);
    CHECK(parse_inet_diag(bytes).error() == "attribute length 65535 outside its message");
  }
  SUBCASE("a message of another type") {
    CHECK(parse_inet_diag(message(99, {})).error() == "netlink message of type 99, not a sock_diag reply");
  }
  SUBCASE("a body too short for inet_diag_msg") {
    CHECK(parse_inet_diag(message(20, std::vector<std::uint8_t>(8))).error() ==
          "inet_diag message of 8 bytes, shorter than its header (72)");
  }
  SUBCASE("the kernel's error") {
    const int eperm = -EPERM;
    std::vector<std::uint8_t> body(sizeof eperm + sizeof(nlmsghdr));
    std::memcpy(body.data(), &eperm, sizeof eperm);
    CHECK(parse_inet_diag(message(NLMSG_ERROR, body)).error() ==
          "the kernel refused the dump: Operation not permitted");
  }
  SUBCASE("garbage") {
    std::vector<std::uint8_t> junk(300);
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>(i * 37 + 11);
    auto r = parse_inet_diag(junk);
    REQUIRE(!r);
    CHECK(r.error().starts_with("netlink message length"));
  }
}
