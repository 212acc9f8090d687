// sendfile: the course's file sender, made into a real tool. Like the course
// it takes the paths from argv, stats each file for its name and size,
// dials, writes the name, waits for the receiver's answer and streams the
// bytes; by default it also sends the size and a SHA-256 and waits for the
// receiver's verdict, so "sent" means "arrived whole". A directory is sent
// as its tree of files. --classic speaks the course's exact bytes.
// Lessons: notes/file-transfer.md, notes/file-transfer-protocol.md

#include <algorithm>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/connect.hpp"
#include "common/error.hpp"
#include "common/stop_signals.hpp"
#include "common/trace.hpp"
#include "filexfer/connection.hpp"
#include "filexfer/protocol.hpp"
#include "filexfer/send_content.hpp"
#include "filexfer/send_run.hpp"
#include "filexfer/sources.hpp"
#include "filexfer/steps.hpp"
#include "filexfer/verified_sender.hpp"

namespace socklab::filexfer {
namespace {

constexpr auto program = "sendfile";

struct Options {
  std::vector<std::string> args;  // PATH... HOST[:PORT]
  HostPort peer{};                // the last of args, parsed
  std::vector<std::string> exclude;
  bool classic = false;
  bool json = false;
  double connect_timeout = 10;
  double idle_timeout = 60;
  Family family = Family::any;
  CommonFlags common;
};

// [3] dial: resolve and connect, within --connect-timeout. Returns the
// connection (non-blocking, as Connection wants it); `peer` gets the address.
int dial(const Options& options, std::string& peer, const Tracer& tracer) {
  asio::io_context io;
  const TcpPeer resolved = resolve_peer(io, options.peer, options.family);
  asio::ip::tcp::socket socket = connect_to(io, resolved, options.connect_timeout);
  std::error_code ec;
  peer = to_string(socket.remote_endpoint(ec));
  tracer.step(3, "dial", peer, calls::dial_tcp, story::connected);
  socket.non_blocking(true, ec);
  return socket.release();
}

// The verified protocol: every file over one connection. Files are
// pipelined: a group of up to 32 headers goes out in one write before its
// answers are read, and the next group without waiting for the last
// verdicts, so the receiver can put many small files on disk with one
// flush. One round trip per group, not per file: over a link with a 50 ms
// round trip, 10,000 small files would otherwise take over 8 minutes of
// waiting. Verdicts come back in file order.
void send_verified(const std::vector<Source>& files, const Options& options, const Tracer& tracer, Run& run) {
  std::string peer;
  Connection conn(dial(options, peer, tracer), options.idle_timeout);  // [3]
  VerifiedSender sender(conn, peer, tracer, run);
  sender.hello(files);
  for (std::size_t first = 0; first < files.size(); first += max_group) {
    const std::span<const Source> group(files.data() + first, std::min(max_group, files.size() - first));
    sender.offer(group);                                   // [4] the names and sizes
    for (const auto& [s, from] : sender.answers(group)) {  // [5] the answers, in order
      sender.send(*s, from);                               // [6] the accepted files' bytes
    }
  }
  sender.end();  // [7] END and the last verdicts
  tracer.step(8, "close", peer, calls::close, story::shutdown_write);
}

// The course's protocol: name, "ok", content, close; one file per connection.
void send_classic(const std::vector<Source>& files, const Options& options, const Tracer& tracer, Run& run) {
  for (const Source& s : files) {
    std::string peer;
    Connection conn(dial(options, peer, tracer), options.idle_timeout);
    conn.write_all(s.name, "write name");
    tracer.step(4, "write name", s.name, calls::write);
    char reply[256];
    const std::size_t n = conn.read_some(reply, "read ok");
    const std::string answer(reply, n);
    tracer.step(5, "read", "'" + answer + "'", calls::read);
    if (answer != "ok") {
      run.done(s, {SendVerdict::refused,
                   {},
                   peer + " did not answer ok" +
                       (answer.empty() ? std::string(" (it closed the connection)") : ": " + answer)});
      continue;
    }
    const Sha256 digest = send_content(conn, s, 0, run);
    tracer.step(6, "write loop", bytes_text(s.size), file_calls::copy_out);
    // Closing is the only "end of file" this protocol has: FIN, then wait
    // for the receiver's own close, so we know it read everything.
    conn.shutdown_write();
    tracer.step(7, "close", peer, calls::close_write, story::shutdown_write);
    char rest[256];
    while (conn.read_some(rest, "wait for the receiver to close") > 0) {
    }
    run.done(s, {SendVerdict::good, digest, {}, 0, s.size});
  }
}

int run(const Options& options) {
  const Tracer tracer(options.common.trace, std::cerr);
  ignore_broken_pipe();  // sendfile(2) to a closed connection: EPIPE, not death
  const std::string peer = options.args.back();
  const std::vector<std::string> paths(options.args.begin(), options.args.end() - 1);
  tracer.step(1, "args", std::to_string(paths.size()) + " file(s) to " + peer, file_calls::args);
  Plan plan;
  for (const auto& p : paths) add_path(plan, p, options.exclude, options.classic, tracer);
  for (const auto& [path, why] : plan.skipped)
    std::cerr << program << ": skipped " << path << ": " << why << std::endl;
  if (const auto n = plan.skipped.size()) {
    std::cerr << program << ": skipped " << n << (n == 1 ? " entry" : " entries")
              << " in all (symlinks, devices, sockets, pipes, hidden names)" << std::endl;
  }
  Run run({options.json, options.classic, options.common.quiet}, plan.sources);
  if (options.classic) {
    send_classic(plan.sources, options, tracer, run);
  } else {
    send_verified(plan.sources, options, tracer, run);
  }
  run.finish();
  return run.failed() ? 1 : 0;
}

}  // namespace
}  // namespace socklab::filexfer

int main(int argc, char** argv) {
  using namespace socklab;
  using namespace socklab::filexfer;
  Options options;
  CLI::App app{
      "Sends files and directories to recvfile (or files to the course's receiver with --classic):\n"
      "sendfile PATH... HOST[:PORT]. Each file goes with its path, size and SHA-256; sendfile exits 0\n"
      "only when the receiver has checked every file and put it in place. Running the same command\n"
      "again after a break resumes, and skips the files the receiver has already.\n"
      "Lessons: notes/file-transfer.md, notes/file-transfer-protocol.md",
      program};
  app.add_option("args", options.args, "the files, then the receiver HOST[:PORT] (default port 8008)")
      ->required()
      ->expected(-1);
  app.add_option("--exclude", options.exclude,
                 "leave out what matches this glob (repeatable): a name, or a path if it has a '/'")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--json", options.json, "one JSON object per file and a summary on stdout");
  app.add_flag("--classic", options.classic,
               "the course's protocol: name, 'ok', content, close; one file per connection, no check");
  app.add_option("--connect-timeout", options.connect_timeout, "give up connecting after this many seconds")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  app.add_option("--idle-timeout", options.idle_timeout,
                 "give up when the receiver is silent this many seconds")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  add_family_flags(app, options.family);
  add_common_flags(app, options.common);
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  if (options.args.size() < 2) return usage_error(app, "need at least one PATH and then HOST[:PORT]");
  auto peer = parse_peer(options.args.back(), 8008);
  if (!peer) {
    return usage_error(app, options.args.back() + ": " + peer.error());
  }
  options.peer = *peer;  // parsed once, here
  try {
    return run(options);
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
