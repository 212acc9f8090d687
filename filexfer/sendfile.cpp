// sendfile: the course's file sender, made into a real tool. Like the course
// it takes the paths from argv, stats each file for its bare name and size,
// dials, writes the name, waits for the receiver's answer and streams the
// bytes; by default it also sends the size and a SHA-256 and waits for the
// receiver's verdict, so "sent" means "arrived whole". --classic speaks the
// course's exact bytes. Lessons: notes/file-transfer.md, notes/file-transfer-protocol.md
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/progress.hpp"
#include "common/trace.hpp"
#include "filexfer/protocol.hpp"
#include "filexfer/steps.hpp"
#include "filexfer/stream.hpp"

namespace socklab::filexfer {
namespace {

constexpr auto program = "sendfile";
constexpr std::size_t chunk_size = 1 << 20;  // 1 MiB reads and writes: few system calls per GiB

struct Options {
  std::vector<std::string> args;  // PATH... HOST[:PORT]
  bool classic = false;
  double connect_timeout = 10;
  double idle_timeout = 60;
  Family family = Family::any;
  CommonFlags common;
};

// One file to send: what os.Stat says about it.
struct Source {
  std::string path;
  std::string name;  // the bare name, as the course's fileInfo.Name()
  std::uint64_t size = 0;
};

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// [2] os.Stat: each path must be a regular file; its bare name goes on the wire.
Source stat_source(const std::string& path, const Tracer& tracer) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw StepError("stat " + path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw StepError("stat " + path, "not a regular file");
  Source s{path, base_name(path), static_cast<std::uint64_t>(st.st_size)};
  tracer.step(2, "stat", s.path + ": name " + s.name + ", " + bytes_text(s.size), file_calls::stat);
  return s;
}

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

// [6] the content from `from` to the end, and the hash of all of it.
// sendfile(2) moves the bytes from the page cache to the socket inside the
// kernel; the hash is computed at the same time on a second thread.
Sha256 send_content(Connection& conn, const Source& s, std::uint64_t from, const Options& options) {
  const int fd = open_source(s);
  Progress progress(s.name, s.size, isatty(STDERR_FILENO) && !options.common.quiet);
  // A small file is hashed afterwards on this thread: starting a thread costs more.
  const auto policy = s.size > chunk_size ? std::launch::async : std::launch::deferred;
  auto hashing = std::async(policy, [fd, &s] { return hash_file(fd, s); });
  try {
    conn.send_file(fd, from, s.size - from, "write " + s.name,
                   [&](std::uint64_t sent) { progress.update(from + sent); });
  } catch (...) {
    hashing.wait();
    ::close(fd);
    throw;
  }
  progress.finish();
  try {
    const Sha256 digest = hashing.get();
    ::close(fd);
    return digest;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

// A file sent whole, waiting for the receiver's verdict.
struct Waiting {
  const Source* source;
  Sha256 digest;
};

// The verified protocol: every file over one connection. Files are
// pipelined: the next header goes out without waiting for the last verdict,
// so the receiver can put many small files on disk with one flush. Verdicts
// come back in file order. Returns how many files failed.
int send_verified(const std::vector<Source>& files, const Options& options, const std::string& peer_text,
                  const Tracer& tracer) {
  std::string peer;
  Connection conn(connect_tcp(peer_text, 8008, options.family, options.connect_timeout, peer),
                  options.idle_timeout);
  tracer.step(3, "dial", peer, calls::dial_tcp, story::connected);
  conn.write_all(encode(Hello{}), "write hello");
  int failed = 0;
  std::deque<Waiting> waiting;
  // [7] a verdict: the oldest waiting file is on the receiver's disk, or not.
  const auto take_verdict = [&](const Verdict& verdict) {
    if (waiting.empty()) throw BadMessage("read verdict", "a verdict for no file");
    const Waiting w = waiting.front();
    waiting.pop_front();
    tracer.step(7, "read verdict", w.source->name + (verdict.good ? " good" : " bad: " + verdict.reason),
                calls::read);
    if (!verdict.good) {
      std::cerr << program << ": " << w.source->name << ": " << peer << " says: " << verdict.reason
                << std::endl;
      ++failed;
      return;
    }
    std::cout << "sent " << w.source->name << " " << w.source->size << " sha256=" << to_hex(w.digest)
              << std::endl;
  };
  for (const Source& s : files) {
    // [4] write the name (and the size); [5] read the answer.
    conn.write_all(encode(FileHeader{s.name, s.size}), "write header");
    tracer.step(4, "write name", s.name + ", " + bytes_text(s.size), calls::write);
    Answer answer;
    for (;;) {
      auto message = conn.read_message(decode_answer_or_verdict, "read answer");
      if (auto* verdict = std::get_if<Verdict>(&message)) {
        take_verdict(*verdict);
        continue;
      }
      answer = std::get<Answer>(message);
      break;
    }
    if (!answer.accepted) {
      tracer.step(5, "read answer", "refused: " + answer.reason, calls::read);
      std::cerr << program << ": " << s.name << ": refused by " << peer << ": " << answer.reason << std::endl;
      ++failed;
      continue;
    }
    if (answer.offset > s.size) throw StepError("read answer", "the receiver asked to resume beyond the end");
    tracer.step(
        5, "read answer",
        answer.offset ? "accepted, resume from byte " + std::to_string(answer.offset) : "accepted (ok)",
        calls::read);
    // [6] the content: the part the receiver lacks, hashing the whole file.
    Sha256 digest;
    try {
      digest = send_content(conn, s, answer.offset, options);
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
    tracer.step(6, "write loop", bytes_text(s.size - answer.offset) + " of " + s.name, file_calls::copy_out);
    conn.write_all(encode(Trailer{digest}), "write trailer");
    waiting.push_back({&s, digest});
  }
  // END makes the receiver commit what it holds; then the last verdicts.
  conn.write_all(encode(End{}), "write end");
  while (!waiting.empty()) take_verdict(conn.read_message(decode_verdict, "read verdict"));
  conn.shutdown_write();
  tracer.step(8, "close", peer, calls::close, story::shutdown_write);
  return failed;
}

// The course's protocol: name, "ok", content, close; one file per connection.
int send_classic(const std::vector<Source>& files, const Options& options, const std::string& peer_text,
                 const Tracer& tracer) {
  int failed = 0;
  for (const Source& s : files) {
    std::string peer;
    Connection conn(connect_tcp(peer_text, 8008, options.family, options.connect_timeout, peer),
                    options.idle_timeout);
    tracer.step(3, "dial", peer, calls::dial_tcp, story::connected);
    conn.write_all(s.name, "write name");
    tracer.step(4, "write name", s.name, calls::write);
    char reply[256];
    const std::size_t n = conn.read_some(reply, "read ok");
    const std::string answer(reply, n);
    tracer.step(5, "read", "'" + answer + "'", calls::read);
    if (answer != "ok") {
      std::cerr << program << ": " << s.name << ": " << peer << " did not answer ok"
                << (answer.empty() ? std::string(" (it closed the connection)") : ": " + answer) << std::endl;
      ++failed;
      continue;
    }
    const Sha256 digest = send_content(conn, s, 0, options);
    tracer.step(6, "write loop", bytes_text(s.size), file_calls::copy_out);
    // Closing is the only "end of file" this protocol has: FIN, then wait
    // for the receiver's own close, so we know it read everything.
    conn.shutdown_write();
    tracer.step(7, "close", peer, calls::close_write, story::shutdown_write);
    char rest[256];
    while (conn.read_some(rest, "wait for the receiver to close") > 0) {
    }
    std::cout << "sent " << s.name << " " << s.size << " sha256=" << to_hex(digest)
              << " (classic: the receiver cannot verify it)" << std::endl;
  }
  return failed;
}

int run(const Options& options) {
  const Tracer tracer(options.common.trace, std::cerr);
  std::signal(SIGPIPE, SIG_IGN);  // sendfile(2) to a closed connection: EPIPE, not death
  const std::string peer = options.args.back();
  const std::vector<std::string> paths(options.args.begin(), options.args.end() - 1);
  tracer.step(1, "args", std::to_string(paths.size()) + " file(s) to " + peer, file_calls::args);
  std::vector<Source> files;
  for (const auto& p : paths) files.push_back(stat_source(p, tracer));
  const int failed = options.classic ? send_classic(files, options, peer, tracer)
                                     : send_verified(files, options, peer, tracer);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace socklab::filexfer

int main(int argc, char** argv) {
  using namespace socklab;
  using namespace socklab::filexfer;
  Options options;
  CLI::App app{
      "Sends files to recvfile (or to the course's receiver with --classic): sendfile PATH... HOST[:PORT].\n"
      "Each file goes with its name, size and SHA-256; sendfile exits 0 only when the receiver has\n"
      "checked every file and put it in place. Running it again after a break resumes.\n"
      "Lessons: notes/file-transfer.md, notes/file-transfer-protocol.md",
      program};
  app.add_option("args", options.args, "the files, then the receiver HOST[:PORT] (default port 8008)")
      ->required()
      ->expected(-1);
  app.add_flag("--classic", options.classic,
               "the course's protocol: name, 'ok', content, close; one file per connection, no check");
  app.add_option("--connect-timeout", options.connect_timeout, "give up connecting after this many seconds")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  app.add_option("--timeout,--idle-timeout", options.idle_timeout,
                 "give up when the receiver is silent this many seconds")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  add_family_flags(app, options.family);
  add_common_flags(app, options.common);
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  if (options.args.size() < 2) {
    std::cerr << program << ": need at least one PATH and then HOST[:PORT]" << std::endl;
    return 2;
  }
  if (auto peer = parse_peer(options.args.back(), 8008); !peer) {
    std::cerr << program << ": " << options.args.back() << ": " << peer.error() << std::endl;
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
