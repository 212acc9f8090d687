#include "tcpstate/demo.hpp"

#include <cstdio>
#include <cstring>
#include <ostream>

#include "common/error.hpp"
#include "tcpstate/demo_sockets.hpp"
#include "tcpstate/demo_stage.hpp"

namespace socklab {
namespace {

constexpr int small_buffer = 4096;  // SO_RCVBUF: the window closes after a few KiB

// The whole life of one connection, every state held in turn.
void lifecycle(Stage& stage, DemoSockets& sockets, std::uint16_t port) {
  using S = TcpState;
  stage.scene("lifecycle", "one connection's life: handshake, data, the four-way close");
  Fd lsock = sockets.listen(
      port, {.backlog = 0, .reuse_address = true, .receive_buffer = small_buffer, .defer_accept = true});
  port = port_of(lsock);
  const std::string server = "127.0.0.1:" + std::to_string(port);
  stage.cast("listener", server, "0.0.0.0:*");
  stage.step("listen", server + " backlog 0  (Go: net.Listen | C: socket+bind+listen)",
             "The server's socket is in LISTEN: the kernel answers SYNs for it.", {{"listener", S::listen}});

  Fd a = sockets.connect(port, {.receive_buffer = small_buffer});
  stage.cast("client", local_of(a), server);
  stage.cast("server", server, local_of(a));
  stage.step("connect", "client " + local_of(a) + " -> " + server + "  (Go: net.Dial | C: connect)",
             "SYN, SYN+ACK, ACK: connect() returns, the client is ESTABLISHED. The listener set "
             "TCP_DEFER_ACCEPT, so its kernel keeps the connection in SYN_RCVD until data arrives.",
             {{"client", S::established}, {"server", S::syn_rcvd}});

  sockets.write(a, "hello\n");
  stage.step("write", "client \"hello\\n\"  (Go: conn.Write | C: write)",
             "Data completes the handshake: the server's side is ESTABLISHED and waits in the "
             "accept queue. With backlog 0 that queue is now full.",
             {{"server", S::established}});

  Fd b = sockets.connect(port, {.blocking = false});
  stage.cast("client2", local_of(b), server);
  stage.step("connect", "client2 " + local_of(b) + " -> " + server + "  (non-blocking connect)",
             "The accept queue is full, so the server's kernel drops client2's SYN: client2 stays in "
             "SYN_SENT and retransmits after 1 s, 3 s, 7 s...",
             {{"client2", S::syn_sent}});
  sockets.close(b);
  stage.step("close", "client2  (C: close)", "Giving up a connect() in SYN_SENT: the socket is simply gone.",
             {{"client2", S::closed}});

  Fd s = sockets.accept(lsock);
  sockets.read_exactly(s, 6);
  stage.step("accept", "server  (Go: listener.Accept | C: accept)",
             "accept() takes the connection off the queue; the server reads \"hello\\n\".",
             {{"server", S::established}, {"client", S::established}});

  const std::size_t wrote = sockets.fill(a);
  stage.step("write", "client writes without pause; the server does not read",
             "The server's small receive buffer fills and it advertises a zero window: the client's "
             "write would block after " +
                 std::to_string(wrote) + " bytes (the sliding window at rest).",
             {{"client", S::established}, {"server", S::established}});

  sockets.shutdown_write(a);
  stage.step("shutdown", "client SHUT_WR  (Go: conn.CloseWrite | C: shutdown)",
             "The client's FIN queues behind data the zero window does not let out: FIN_WAIT_1 holds.",
             {{"client", S::fin_wait_1}, {"server", S::established}});

  const std::size_t got = sockets.drain(s);
  stage.step("read", "server reads " + std::to_string(got + 6) + " bytes, then 0 (end of file)",
             "The data and the FIN arrive and are ACKed: the client waits in FIN_WAIT_2 for the "
             "server's FIN, the server is in CLOSE_WAIT until it closes (a half-close).",
             {{"client", S::fin_wait_2}, {"server", S::close_wait}});

  sockets.fill(s);
  sockets.close(s);
  stage.step("close", "server writes until blocked, then closes  (Go: conn.Close | C: close)",
             "The server's FIN queues behind data the client does not read: LAST_ACK holds.",
             {{"server", S::last_ack}, {"client", S::fin_wait_2}});

  sockets.drain(a);
  stage.step("read", "client reads everything, then 0 (end of file)",
             "The client ACKs the server's FIN: the server's socket is gone (LAST_ACK -> CLOSED) and "
             "the client, which closed first, sits in TIME_WAIT for 2MSL.",
             {{"client", S::time_wait}, {"server", S::closed}});
  if (auto left = stage.timer_left("client")) {
    char line[96];
    std::snprintf(line, sizeof line, "ss -o: timer:(timewait) %.0f s left of 60", *left);
    stage.say(line);
  }
  sockets.close(a);
  sockets.close(lsock);
  stage.step("close", "client and listener  (C: close)",
             "Closing the listener ends LISTEN; the TIME_WAIT socket belongs to the kernel now.",
             {{"listener", S::closed}, {"client", S::time_wait}});
}

// Both sides close at once: each FIN crosses the other's, and CLOSING holds.
void simultaneous_close(Stage& stage, DemoSockets& sockets) {
  using S = TcpState;
  stage.scene("closing", "both sides close at once: CLOSING");
  Fd lsock = sockets.listen(0, {.backlog = 1, .reuse_address = true, .receive_buffer = small_buffer});
  const std::uint16_t port = port_of(lsock);
  const std::string server = "127.0.0.1:" + std::to_string(port);
  Fd a = sockets.connect(port, {.receive_buffer = small_buffer});
  Fd s = sockets.accept(lsock);
  stage.cast("client", local_of(a), server);
  stage.cast("server", server, local_of(a));
  sockets.fill(a);
  sockets.fill(s);
  stage.step("write", "both sides write until blocked; neither reads",
             "Both windows are zero: each side's next segment waits.",
             {{"client", S::established}, {"server", S::established}});
  sockets.shutdown_write(a);
  sockets.shutdown_write(s);
  stage.step("shutdown", "both sides SHUT_WR", "Both FINs queue behind data: both sides are in FIN_WAIT_1.",
             {{"client", S::fin_wait_1}, {"server", S::fin_wait_1}});
  sockets.drain(a);
  stage.step("read", "the client reads to the end",
             "The server's FIN reaches the client before the client's own FIN is ACKed: CLOSING.",
             {{"client", S::closing}, {"server", S::fin_wait_2}});
  sockets.drain(s);
  stage.step("read", "the server reads to the end",
             "Both FINs are ACKed: both sides closed actively, so both sit in TIME_WAIT.",
             {{"client", S::time_wait}, {"server", S::time_wait}});
  sockets.close(a);
  sockets.close(s);
  sockets.close(lsock);
}

// "Address already in use": a restarted server and the TIME_WAIT it left.
void reuseaddr(Stage& stage, DemoSockets& sockets, bool reuse) {
  using S = TcpState;
  stage.scene("reuseaddr", reuse ? "restart with SO_REUSEADDR on both runs"
                                 : "restart a server whose connection sits in TIME_WAIT");
  Fd lsock = sockets.listen(0, {.backlog = 1, .reuse_address = reuse});
  const std::uint16_t port = port_of(lsock);
  const std::string server = "127.0.0.1:" + std::to_string(port);
  Fd a = sockets.connect(port);
  Fd s = sockets.accept(lsock);
  stage.cast("server", server, local_of(a));
  sockets.close(s);
  sockets.drain(a);
  sockets.close(a);
  sockets.close(lsock);
  stage.step("close",
             "the server closes first, then stops" +
                 std::string(reuse ? " (SO_REUSEADDR set)" : " (no SO_REUSEADDR)"),
             "The side that closes first keeps TIME_WAIT, here on the server's own port " +
                 std::to_string(port) + ".",
             {{"server", S::time_wait}});
  for (bool again : {false, true}) {
    int error = 0;
    Fd restarted = sockets.try_listen(port, {.backlog = 1, .reuse_address = again}, error);
    const std::string result =
        restarted.open() ? "ok: listening again" : "bind: " + std::string(std::strerror(error));
    std::string why;
    if (restarted.open()) {
      why = "Both runs set SO_REUSEADDR: bind may reuse a port whose old connections are in TIME_WAIT.";
    } else if (!again) {
      why = "Without SO_REUSEADDR, bind refuses a port that a TIME_WAIT connection still uses.";
    } else {
      why =
          "Linux wants SO_REUSEADDR on both sockets: the old run did not set it, so the restart still fails.";
    }
    stage.step("bind", server + (again ? " with SO_REUSEADDR" : " without SO_REUSEADDR") + "  (restart)", why,
               {{"server", S::time_wait}}, result);
    sockets.close(restarted);
  }
}

}  // namespace

int run_demo(const DemoOptions& options, std::ostream& out, const Tracer& tracer) {
  // Only the demo's own sockets on loopback; bpftrace also needs every port.
  auto watcher = Watcher::open(options.source, SocketFilter{0, "127.0.0.1"});
  if (!watcher) throw StepError("watch (" + std::string(source_name(options.source)) + ")", watcher.error());
  Stage stage(options, **watcher, out);
  DemoSockets sockets(tracer);
  auto plays = [&options](DemoScene scene) {
    return options.scene == DemoScene::all || options.scene == scene;
  };
  if (plays(DemoScene::lifecycle)) lifecycle(stage, sockets, options.port);
  if (plays(DemoScene::closing)) simultaneous_close(stage, sockets);
  if (plays(DemoScene::reuseaddr)) {
    reuseaddr(stage, sockets, false);
    reuseaddr(stage, sockets, true);
  }
  stage.summary();
  return stage.missed() ? 1 : 0;
}

}  // namespace socklab
