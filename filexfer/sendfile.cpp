// sendfile: the course's file sender, made into a real tool. Like the course
// it takes the paths from argv, stats each file for its name and size,
// dials, writes the name, waits for the receiver's answer and streams the
// bytes; by default it also sends the size and a SHA-256 and waits for the
// receiver's verdict, so "sent" means "arrived whole". A directory is sent
// as its tree of files. --classic speaks the course's exact bytes.
// Lessons: notes/file-transfer.md, notes/file-transfer-protocol.md
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/cli.hpp"
#include "common/connect.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/trace.hpp"
#include "filexfer/connection.hpp"
#include "filexfer/protocol.hpp"
#include "filexfer/run_progress.hpp"
#include "filexfer/sha256.hpp"
#include "filexfer/sources.hpp"
#include "filexfer/steps.hpp"

namespace socklab::filexfer {
namespace {

constexpr auto program = "sendfile";
constexpr std::size_t chunk_size = 1 << 20;  // 1 MiB reads and writes: few system calls per GiB

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

int open_source(const Source& s) {
  const int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StepError("open " + s.path, std::strerror(errno));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return fd;
}

// The SHA-256 of the whole file, computed while the content goes out: the
// file is read a second time (from the page cache), on another thread, so
// hashing is not on the sending path. Fails if the file got shorter.
Sha256 hash_file(int fd, const Source& s) {
  Hasher hash;
  std::vector<char> buffer(chunk_size);
  for (std::uint64_t at = 0; at < s.size;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), s.size - at));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StepError("read " + s.path, std::strerror(errno));
    if (n == 0) throw StepError("read " + s.path, "the file got shorter while it was being sent");
    hash.update({buffer.data(), static_cast<std::size_t>(n)});
    at += static_cast<std::uint64_t>(n);
  }
  return hash.finish();
}

// What a run has done, and how it shows it: progress lines on a terminal,
// a line (or JSON object) per file, the summary at the end.
class Run {
 public:
  Run(const Options& options, const std::vector<Source>& sources)
      : options_(options),
        progress_(std::cerr, isatty(STDERR_FILENO) && !options.common.quiet, count(sources), bytes(sources)) {
  }

  void moving(const Source& s, std::uint64_t done, std::uint64_t from) {
    if (&s != current_) {
      current_ = &s;
      ++started_;
    }
    RunTotals now = totals_;
    now.files = started_ - 1;  // the line says "file N of M" for the one moving now
    now.bytes += done;
    now.moved += done - from;
    // The end of a big file is always drawn; of small ones, at most ten a second.
    progress_.update(s.name, done, s.size, now, done == s.size && s.size >= chunk_size);
  }
  // The file `s` is done: `verdict` is "good", "bad", "refused" or "skipped".
  void done(const Source& s, const std::string& verdict, const std::optional<Sha256>& digest,
            const std::string& reason, std::uint64_t resumed_from, std::uint64_t moved) {
    progress_.clear();
    if (&s != current_ && !s.directory && verdict != "good") {  // done without moving: counted here
      current_ = &s;
      ++started_;
    }
    const bool good = verdict == "good" || verdict == "skipped";
    if (good && !s.directory) ++totals_.files;
    if (verdict == "good" || verdict == "skipped") totals_.bytes += s.size;
    if (verdict == "skipped") ++totals_.skipped;
    if (!good) ++totals_.failed;
    totals_.moved += moved;
    if (options_.json) {
      Json j = {{"name", s.name}, {"verdict", verdict}};
      if (s.directory) {
        j["directory"] = true;
      } else {
        j["size"] = s.size;
        j["resumed_from"] = resumed_from;
        j["sent_bytes"] = moved;
      }
      if (digest) j["sha256"] = to_hex(*digest);
      if (!reason.empty()) j["reason"] = reason;
      std::cout << json_text(j) << std::endl;
    } else if (verdict == "good" && s.directory) {
      std::cout << "sent " << s.name << "/ (empty directory)" << std::endl;
    } else if (verdict == "good") {
      std::cout << "sent " << s.name << " " << s.size << " sha256=" << to_hex(*digest)
                << (options_.classic ? " (classic: the receiver cannot verify it)" : "") << std::endl;
    } else if (verdict == "skipped") {
      std::cout << "skipped " << s.name << " " << s.size << " sha256=" << to_hex(*digest)
                << " (the receiver has it: same size and SHA-256)" << std::endl;
    }
    if (!good) std::cerr << program << ": " << s.name << ": " << reason << std::endl;
  }
  // The summary: on a terminal, and as the last JSON object.
  void finish() {
    progress_.clear();
    const double seconds = progress_.seconds();
    if (options_.json) {
      const Json j = {{"summary",
                       {{"files", totals_.files},
                        {"bytes", totals_.bytes},
                        {"sent_bytes", totals_.moved},
                        {"skipped", totals_.skipped},
                        {"failed", totals_.failed},
                        {"seconds", seconds}}}};
      std::cout << json_text(j) << std::endl;
    }
    if (isatty(STDERR_FILENO) && !options_.common.quiet)
      std::cerr << program << ": " << RunProgress::summary(totals_, seconds) << std::endl;
  }
  std::uint64_t failed() const { return totals_.failed; }

  static std::uint64_t count(const std::vector<Source>& sources) {
    return static_cast<std::uint64_t>(
        std::count_if(sources.begin(), sources.end(), [](auto& s) { return !s.directory; }));
  }
  static std::uint64_t bytes(const std::vector<Source>& sources) {
    std::uint64_t n = 0;
    for (const auto& s : sources) n += s.size;
    return n;
  }

 private:
  const Options& options_;
  RunProgress progress_;
  RunTotals totals_;
  const Source* current_ = nullptr;
  std::uint64_t started_ = 0;  // files whose content has begun to move
};

// [6] the content from `from` to the end, and the hash of all of it.
// sendfile(2) moves the bytes from the page cache to the socket inside the
// kernel; the hash is computed at the same time on a second thread.
Sha256 send_content(Connection& conn, const Source& s, std::uint64_t from, Run& run) {
  const int fd = open_source(s);
  // A small file is hashed afterwards on this thread: starting a thread costs more.
  const auto policy = s.size > chunk_size ? std::launch::async : std::launch::deferred;
  auto hashing = std::async(policy, [fd, &s] { return hash_file(fd, s); });
  try {
    conn.send_file(fd, from, s.size - from, "write " + s.name,
                   [&](std::uint64_t sent) { run.moving(s, from + sent, from); });
  } catch (...) {
    hashing.wait();
    ::close(fd);
    throw;
  }
  try {
    const Sha256 digest = hashing.get();
    ::close(fd);
    return digest;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

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

// A file sent whole, waiting for the receiver's verdict.
struct Waiting {
  const Source* source;
  Sha256 digest;
  std::uint64_t from;
};

// The verified protocol: every file over one connection. Files are
// pipelined: up to 32 headers go out before their answers are read, and the
// next group without waiting for the last verdicts, so the receiver can put
// many small files on disk with one flush. Verdicts come back in file order.
void send_verified(const std::vector<Source>& files, const Options& options, const Tracer& tracer, Run& run) {
  std::string peer;
  Connection conn(dial(options, peer, tracer), options.idle_timeout);
  conn.write_all(encode(Hello{protocol_version, Run::count(files), Run::bytes(files)}), "write hello");
  std::deque<Waiting> waiting;
  // [7] a verdict: the oldest waiting file is on the receiver's disk, or not.
  const auto take_verdict = [&](const Verdict& verdict) {
    if (waiting.empty()) throw BadMessage("read verdict", "a verdict for no file");
    const Waiting w = waiting.front();
    waiting.pop_front();
    tracer.step(7, "read verdict", w.source->name + (verdict.good ? " good" : " bad: " + verdict.reason),
                calls::read);
    run.done(*w.source, verdict.good ? "good" : "bad", w.digest,
             verdict.good ? "" : peer + " says: " + verdict.reason, w.from, w.source->size - w.from);
  };
  // [5] the answer to a header; verdicts of earlier files may come first.
  const auto read_answer = [&] {
    for (;;) {
      auto message = conn.read_message(decode_answer_or_verdict, "read answer");
      if (auto* verdict = std::get_if<Verdict>(&message)) {
        take_verdict(*verdict);
        continue;
      }
      return std::get<Answer>(message);
    }
  };
  // [4] the files' names (and sizes), a group at a time in one write;
  // [5] the answers, in order; [6] the accepted files' bytes, in order.
  // One round trip per group, not per file: over a link with a 50 ms round
  // trip, 10,000 small files would otherwise take over 8 minutes of waiting.
  for (std::size_t first = 0; first < files.size(); first += max_group) {
    const std::span<const Source> group(files.data() + first, std::min(max_group, files.size() - first));
    std::string offers = encode(Group{group.size()});
    for (const Source& s : group)
      offers += s.directory ? encode(Directory{s.name}) : encode(FileHeader{s.name, s.size});
    conn.write_all(offers, "write header");
    for (const Source& s : group) {
      tracer.step(4, "write name",
                  s.directory ? s.name + "/ (an empty directory)" : s.name + ", " + bytes_text(s.size),
                  calls::write);
    }
    std::vector<std::pair<const Source*, std::uint64_t>> accepted;  // and the offset to send from
    for (const Source& s : group) {
      const Answer answer = read_answer();
      if (s.directory) {
        run.done(s, answer.accepted ? "good" : "refused", std::nullopt,
                 answer.accepted ? "" : "refused by " + peer + ": " + answer.reason, 0, 0);
        continue;
      }
      if (answer.have) {
        // The receiver has a file of this size there: the same one if the hashes agree.
        const int fd = open_source(s);
        const Sha256 mine = hash_file(fd, s);
        ::close(fd);
        tracer.step(5, "read answer", "the receiver has it, sha256=" + to_hex(*answer.have), calls::read);
        if (mine == *answer.have) {
          run.done(s, "skipped", mine, "", 0, 0);
        } else {
          run.done(
              s, "refused", mine,
              "refused by " + peer + ": exists: " + s.name + " is already there (--overwrite replaces it)", 0,
              0);
        }
        continue;
      }
      if (!answer.accepted) {
        tracer.step(5, "read answer", "refused: " + answer.reason, calls::read);
        run.done(s, "refused", std::nullopt, "refused by " + peer + ": " + answer.reason, 0, 0);
        continue;
      }
      if (answer.offset > s.size)
        throw StepError("read answer", "the receiver asked to resume beyond the end");
      tracer.step(
          5, "read answer",
          answer.offset ? "accepted, resume from byte " + std::to_string(answer.offset) : "accepted (ok)",
          calls::read);
      accepted.emplace_back(&s, answer.offset);
    }
    for (const auto& [source, from] : accepted) {
      const Source& s = *source;
      // [6] the content: the part the receiver lacks, hashing the whole file.
      Sha256 digest;
      try {
        digest = send_content(conn, s, from, run);
      } catch (const StepError&) {
        // A receiver that gives up mid-file (its disk is full) sends the
        // verdicts it owes, then this file's: show that reason rather than
        // "connection reset".
        try {
          for (;;) {
            const Verdict early = conn.read_message(decode_verdict, "read verdict");
            if (!waiting.empty()) {
              take_verdict(early);
              continue;
            }
            throw StepError("write " + s.name, peer + " says: " + early.reason);
          }
        } catch (const BadMessage&) {
        } catch (const StepError& again) {
          if (again.reason().find(" says: ") != std::string::npos) throw;
        }
        throw;
      }
      tracer.step(6, "write loop", bytes_text(s.size - from) + " of " + s.name, file_calls::copy_out);
      conn.write_all(encode(Trailer{digest}), "write trailer");
      waiting.push_back({&s, digest, from});
    }
  }
  // END makes the receiver commit what it holds; then the last verdicts.
  conn.write_all(encode(End{}), "write end");
  while (!waiting.empty()) take_verdict(conn.read_message(decode_verdict, "read verdict"));
  conn.shutdown_write();
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
      run.done(s, "refused", std::nullopt,
               peer + " did not answer ok" +
                   (answer.empty() ? std::string(" (it closed the connection)") : ": " + answer),
               0, 0);
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
    run.done(s, "good", digest, "", 0, s.size);
  }
}

int run(const Options& options) {
  const Tracer tracer(options.common.trace, std::cerr);
  std::signal(SIGPIPE, SIG_IGN);  // sendfile(2) to a closed connection: EPIPE, not death
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
  Run run(options, plan.sources);
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
