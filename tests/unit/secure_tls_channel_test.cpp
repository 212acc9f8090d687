// secure/tls_channel: the TLS 1.3 channel over a socketpair, the sender and
// the receiver in two threads.
#include "secure/tls_channel.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/stop_signals.hpp"

namespace sec = socklab::secure;
using namespace std::chrono_literals;

namespace {

// Two connected stream sockets: `sender` and `receiver` ends.
struct Pair {
  int sender = -1;
  int receiver = -1;
  Pair() {
    std::array<int, 2> fds{};
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds.data()) == 0);
    sender = fds[0];
    receiver = fds[1];
  }
  ~Pair() {
    if (sender >= 0) ::close(sender);
    if (receiver >= 0) ::close(receiver);
  }
  void close_sender() {
    ::close(sender);
    sender = -1;
  }
};

sec::Code new_code() { return *sec::Code::generate(); }

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s;
}

// The receiver's side run in a thread: its channel or its failure, and the outcome.
struct Receiver {
  std::optional<socklab::Result<sec::TlsChannel>> channel;
  sec::HandshakeOutcome outcome = sec::HandshakeOutcome::done;
  std::thread thread;
  void accept(int fd, const sec::Code& code, sec::ChannelLimits limits = {}) {
    thread = std::thread(
        [this, fd, code, limits] { channel.emplace(sec::TlsChannel::accept(fd, code, limits, &outcome)); });
  }
  ~Receiver() {
    if (thread.joinable()) thread.join();
  }
};

// Copies bytes both ways between `a` and `b` until both have closed, keeping
// every byte it saw: what an eavesdropper on the wire records.
struct Relay {
  std::string seen;
  std::thread thread;
  Relay(int a, int b) {
    thread = std::thread([this, a, b] {
      bool open_a = true, open_b = true;
      std::array<char, 16384> buf{};
      for (int rounds = 0; (open_a || open_b) && rounds < 100000; ++rounds) {
        std::array<pollfd, 2> fds = {pollfd{open_a ? a : -1, POLLIN, 0}, pollfd{open_b ? b : -1, POLLIN, 0}};
        if (::poll(fds.data(), 2, 10000) <= 0) break;
        for (int i = 0; i < 2; ++i) {
          if (fds[i].revents == 0) continue;
          int from = i == 0 ? a : b, to = i == 0 ? b : a;
          ssize_t n = ::read(from, buf.data(), buf.size());
          if (n <= 0) {
            ::shutdown(to, SHUT_WR);
            (i == 0 ? open_a : open_b) = false;
            continue;
          }
          seen.append(buf.data(), static_cast<std::size_t>(n));
          for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(to, buf.data() + off, static_cast<std::size_t>(n - off));
            if (w <= 0) break;
            off += w;
          }
        }
      }
    });
  }
  ~Relay() {
    if (thread.joinable()) thread.join();
  }
};

// True if any 16-byte run of `content` (taken at every 16th offset) is in `wire`.
bool any_run_in(const std::string& wire, const std::string& content) {
  for (std::size_t i = 0; i + 16 <= content.size(); i += 16)
    if (wire.find(content.substr(i, 16)) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("TlsChannel") {
  socklab::ignore_broken_pipe();
  Pair pair;
  Receiver receiver;
  const sec::Code code = new_code();

  SUBCASE("the right code: 1 MiB each way, byte-exact, then a clean close") {
    const std::string upload = pattern(1 << 20);
    receiver.accept(pair.receiver, code);
    auto sender = sec::TlsChannel::connect(pair.sender, code);
    REQUIRE_MESSAGE(sender, sender.error());
    receiver.thread.join();
    REQUIRE_MESSAGE(*receiver.channel, receiver.channel->error());
    CHECK(receiver.outcome == sec::HandshakeOutcome::done);
    auto& rx = receiver.channel->value();
    CHECK(rx.cipher() == "TLS_AES_128_GCM_SHA256");
    CHECK(sender->cipher() == "TLS_AES_128_GCM_SHA256");
    CHECK(rx.key_exchange_group() == "x25519");  // ECDHE ran beside the code

    std::thread echo([&rx] {
      std::string got(1 << 20, '\0');
      if (!rx.read_exact(got)) return;
      std::string back(got.rbegin(), got.rend());
      (void)rx.write_all(back);
    });
    auto w = sender->write_all(upload);
    REQUIRE_MESSAGE(w, w.error());
    std::string answer(1 << 20, '\0');
    auto r = sender->read_exact(answer);
    echo.join();
    REQUIRE_MESSAGE(r, r.error());
    CHECK(answer == std::string(upload.rbegin(), upload.rend()));

    REQUIRE(sender->shutdown());
    std::array<char, 16> buf{};
    auto end = rx.read_some(buf);
    REQUIRE_MESSAGE(end, end.error());
    CHECK(*end == 0);
  }

  SUBCASE("a wrong code: each side fails with its own line") {
    receiver.accept(pair.receiver, code);
    auto sender = sec::TlsChannel::connect(pair.sender, new_code());
    receiver.thread.join();
    REQUIRE_FALSE(sender);
    CHECK(sender.error() == "the receiver refused the code");
    REQUIRE_FALSE(*receiver.channel);
    CHECK(receiver.channel->error() == "a sender presented a wrong code");
    CHECK(receiver.outcome == sec::HandshakeOutcome::wrong_code);
  }

  SUBCASE("garbage instead of a ClientHello: the receiver fails at once") {
    receiver.accept(pair.receiver, code, {.handshake = 20s});
    const std::string junk = "ok, here is the file: photo.jpg\n and more bytes than a record header";
    REQUIRE(::write(pair.sender, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
    receiver.thread.join();
    REQUIRE_FALSE(*receiver.channel);
    CHECK(receiver.channel->error() == "not a socklab TLS handshake");
    CHECK(receiver.outcome == sec::HandshakeOutcome::no_guess);
  }

  SUBCASE("a receiver that is not TLS: the sender says so") {
    std::thread plain([&pair] {
      std::array<char, 4096> buf{};
      (void)::read(pair.receiver, buf.data(), buf.size());
      const std::string answer = "socklab-plain refused: bad header, expected a hello line\n";
      (void)::write(pair.receiver, answer.data(), answer.size());
    });
    auto sender = sec::TlsChannel::connect(pair.sender, code);
    plain.join();
    REQUIRE_FALSE(sender);
    CHECK(sender.error() == "the receiver's answer is not a socklab TLS handshake");
  }

  SUBCASE("a handshake cut half-way: the receiver fails, within its deadline") {
    // A real ClientHello, taken from a sender talking into a second pair.
    Pair capture;
    std::thread client(
        [&capture, &code] { (void)sec::TlsChannel::connect(capture.sender, code, {.handshake = 2s}); });
    std::array<char, 4096> hello{};
    ssize_t n = ::read(capture.receiver, hello.data(), hello.size());
    ::shutdown(capture.receiver, SHUT_RDWR);  // the sender's thread still uses its end: no close
    REQUIRE(n > 20);
    receiver.accept(pair.receiver, code, {.handshake = 20s});
    REQUIRE(::write(pair.sender, hello.data(), static_cast<std::size_t>(n / 2)) == n / 2);
    pair.close_sender();
    receiver.thread.join();
    client.join();
    REQUIRE_FALSE(*receiver.channel);
    CHECK(receiver.channel->error() == "the connection closed during the TLS handshake");
    CHECK(receiver.outcome == sec::HandshakeOutcome::no_guess);
  }

  SUBCASE("a sender that stops mid-way without closing: the deadline ends the handshake") {
    receiver.accept(pair.receiver, code, {.handshake = 300ms});
    REQUIRE(::write(pair.sender, "\x16\x03\x01", 3) == 3);  // a record header, cut short
    receiver.thread.join();
    REQUIRE_FALSE(*receiver.channel);
    CHECK(receiver.channel->error() == "the TLS handshake did not finish within 300 ms");
  }

  SUBCASE("a sender cut after the handshake: the receiver's read says so") {
    receiver.accept(pair.receiver, code);
    auto sender = sec::TlsChannel::connect(pair.sender, code);
    receiver.thread.join();
    REQUIRE(sender);
    REQUIRE(*receiver.channel);
    pair.close_sender();
    std::array<char, 16> buf{};
    auto r = receiver.channel->value().read_some(buf);
    REQUIRE_FALSE(r);
    CHECK(r.error() == "the connection was cut without a TLS close_notify");
  }
}

TEST_CASE("TlsChannel on the wire") {
  socklab::ignore_broken_pipe();
  const std::string name = "holiday-photos/beach-2026-secret.jpg";
  const std::string content = pattern(16384);
  Pair to_relay, from_relay;  // sender -> relay -> receiver

  SUBCASE("shows neither the name nor any 16-byte run of the content") {
    const sec::Code code = new_code();
    Receiver receiver;
    std::string got;
    {
      Relay relay(to_relay.receiver, from_relay.sender);
      receiver.accept(from_relay.receiver, code);
      auto sender = sec::TlsChannel::connect(to_relay.sender, code);
      REQUIRE_MESSAGE(sender, sender.error());
      REQUIRE(sender->write_all(name + content));
      REQUIRE(sender->shutdown());
      receiver.thread.join();
      REQUIRE(*receiver.channel);
      got.resize(name.size() + content.size());
      REQUIRE(receiver.channel->value().read_exact(got));
      REQUIRE(receiver.channel->value().shutdown());
      ::shutdown(to_relay.sender, SHUT_WR);
      ::shutdown(from_relay.receiver, SHUT_WR);
      relay.thread.join();
      CHECK(got == name + content);
      CHECK(relay.seen.size() > content.size());
      CHECK(relay.seen.find(name) == std::string::npos);
      CHECK(relay.seen.find("beach") == std::string::npos);
      CHECK_FALSE(any_run_in(relay.seen, content));
    }
  }

  SUBCASE("the same bytes sent without TLS show both (so the check above can fail)") {
    Relay relay(to_relay.receiver, from_relay.sender);
    const std::string plain = name + content;
    REQUIRE(::write(to_relay.sender, plain.data(), plain.size()) == static_cast<ssize_t>(plain.size()));
    ::shutdown(to_relay.sender, SHUT_WR);
    std::string got;
    std::array<char, 4096> buf{};
    for (ssize_t n; (n = ::read(from_relay.receiver, buf.data(), buf.size())) > 0;) got.append(buf.data(), n);
    ::shutdown(from_relay.receiver, SHUT_WR);
    relay.thread.join();
    CHECK(got == plain);
    CHECK(relay.seen.find(name) != std::string::npos);
    CHECK(any_run_in(relay.seen, content));
  }
}
