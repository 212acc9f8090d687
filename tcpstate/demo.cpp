#include "tcpstate/demo.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "common/error.hpp"
#include "common/json.hpp"
#include "tcpstate/demo_report.hpp"
#include "tcpstate/diagram.hpp"

namespace socklab {
namespace {

// A socket descriptor closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    reset();
    fd_ = o.fd_;
    o.fd_ = -1;
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string errno_text() { return std::strerror(errno); }

void set_int(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0)
    throw StepError(std::string("setsockopt ") + what, errno_text());
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::string endpoint_of(const sockaddr_in& a) {
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(a.sin_port));
}

std::string local_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return endpoint_of(a);
}

std::uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// socket + options + bind + listen; returns -errno from bind instead of throwing
// when `bind_error` is given (the reuseaddr scene wants to show it).
Fd listener(std::uint16_t port, int backlog, bool reuse, int rcvbuf, bool defer, int* bind_error = nullptr) {
  Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) throw StepError("socket", errno_text());
  if (reuse) set_int(s.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  // Accepted sockets inherit the listener's receive buffer: small, so a
  // reader that stops reading closes its window after a few KiB.
  if (rcvbuf) set_int(s.get(), SOL_SOCKET, SO_RCVBUF, rcvbuf, "SO_RCVBUF");
  // TCP_DEFER_ACCEPT: the kernel ignores the handshake's final ACK and keeps
  // the connection in SYN_RCVD until the client's first data arrives.
  if (defer) set_int(s.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, 30, "TCP_DEFER_ACCEPT");
  sockaddr_in a = loopback(port);
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (bind_error) {
      *bind_error = errno;
      return Fd();
    }
    throw StepError("bind " + endpoint_of(a), errno_text());
  }
  if (listen(s.get(), backlog) != 0) throw StepError("listen", errno_text());
  return s;
}

Fd connect_to(std::uint16_t port, int rcvbuf, bool blocking) {
  Fd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (c.get() < 0) throw StepError("socket", errno_text());
  if (rcvbuf) set_int(c.get(), SOL_SOCKET, SO_RCVBUF, rcvbuf, "SO_RCVBUF");
  if (!blocking) fcntl(c.get(), F_SETFL, O_NONBLOCK);
  sockaddr_in a = loopback(port);
  if (connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 &&
      !(errno == EINPROGRESS && !blocking)) {
    throw StepError("connect " + endpoint_of(a), errno_text());
  }
  return c;
}

Fd accept_one(int listen_fd) {
  Fd s(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (s.get() < 0) throw StepError("accept", errno_text());
  return s;
}

// Writes until the kernel takes no more: the peer's window is zero and our
// send buffer is full (the write would block). Returns the bytes written.
std::size_t fill(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  static const std::string chunk(4096, 'x');
  std::size_t total = 0;
  for (int quiet = 0; quiet < 3;) {
    ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      quiet = 0;
      continue;
    }
    if (errno != EAGAIN) throw StepError("write", errno_text());
    ++quiet;  // the window may still open a little: look again shortly
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  return total;
}

// Reads until end of file (the peer's FIN), at most 10 s.
std::size_t drain(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  char buf[65536];
  std::size_t total = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) return total;
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      continue;
    }
    if (errno != EAGAIN) throw StepError("read", errno_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw StepError("read", "no end of file within 10 s");
}

// The stage: runs the watcher between calls and reports each step.
class Stage {
 public:
  Stage(const DemoOptions& options, Watcher& watcher) : options_(options), watcher_(watcher) {}

  /// Names the socket `role` by its two endpoints.
  void cast(const std::string& role, const std::string& local, const std::string& remote) {
    roles_[role] = SnapshotDiff::key(local, remote);
  }

  void scene(const std::string& name, const std::string& title) {
    scene_ = name;
    number_ = 0;
    roles_.clear();
    if (!options_.json) std::cout << "\n== " << title << " ==\n" << std::flush;
  }

  /// Prints the call, then watches until every expected state was seen (and
  /// at least --pause seconds passed), at most --pause + 3 s.
  void step(const std::string& call, const std::string& what, const std::string& narration,
            std::vector<std::pair<std::string, TcpState>> expected, const std::string& result = "") {
    StepReport report;
    report.scene = scene_;
    report.number = ++number_;
    report.call = call;
    report.narration = narration;
    report.expected = std::move(expected);
    report.result = result;
    report.source = std::string(source_name(watcher_.kind()));
    if (!options_.json) {
      std::cout << "[" << report.number << "] " << call << "  " << what << "\n    " << narration << "\n";
      if (!result.empty()) std::cout << "    result: " << result << "\n";
      std::cout << std::flush;
    }
    const double started = watcher_.now();
    for (int round = 0; round < 100000; ++round) {
      look(report);
      const double held = watcher_.now() - started;
      if ((report.ok() && held >= options_.pause) || held >= options_.pause + 3.0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!report.ok()) missed_ = true;
    for (const auto& [role, states] : report.observed) seen_.insert(states.begin(), states.end());
    if (options_.json) {
      std::cout << step_json(report) << "\n" << std::flush;
      return;
    }
    std::cout << step_text(report);
    if (options_.diagram) {
      std::set<TcpState> now;
      for (const auto& [role, states] : report.observed) now.insert(states.back());
      std::cout << render_diagram(now, options_.colour);
    }
    std::cout << std::flush;
  }

  /// The seconds left on `role`'s timer as `ss -o` shows it (TIME_WAIT's countdown).
  std::optional<double> timer_left(const std::string& role) {
    auto rows = poll_source(SourceKind::ss, true);
    if (!rows) return std::nullopt;
    for (const auto& row : *rows) {
      if (SnapshotDiff::key(row.local, row.remote) == roles_[role]) return row.timer_left;
    }
    return std::nullopt;
  }

  void say(const std::string& text) {
    if (!options_.json) std::cout << "    " << text << "\n" << std::flush;
  }

  bool missed() const { return missed_; }
  const std::set<TcpState>& seen() const { return seen_; }
  const DemoOptions& options() const { return options_; }

 private:
  // One poll: every transition of a cast socket, then its current state.
  void look(StepReport& report) {
    auto transitions = watcher_.poll();
    if (!transitions) throw StepError("watch", transitions.error());
    for (const auto& [role, key] : roles_) {
      for (const Transition& t : *transitions) {
        if (SnapshotDiff::key(t.local, t.remote) != key || t.queues_only) continue;
        if (t.from && report.observed.count(role) == 0 && t.from != TcpState::closed)
          report.observe(role, *t.from);
        report.observe(role, t.to ? *t.to : TcpState::closed);
      }
      auto it = watcher_.current().find(key);
      if (it != watcher_.current().end()) {
        report.observe(role, it->second.row.state);
      } else if (report.observed.count(role)) {
        report.observe(role, TcpState::closed);  // gone: the kernel forgot it
      }
    }
  }

  const DemoOptions& options_;
  Watcher& watcher_;
  std::map<std::string, std::string> roles_;
  std::string scene_;
  int number_ = 0;
  bool missed_ = false;
  std::set<TcpState> seen_;
};

constexpr int small_buffer = 4096;  // SO_RCVBUF: the window closes after a few KiB

// The whole life of one connection, every state held in turn.
void lifecycle(Stage& stage, std::uint16_t port) {
  using S = TcpState;
  stage.scene("lifecycle", "one connection's life: handshake, data, the four-way close");
  Fd lsock = listener(port, 0, true, small_buffer, true);
  port = port_of(lsock.get());
  const std::string server = "127.0.0.1:" + std::to_string(port);
  stage.cast("listener", server, "0.0.0.0:*");
  stage.step("listen", server + " backlog 0  (Go: net.Listen | C: socket+bind+listen)",
             "The server's socket is in LISTEN: the kernel answers SYNs for it.", {{"listener", S::listen}});

  Fd a = connect_to(port, small_buffer, true);
  stage.cast("client", local_of(a.get()), server);
  stage.cast("server", server, local_of(a.get()));
  stage.step("connect", "client " + local_of(a.get()) + " -> " + server + "  (Go: net.Dial | C: connect)",
             "SYN, SYN+ACK, ACK: connect() returns, the client is ESTABLISHED. The listener set "
             "TCP_DEFER_ACCEPT, so its kernel keeps the connection in SYN_RCVD until data arrives.",
             {{"client", S::established}, {"server", S::syn_rcvd}});

  if (send(a.get(), "hello\n", 6, MSG_NOSIGNAL) != 6) throw StepError("write", errno_text());
  stage.step("write", "client \"hello\\n\"  (Go: conn.Write | C: write)",
             "Data completes the handshake: the server's side is ESTABLISHED and waits in the "
             "accept queue. With backlog 0 that queue is now full.",
             {{"server", S::established}});

  Fd b = connect_to(port, 0, false);
  stage.cast("client2", local_of(b.get()), server);
  stage.step("connect", "client2 " + local_of(b.get()) + " -> " + server + "  (non-blocking connect)",
             "The accept queue is full, so the server's kernel drops client2's SYN: client2 stays in "
             "SYN_SENT and retransmits after 1 s, 3 s, 7 s...",
             {{"client2", S::syn_sent}});
  b.reset();
  stage.step("close", "client2  (C: close)", "Giving up a connect() in SYN_SENT: the socket is simply gone.",
             {{"client2", S::closed}});

  Fd s = accept_one(lsock.get());
  char hello[6];
  if (recv(s.get(), hello, sizeof hello, MSG_WAITALL) != 6) throw StepError("read", "hello did not arrive");
  stage.step("accept", "server  (Go: listener.Accept | C: accept)",
             "accept() takes the connection off the queue; the server reads \"hello\\n\".",
             {{"server", S::established}, {"client", S::established}});

  const std::size_t wrote = fill(a.get());
  stage.step("write", "client writes without pause; the server does not read",
             "The server's small receive buffer fills and it advertises a zero window: the client's "
             "write would block after " +
                 std::to_string(wrote) + " bytes (the sliding window at rest).",
             {{"client", S::established}, {"server", S::established}});

  if (shutdown(a.get(), SHUT_WR) != 0) throw StepError("shutdown", errno_text());
  stage.step("shutdown", "client SHUT_WR  (Go: conn.CloseWrite | C: shutdown)",
             "The client's FIN queues behind data the zero window does not let out: FIN_WAIT_1 holds.",
             {{"client", S::fin_wait_1}, {"server", S::established}});

  const std::size_t got = drain(s.get());
  stage.step("read", "server reads " + std::to_string(got + 6) + " bytes, then 0 (end of file)",
             "The data and the FIN arrive and are ACKed: the client waits in FIN_WAIT_2 for the "
             "server's FIN, the server is in CLOSE_WAIT until it closes (a half-close).",
             {{"client", S::fin_wait_2}, {"server", S::close_wait}});

  fill(s.get());
  s.reset();
  stage.step("close", "server writes until blocked, then closes  (Go: conn.Close | C: close)",
             "The server's FIN queues behind data the client does not read: LAST_ACK holds.",
             {{"server", S::last_ack}, {"client", S::fin_wait_2}});

  drain(a.get());
  stage.step("read", "client reads everything, then 0 (end of file)",
             "The client ACKs the server's FIN: the server's socket is gone (LAST_ACK -> CLOSED) and "
             "the client, which closed first, sits in TIME_WAIT for 2MSL.",
             {{"client", S::time_wait}, {"server", S::closed}});
  if (auto left = stage.timer_left("client")) {
    char line[96];
    std::snprintf(line, sizeof line, "ss -o: timer:(timewait) %.0f s left of 60", *left);
    stage.say(line);
  }
  a.reset();
  lsock.reset();
  stage.step("close", "client and listener  (C: close)",
             "Closing the listener ends LISTEN; the TIME_WAIT socket belongs to the kernel now.",
             {{"listener", S::closed}, {"client", S::time_wait}});
}

// Both sides close at once: each FIN crosses the other's, and CLOSING holds.
void simultaneous_close(Stage& stage) {
  using S = TcpState;
  stage.scene("closing", "both sides close at once: CLOSING");
  Fd lsock = listener(0, 1, true, small_buffer, false);
  const std::uint16_t port = port_of(lsock.get());
  const std::string server = "127.0.0.1:" + std::to_string(port);
  Fd a = connect_to(port, small_buffer, true);
  Fd s = accept_one(lsock.get());
  stage.cast("client", local_of(a.get()), server);
  stage.cast("server", server, local_of(a.get()));
  fill(a.get());
  fill(s.get());
  stage.step("write", "both sides write until blocked; neither reads",
             "Both windows are zero: each side's next segment waits.",
             {{"client", S::established}, {"server", S::established}});
  shutdown(a.get(), SHUT_WR);
  shutdown(s.get(), SHUT_WR);
  stage.step("shutdown", "both sides SHUT_WR", "Both FINs queue behind data: both sides are in FIN_WAIT_1.",
             {{"client", S::fin_wait_1}, {"server", S::fin_wait_1}});
  drain(a.get());
  stage.step("read", "the client reads to the end",
             "The server's FIN reaches the client before the client's own FIN is ACKed: CLOSING.",
             {{"client", S::closing}, {"server", S::fin_wait_2}});
  drain(s.get());
  stage.step("read", "the server reads to the end",
             "Both FINs are ACKed: both sides closed actively, so both sit in TIME_WAIT.",
             {{"client", S::time_wait}, {"server", S::time_wait}});
}

// "Address already in use": a restarted server and the TIME_WAIT it left.
void reuseaddr(Stage& stage, bool reuse) {
  using S = TcpState;
  stage.scene("reuseaddr", reuse ? "restart with SO_REUSEADDR on both runs"
                                 : "restart a server whose connection sits in TIME_WAIT");
  Fd lsock = listener(0, 1, reuse, 0, false);
  const std::uint16_t port = port_of(lsock.get());
  const std::string server = "127.0.0.1:" + std::to_string(port);
  Fd a = connect_to(port, 0, true);
  Fd s = accept_one(lsock.get());
  stage.cast("server", server, local_of(a.get()));
  s.reset();
  drain(a.get());
  a.reset();
  lsock.reset();
  stage.step("close",
             "the server closes first, then stops" +
                 std::string(reuse ? " (SO_REUSEADDR set)" : " (no SO_REUSEADDR)"),
             "The side that closes first keeps TIME_WAIT, here on the server's own port " +
                 std::to_string(port) + ".",
             {{"server", S::time_wait}});
  for (bool again : {false, true}) {
    int error = 0;
    Fd restarted = listener(port, 1, again, 0, false, &error);
    const std::string result =
        restarted.get() >= 0 ? "ok: listening again" : "bind: " + std::string(std::strerror(error));
    std::string why;
    if (restarted.get() >= 0) {
      why = "Both runs set SO_REUSEADDR: bind may reuse a port whose old connections are in TIME_WAIT.";
    } else if (!again) {
      why = "Without SO_REUSEADDR, bind refuses a port that a TIME_WAIT connection still uses.";
    } else {
      why =
          "Linux wants SO_REUSEADDR on both sockets: the old run did not set it, so the restart still fails.";
    }
    stage.step("bind", server + (again ? " with SO_REUSEADDR" : " without SO_REUSEADDR") + "  (restart)", why,
               {{"server", S::time_wait}}, result);
  }
}

}  // namespace

int run_demo(const DemoOptions& options) {
  // Only the demo's own sockets on loopback; bpftrace also needs every port.
  auto watcher = Watcher::open(options.source, SocketFilter{0, "127.0.0.1"});
  if (!watcher) throw StepError("watch (" + std::string(source_name(options.source)) + ")", watcher.error());
  Stage stage(options, **watcher);
  const bool all = options.scene == "all";
  if (all || options.scene == "lifecycle") lifecycle(stage, options.port);
  if (all || options.scene == "closing") simultaneous_close(stage);
  if (all || options.scene == "reuseaddr") {
    reuseaddr(stage, false);
    reuseaddr(stage, true);
  }
  std::string seen;
  for (TcpState s : stage.seen()) seen += (seen.empty() ? "" : " ") + std::string(state_name(s));
  if (options.json) {
    std::string list = "[";
    for (TcpState s : stage.seen()) list += (list.size() > 1 ? "," : "") + json_quote(state_name(s));
    std::cout << JsonLine()
                     .add("summary", true)
                     .add_raw("observed_states", list + "]")
                     .add("ok", !stage.missed())
                     .str()
              << "\n";
  } else {
    std::cout << "\nStates observed: " << seen << "\n"
              << (stage.missed() ? "Some expected states were not observed (see [MISSED] above).\n"
                                 : "Every expected state was observed.\n");
  }
  return stage.missed() ? 1 : 0;
}

}  // namespace socklab
