// epoll-echo: the benchmark's reference for "the physical limit" of a TCP echo
// server: one thread, one epoll set, non-blocking sockets, no framework. It
// is what tcp-server is measured against in bench/RESULTS.md.
//
//   epoll-echo PORT        (PORT 0 picks a free port; prints "listening on 127.0.0.1:PORT")
//
// Level-triggered epoll: a socket stays readable until we drain it, so one
// read per wake-up is enough and fair to every connection. When the peer does
// not read fast enough, a write is partial: the rest waits in the
// connection's buffer, we stop reading from it (back-pressure) and ask epoll
// for EPOLLOUT instead.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

namespace {

[[noreturn]] void fail(const char* step) {
  std::fprintf(stderr, "epoll-echo: %s: %s\n", step, std::strerror(errno));
  std::exit(1);
}

struct Connection {
  std::vector<char> pending;  // bytes read but not yet written back
  std::size_t sent = 0;       // how much of pending is already written
};

void set_events(int epfd, int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0) fail("epoll_ctl");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: epoll-echo PORT\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a peer's reset must be an error code, not a signal
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (listener < 0) fail("socket");
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fail("bind");
  if (listen(listener, SOMAXCONN) < 0) fail("listen");
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on 127.0.0.1:%u\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  int epfd = epoll_create1(0);
  if (epfd < 0) fail("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev);

  std::unordered_map<int, Connection> connections;
  std::vector<char> buffer(64 * 1024);
  std::vector<epoll_event> events(1024);
  auto drop = [&](int fd) {
    connections.erase(fd);
    close(fd);  // close also removes fd from the epoll set
  };
  for (;;) {
    int n = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        for (;;) {  // accept every connection that is waiting
          int c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(epfd, EPOLL_CTL_ADD, c, &cev);
          connections[c];
        }
        continue;
      }
      Connection& conn = connections[fd];
      if (!conn.pending.empty()) {  // EPOLLOUT: finish the earlier write first
        ssize_t w = write(fd, conn.pending.data() + conn.sent, conn.pending.size() - conn.sent);
        if (w < 0 && errno != EAGAIN) {
          drop(fd);
          continue;
        }
        if (w > 0) conn.sent += static_cast<std::size_t>(w);
        if (conn.sent == conn.pending.size()) {
          conn.pending.clear();
          conn.sent = 0;
          set_events(epfd, fd, EPOLLIN);
        }
        continue;
      }
      ssize_t r = read(fd, buffer.data(), buffer.size());
      if (r == 0 || (r < 0 && errno != EAGAIN)) {  // 0: the peer sent FIN
        drop(fd);
        continue;
      }
      if (r < 0) continue;
      ssize_t w = write(fd, buffer.data(), static_cast<std::size_t>(r));
      if (w < 0 && errno != EAGAIN) {
        drop(fd);
        continue;
      }
      std::size_t done = w > 0 ? static_cast<std::size_t>(w) : 0;
      if (done < static_cast<std::size_t>(r)) {
        conn.pending.assign(buffer.data() + done, buffer.data() + r);
        conn.sent = 0;
        set_events(epfd, fd, EPOLLOUT);
      }
    }
  }
}
