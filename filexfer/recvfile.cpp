// recvfile: the course's file receiver, made safe to leave running. Like the
// course it listens, accepts, reads the name, answers and writes what
// arrives. Unlike it, a stranger's word is checked first: a path must stay
// beneath --dir, nothing is overwritten or followed through a symlink, and a
// file appears under its name only once it is complete, verified and on disk
// (filexfer/receive_session.cpp). Lessons: notes/file-transfer.md,
// notes/file-transfer-protocol.md
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <future>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "common/cli.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/listen.hpp"
#include "common/server.hpp"
#include "common/stop_signals.hpp"
#include "common/trace.hpp"
#include "filexfer/guards.hpp"
#include "filexfer/receive_printer.hpp"
#include "filexfer/receive_session.hpp"
#include "filexfer/workers.hpp"

namespace socklab::filexfer {
namespace {

constexpr auto program = "recvfile";

struct Options {
  HostPort listen{"", 8008};
  ReceiveOptions receive;
  bool once = false;
  bool json = false;
  std::vector<Cidr> allow;  ///< --allow, parsed once here; empty: everyone
  Family family = Family::any;
  CommonFlags common;
};

// --allow CIDR (repeatable), each parsed once into a Cidr; a bad one is a
// usage error ("recvfile: --allow 10.0.0.0/40: prefix '40' is not 0-32").
void add_allow_option(CLI::App& app, std::vector<Cidr>& allow) {
  app.add_option_function<std::vector<std::string>>(
         "--allow",
         [&allow](const std::vector<std::string>& texts) {
           for (const auto& text : texts) {
             auto cidr = parse_cidr(text);
             if (!cidr) throw CLI::ValidationError("--allow " + text, cidr.error());
             allow.push_back(*cidr);
           }
         },
         "accept only senders in this CIDR (repeatable), e.g. 10.0.0.0/8")
      ->type_name("CIDR");
}

// [3] accept: the next connection and its address, or -1 once `stop` is
// readable (SIGINT/SIGTERM).
int accept_next(int listener, int stop, asio::ip::tcp::endpoint& peer) {
  for (;;) {
    pollfd p[2] = {{listener, POLLIN, 0}, {stop, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw StepError("poll", std::strerror(errno));
    }
    if (p[1].revents) return -1;  // SIGINT/SIGTERM
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC);
    if (fd >= 0) {
      peer = endpoint_from<asio::ip::tcp::endpoint>(from, len);
      return fd;
    }
    // Out of descriptors (EMFILE): the listener stays readable, so pause
    // rather than spin until a transfer ends. A peer gone already: go on.
    if (errno == EMFILE || errno == ENFILE) ::poll(&p[1], 1, 50);
  }
}

// --once: serves the one connection on a thread while this one waits for
// the transfer to end or for a signal, which shuts the connection down, as
// stop_all() does. Exit status: the transfer's, or 0 when a signal ended it.
int serve_once(Receiver& receiver, int fd, const std::string& peer, bool allowed_peer,
               const StopSignals& stop) {
  // serve() owns and closes a duplicate, so `fd` is still ours to shut down.
  const int own = ::dup(fd);
  // Readable once the transfer has ended: the wait below wakes at once, and
  // recvfile exits the moment its work is done.
  const int done = own < 0 ? -1 : ::eventfd(0, EFD_CLOEXEC);
  if (done < 0) {
    const int why = errno;
    if (own >= 0) ::close(own);
    ::close(fd);
    throw StepError(own < 0 ? "dup" : "eventfd", std::strerror(why));
  }
  auto served = std::async(std::launch::async, [&] {
    struct SayDone {
      int fd;
      ~SayDone() {
        const std::uint64_t one = 1;
        (void)!::write(fd, &one, sizeof one);
      }
    } say_done{done};
    return receiver.serve(own, peer, false, allowed_peer);
  });
  bool stopped = false;
  pollfd p[2] = {{done, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
  // A poll that fails (it cannot, but for EINTR) leaves the wait to get().
  while (::poll(p, 2, -1) < 0 && errno == EINTR) {
  }
  if (!p[0].revents && p[1].revents) {
    ::shutdown(fd, SHUT_RDWR);  // ends the transfer's waits: it fails, leaving its part file
    stopped = true;
  }
  const bool ok = served.get();
  ::close(done);
  ::close(fd);
  return ok || stopped ? 0 : 1;
}

int run(const Options& options) {
  const StopSignals stop;  // from here on, SIGINT/SIGTERM end recvfile cleanly; SIGPIPE is ignored
  const int dir_fd = ::open(options.receive.dir_text.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) throw StepError("open --dir " + options.receive.dir_text, std::strerror(errno));
  const Tracer tracer(options.common.trace, std::cerr);
  Printer printer({options.receive.dir_text, options.json, options.common.quiet});
  Receiver receiver(options.receive, dir_fd, tracer, printer);

  // [1] resolve, [2] listen: socket, SO_REUSEADDR, bind, listen.
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor = listen_tcp(io, options.listen, options.family, tracer);
  announce_listening(to_string(acceptor.local_endpoint()));
  printer.log("receiving into " + options.receive.dir_text + (options.once ? " (one connection)" : ""));

  raise_open_file_limit();  // a descriptor per connection, two per transfer

  int status = 0;
  Workers workers(options.receive.max_transfers, printer);
  for (;;) {
    // [3] accept, then [4]-[9] on a thread of its own (receive_session.cpp).
    asio::ip::tcp::endpoint peer_ep;
    const int fd = accept_next(acceptor.native_handle(), stop.fd(), peer_ep);
    if (fd < 0) break;  // SIGINT/SIGTERM
    const std::string peer = to_string(peer_ep);
    const bool allowed_peer = allowed(options.allow, peer_ep.address());
    tracer.step(3, "accept", peer, calls::accept, story::accepted);
    printer.log("open " + peer);
    if (options.once) {
      status = serve_once(receiver, fd, peer, allowed_peer, stop);
      break;
    }
    workers.start(receiver, fd, peer, allowed_peer);
  }
  std::error_code ec;
  acceptor.close(ec);
  workers.stop_all();
  printer.log("stopped");
  ::close(dir_fd);
  return status;
}

}  // namespace
}  // namespace socklab::filexfer

int main(int argc, char** argv) {
  using namespace socklab;
  using namespace socklab::filexfer;
  Options options;
  CLI::App app{
      "Receives files and directories from sendfile (or files from the course's sender) into a\n"
      "directory, safely: every path stays beneath --dir, nothing is overwritten or followed through a\n"
      "symlink, and a file appears under its name only when complete, verified and on disk.\n"
      "Prints one line per file. Lessons: notes/file-transfer.md, notes/file-transfer-protocol.md",
      program};
  add_listen_option(app, options.listen);
  app.add_option("--dir", options.receive.dir_text, "directory to write into")->capture_default_str();
  app.add_flag("--once", options.once, "exit after one connection (like the course's receiver)");
  app.add_option("--max-size", options.receive.max_size,
                 "refuse files larger than this many bytes (0: no limit)")
      ->capture_default_str();
  app.add_option("--idle-timeout", options.receive.idle_timeout, "drop a sender silent for this many seconds")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  app.add_option("--max-transfers", options.receive.max_transfers,
                 "connections served at once; more are refused")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  add_allow_option(app, options.allow);
  app.add_flag("--overwrite", options.receive.overwrite, "replace a file that already exists");
  app.add_flag("--json", options.json,
               "one JSON object per file and per connection on stdout; the log on stderr");
  add_family_flags(app, options.family);
  add_common_flags(app, options.common);
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  try {
    return run(options);
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
