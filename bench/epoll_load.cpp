// epoll-load: the benchmark's second load client, beside tcp-client --load,
// so that no echo figure depends on one client's habits. One thread, one
// epoll set, one non-blocking socket per connection, ping-pong: each
// connection writes a message, waits for all of it to come back, checks
// it, and writes the next. Every round trip's time is kept.
//
//   epoll-load PORT CONNECTIONS ROUNDS SIZE [SECONDS]
//
// Connects to 127.0.0.1:PORT; stops after ROUNDS round trips per connection
// or SECONDS (default 60), whichever comes first. Prints one JSON line with
// the keys tcp-client --load --json uses; exit 1 when an echo was wrong or
// a connection failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* step) {
  std::fprintf(stderr, "epoll-load: %s: %s\n", step, std::strerror(errno));
  std::exit(1);
}

struct Connection {
  int fd = -1;
  std::vector<char> message, echo;
  std::size_t sent = 0, got = 0;  // of the current message
  int round = 0;                  // round trips done
  Clock::time_point started;      // when the current message was first written
  double total_ms = 0;            // sum of this connection's round trips
};

// The message of round `round`: the round number, then a byte pattern that
// differs per connection, so a mixed-up echo is caught.
void fill(Connection& c, std::size_t id) {
  for (std::size_t i = 0; i < c.message.size(); ++i) c.message[i] = static_cast<char>((id * 131 + i) & 0xff);
  std::memcpy(c.message.data(), &c.round, std::min(sizeof c.round, c.message.size()));
}

void watch(int epfd, int op, int fd, std::uint32_t events, std::size_t id) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (epoll_ctl(epfd, op, fd, &ev) < 0) fail("epoll_ctl");
}

double nearest_rank(const std::vector<float>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: epoll-load PORT CONNECTIONS ROUNDS SIZE [SECONDS]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::size_t count = std::strtoul(argv[2], nullptr, 10);
  const int rounds = std::atoi(argv[3]);
  const std::size_t size = std::strtoul(argv[4], nullptr, 10);
  const double limit_s = argc == 6 ? std::atof(argv[5]) : 60;
  if (port <= 0 || port > 65535 || count == 0 || rounds <= 0 || size == 0 || limit_s <= 0) {
    std::fprintf(stderr, "epoll-load: PORT, CONNECTIONS, ROUNDS, SIZE and SECONDS must be positive\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);

  // Connect every connection first: the round trips measure the echo, not
  // the server's accept queue.
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  int epfd = epoll_create1(0);
  if (epfd < 0) fail("epoll_create1");
  std::vector<Connection> conns(count);
  int one = 1;
  for (std::size_t id = 0; id < count; ++id) {
    Connection& c = conns[id];
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c.fd < 0) fail("socket");
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fail("connect");
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.message.resize(size);
    c.echo.resize(size);
    watch(epfd, EPOLL_CTL_ADD, c.fd, EPOLLIN, id);
  }

  std::vector<float> latencies_us;
  latencies_us.reserve(std::min<std::size_t>(count * static_cast<std::size_t>(rounds), 50'000'000));
  int errors = 0;
  std::size_t open = count;
  auto finish = [&](Connection& c) {
    close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    open--;
  };
  // Writes what is left of the current message; asks for EPOLLOUT while
  // the kernel cannot take it all.
  auto send_rest = [&](Connection& c, std::size_t id) {
    ssize_t w = send(c.fd, c.message.data() + c.sent, size - c.sent, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN) {
      errors++;
      finish(c);
      return;
    }
    c.sent += w > 0 ? static_cast<std::size_t>(w) : 0;
    watch(epfd, EPOLL_CTL_MOD, c.fd, c.sent < size ? EPOLLIN | EPOLLOUT : EPOLLIN, id);
  };
  auto start_round = [&](Connection& c, std::size_t id) {
    fill(c, id);
    c.sent = c.got = 0;
    c.started = Clock::now();
    ssize_t w = send(c.fd, c.message.data(), size, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN) {
      errors++;
      finish(c);
      return;
    }
    c.sent = w > 0 ? static_cast<std::size_t>(w) : 0;
    if (c.sent < size) watch(epfd, EPOLL_CTL_MOD, c.fd, EPOLLIN | EPOLLOUT, id);
  };

  const auto started = Clock::now();
  const auto deadline =
      started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limit_s));
  for (std::size_t id = 0; id < count; ++id) {
    fcntl(conns[id].fd, F_SETFL, fcntl(conns[id].fd, F_GETFL) | O_NONBLOCK);
    start_round(conns[id], id);
  }
  std::vector<epoll_event> events(1024);
  bool timed_out = false;
  while (open > 0) {
    if (Clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    int n = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const std::size_t id = events[i].data.u64;
      Connection& c = conns[id];
      if (c.fd < 0) continue;
      if ((events[i].events & EPOLLOUT) && c.sent < size) send_rest(c, id);
      if (c.fd < 0 || !(events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
      ssize_t r = recv(c.fd, c.echo.data() + c.got, size - c.got, 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) {  // 0: the server closed before echoing everything
        errors++;
        finish(c);
        continue;
      }
      c.got += static_cast<std::size_t>(r);
      if (c.got < size) continue;
      const float us = std::chrono::duration<float, std::micro>(Clock::now() - c.started).count();
      latencies_us.push_back(us);
      c.total_ms += us / 1000.0;
      if (c.echo != c.message) {
        errors++;
        finish(c);
        continue;
      }
      if (++c.round == rounds) {
        finish(c);
      } else {
        start_round(c, id);
      }
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (auto& c : conns) {
    if (c.fd >= 0) close(c.fd);
  }

  // Per connection: the mean round trip. A fair server keeps the slowest
  // connection's mean near the fastest's.
  double slowest = 0, fastest = 0;
  bool first = true;
  for (const auto& c : conns) {
    if (c.round == 0) continue;
    const double mean = c.total_ms / c.round;
    slowest = first ? mean : std::max(slowest, mean);
    fastest = first ? mean : std::min(fastest, mean);
    first = false;
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  double sum = 0;
  for (float us : latencies_us) sum += us;
  const std::size_t trips = latencies_us.size();
  const double per_second = seconds > 0 ? static_cast<double>(trips) / seconds : 0;
  std::printf(
      "{\"client\":\"epoll-load\",\"connections\":%zu,\"rounds\":%d,\"size\":%zu,\"round_trips\":%zu,"
      "\"seconds\":%.6f,\"round_trips_per_s\":%.1f,\"mib_per_s\":%.2f,"
      "\"latency_ms\":{\"min\":%.4f,\"avg\":%.4f,\"p50\":%.4f,\"p99\":%.4f,\"max\":%.4f},"
      "\"connection_mean_ms\":{\"fastest\":%.4f,\"slowest\":%.4f},\"timed_out\":%s,\"errors\":%d}\n",
      count, rounds, size, trips, seconds, per_second,
      per_second * static_cast<double>(size) / (1024.0 * 1024.0), trips ? latencies_us.front() / 1000.0 : 0.0,
      trips ? sum / static_cast<double>(trips) / 1000.0 : 0.0, nearest_rank(latencies_us, 50) / 1000.0,
      nearest_rank(latencies_us, 99) / 1000.0, trips ? latencies_us.back() / 1000.0 : 0.0, fastest, slowest,
      timed_out ? "true" : "false", errors);
  return errors > 0 || timed_out ? 1 : 0;
}
