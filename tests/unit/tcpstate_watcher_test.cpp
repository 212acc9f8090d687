// tcpstate/watcher: the watch machinery on real sockets of our own on
// loopback, read from /proc (and ss where it is installed): what a poll
// sees, the transitions between polls, and the messages of a missing source.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "capture/child_process.hpp"
#include "tcpstate/watcher.hpp"

using namespace socklab;

namespace {

// A TCP socket on 127.0.0.1: listening on a free port, or connected to one.
int tcp_socket() { return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::uint16_t listen_on_free_port(int fd) {
  sockaddr_in a = loopback(0);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(fd, 4) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Polls until `wanted` holds for the transitions gathered so far (at most 3 s).
template <class Wanted>
std::vector<Transition> poll_until(Watcher& watcher, Wanted wanted) {
  std::vector<Transition> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  do {
    auto polled = watcher.poll();
    REQUIRE_MESSAGE(polled, polled.error());
    seen.insert(seen.end(), polled->begin(), polled->end());
    if (wanted(seen)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return seen;
}

bool has(const std::vector<Transition>& ts, const std::string& local, std::optional<TcpState> to) {
  for (const auto& t : ts)
    if (t.local == local && t.to == to) return true;
  return false;
}

}  // namespace

TEST_CASE("source_name and source_alternatives") {
  CHECK(source_name(SourceKind::ss) == "ss");
  CHECK(source_name(SourceKind::bpftrace) == "bpftrace");
  CHECK(source_alternatives(SourceKind::ss) == "other sources: --source netstat, --source proc");
  CHECK(source_alternatives(SourceKind::bpftrace) ==
        "other sources: --source ss, --source netstat, --source proc");
}

TEST_CASE("poll_source") {
  const int listener = tcp_socket();
  const std::uint16_t port = listen_on_free_port(listener);
  const std::string local = "127.0.0.1:" + std::to_string(port);
  auto listed = [&](SourceKind kind) {
    auto rows = poll_source(kind);
    REQUIRE_MESSAGE(rows, rows.error());
    for (const SocketRow& r : *rows)
      if (r.local == local && r.state == TcpState::listen && r.remote == "0.0.0.0:*") return true;
    return false;
  };
  SUBCASE("/proc lists our listener") { CHECK(listed(SourceKind::proc)); }
  SUBCASE("ss lists it too") {
    if (on_path("ss")) CHECK(listed(SourceKind::ss));
  }
  close(listener);
}

TEST_CASE("Watcher") {
  SUBCASE("follows a connection's life on our port: listen, connect, close") {
    const int listener = tcp_socket();
    const std::uint16_t port = listen_on_free_port(listener);
    const std::string server = "127.0.0.1:" + std::to_string(port);
    auto watcher = Watcher::open(SourceKind::proc, SocketFilter{port, "127.0.0.1"});
    REQUIRE_MESSAGE(watcher, watcher.error());
    Watcher& w = **watcher;
    CHECK(w.kind() == SourceKind::proc);

    auto first = w.poll();
    REQUIRE(first);
    REQUIRE(first->size() == 1);  // only our listener passes the filter
    CHECK(first->front().initial);
    CHECK(first->front().local == server);
    CHECK(first->front().to == TcpState::listen);
    CHECK(first->front().source == "proc");

    const int client = tcp_socket();
    sockaddr_in to = loopback(port);
    REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    const int accepted = accept(listener, nullptr, nullptr);
    REQUIRE(accepted >= 0);
    auto opened = poll_until(w, [&](const auto& ts) { return has(ts, server, TcpState::established); });
    CHECK(has(opened, server, TcpState::established));
    CHECK(w.current().size() == 3);  // the listener, and both ends of the connection

    // The client closes first: it is the one left in TIME_WAIT.
    close(client);
    close(accepted);
    close(listener);
    auto closed = poll_until(w, [&](const auto& ts) { return has(ts, server, std::nullopt); });
    CHECK(has(closed, server, std::nullopt));  // the listener and the server end are gone
    bool time_wait = false;
    for (const auto& [key, entry] : w.current()) time_wait |= entry.row.state == TcpState::time_wait;
    CHECK(time_wait);
    CHECK(w.now() >= 0);
  }
  SUBCASE("a source that is not installed names the others") {
    const char* old = std::getenv("PATH");
    const std::string saved = old ? old : "";
    setenv("PATH", "/nonexistent", 1);
    auto watcher = Watcher::open(SourceKind::ss, SocketFilter{});
    setenv("PATH", saved.c_str(), 1);
    REQUIRE_FALSE(watcher);
    CHECK(watcher.error() ==
          "ss is not installed (Debian package iproute2); other sources: --source netstat, --source proc");
  }
}
