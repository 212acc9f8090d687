// recvfile: the course's file receiver, made safe to leave running. Like the
// course it accepts, reads the name, answers, creates the file and writes
// what arrives. Unlike it, a stranger's word is checked first: the name must
// be one plain file name, nothing is overwritten or followed through a
// symlink, and a file appears under its name only once it is complete,
// verified and on disk. Lessons: notes/file-transfer.md, notes/file-transfer-protocol.md
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "common/cli.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/progress.hpp"
#include "common/server.hpp"
#include "common/trace.hpp"
#include "filexfer/guards.hpp"
#include "filexfer/protocol.hpp"
#include "filexfer/steps.hpp"
#include "filexfer/stream.hpp"

namespace socklab::filexfer {
namespace {

constexpr auto program = "recvfile";
constexpr std::size_t chunk_size = 1 << 20;

struct Options {
  std::string listen = ":8008";
  std::string dir = ".";
  bool once = false;
  std::uint64_t max_size = 0;  // 0: no limit
  double idle_timeout = 60;
  unsigned max_transfers = 16;
  std::vector<std::string> allow_text;
  bool overwrite = false;
  Family family = Family::any;
  CommonFlags common;
};

// What every transfer shares.
struct Shared {
  const Options& options;
  int dir_fd;
  std::vector<Cidr> allow;
  Log log;
  Tracer tracer;
  std::mutex out_mutex;  // one "received" line at a time
  // The connections being served, so SIGTERM can wake their threads.
  std::mutex mutex;
  std::set<int> active;
};

// A refusal from a guard: the reason goes to the sender and to our log.
struct Refused {
  std::string reason;
};

// The part file of one transfer: created hidden, locked, renamed into place
// only when complete. Closed when destroyed, and removed first if marked so
// (while the lock is still held, so no other transfer has opened it).
class PartFile {
 public:
  PartFile(int dir_fd, std::string name) : dir_fd_(dir_fd), name_(std::move(name)) {}
  ~PartFile() {
    if (fd_ < 0) return;
    if (remove_) ::unlinkat(dir_fd_, name_.c_str(), 0);
    ::close(fd_);
  }
  // O_NOFOLLOW: a symlink planted under the part's name is never followed.
  // The lock makes a second transfer of the same file wait its turn.
  void open(bool truncate) {
    fd_ = ::openat(dir_fd_, name_.c_str(),
                   O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
    if (fd_ < 0) {
      if (errno == ELOOP) throw Refused{"name: a symlink sits where the part file goes"};
      throw StepError("create " + name_, std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
      throw Refused{"busy: the same file is being received on another connection"};
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
      throw Refused{"name: the part file is not a regular file"};
  }
  std::uint64_t size() const {
    struct stat st {};
    ::fstat(fd_, &st);
    return static_cast<std::uint64_t>(st.st_size);
  }
  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  void keep() { remove_ = false; }
  // A part that holds no byte is not worth keeping.
  void remove_if_empty() {
    if (size() == 0) remove_ = true;
  }
  void remove() { remove_ = true; }

 private:
  int dir_fd_;
  std::string name_;
  int fd_ = -1;
  bool remove_ = false;
};

void write_file(int fd, const char* data, std::size_t n, const std::string& name) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw StepError("write " + name, std::strerror(errno));
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Asks the kernel to start writing each 8 MiB to disk as soon as it is
// complete, so the disk works while the network does and the fsync at the
// end has little left to do.
void start_writeback(int fd, std::uint64_t at, std::size_t n) {
  constexpr std::uint64_t step = 8 << 20;
  const std::uint64_t end = at + n;
  if (end / step == at / step) return;
  const std::uint64_t ready = end / step * step;
  ::sync_file_range(fd, static_cast<off_t>(ready - step), step, SYNC_FILE_RANGE_WRITE);
}

// fsync the data, then rename the part to the final name (never replacing an
// existing file without --overwrite), then fsync the directory so the new
// name itself survives a crash.
void commit(Shared& shared, PartFile& part, const std::string& name) {
  if (::fsync(part.fd()) != 0) throw StepError("fsync " + name, std::strerror(errno));
  const unsigned flags = shared.options.overwrite ? 0 : RENAME_NOREPLACE;
  if (::renameat2(shared.dir_fd, part.name().c_str(), shared.dir_fd, name.c_str(), flags) != 0) {
    if (errno == EEXIST) throw Refused{"exists: " + name + " appeared while it was being received"};
    throw StepError("rename " + name, std::strerror(errno));
  }
  part.keep();  // it has its final name now
  ::fsync(shared.dir_fd);
}

std::string final_path(const Shared& shared, const std::string& name) {
  return shared.options.dir == "." ? name : shared.options.dir + "/" + name;
}

// The guards that need the directory: the final name must not exist (or be a symlink).
void check_target(const Shared& shared, const std::string& name) {
  struct stat st {};
  if (::fstatat(shared.dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) throw Refused{"exists: " + name + " is a symlink here (never followed)"};
    if (!S_ISREG(st.st_mode)) throw Refused{"exists: " + name + " is not a regular file here"};
    if (!shared.options.overwrite)
      throw Refused{"exists: " + name + " is already there (--overwrite replaces it)"};
  }
}

void announce(Shared& shared, const std::string& name, std::uint64_t size, const Sha256& digest,
              std::string_view note) {
  std::lock_guard lock(shared.out_mutex);
  std::cout << "received " << name << " " << size << " sha256=" << to_hex(digest) << " -> "
            << final_path(shared, name) << note << std::endl;
}

// A file received whole whose verdict is not sent yet: good files wait to be
// committed together, with one flush to disk for the lot.
struct Received {
  std::unique_ptr<PartFile> part;
  std::string name;
  std::uint64_t size = 0;
  Sha256 digest{};
  Verdict verdict;
};

// One verified connection: its buffer, and the files waiting for commit.
struct Session {
  Shared& shared;
  Connection& conn;
  std::string peer;
  std::vector<char> buffer;  // allocated with the first accepted file, so refused peers cost no memory
  std::vector<Received> pending;
  std::uint64_t pending_bytes = 0;
};

// Commits the waiting files, then sends their verdicts in file order. The
// data must be on disk before a file gets its name. First every file's
// write-back is started, then each is fdatasync'ed: the disk writes them
// all at once and one journal commit covers the batch, where an fsync each
// in turn costs a commit each. (syncfs would do it in one call, but it also
// waits for everything else anyone is writing to the same filesystem:
// 1.7 s behind an unrelated 2 GiB file, measured.) Then the renames, and
// one fsync of the directory makes the names durable.
void flush(Session& session) {
  Shared& shared = session.shared;
  bool synced = true;
  std::string sync_error;
  for (Received& r : session.pending) {
    if (r.verdict.good) ::sync_file_range(r.part->fd(), 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  for (Received& r : session.pending) {
    if (r.verdict.good && synced && ::fdatasync(r.part->fd()) != 0) {
      synced = false;
      sync_error = "disk: fdatasync " + r.name + ": " + std::strerror(errno);
    }
  }
  for (Received& r : session.pending) {
    if (!r.verdict.good) continue;
    if (!synced) {
      r.part->remove();
      r.verdict = {false, sync_error};
      continue;
    }
    const unsigned flags = shared.options.overwrite ? 0 : RENAME_NOREPLACE;
    if (::renameat2(shared.dir_fd, r.part->name().c_str(), shared.dir_fd, r.name.c_str(), flags) != 0) {
      r.part->remove();
      r.verdict = {false, errno == EEXIST ? "exists: " + r.name + " appeared while it was being received"
                                          : "disk: rename " + r.name + ": " + std::strerror(errno)};
      continue;
    }
    r.part->keep();  // it has its final name now
  }
  ::fsync(shared.dir_fd);
  std::vector<Received> batch = std::move(session.pending);
  session.pending.clear();
  session.pending_bytes = 0;
  for (Received& r : batch) {
    if (r.verdict.good) {
      announce(shared, r.name, r.size, r.digest, "");
    } else {
      shared.log.line("rejected " + r.name + " from " + session.peer + ": " + r.verdict.reason);
    }
  }
  for (Received& r : batch) {
    session.conn.write_all(encode(r.verdict), "write verdict");
    shared.tracer.step(8, "verdict", r.verdict.good ? r.name + " good" : r.name + " bad: " + r.verdict.reason,
                       file_calls::commit);
  }
}

// When a transfer fails, a part that holds no byte is removed; one with
// bytes stays for a resume.
struct DropEmptyOnError {
  PartFile* part = nullptr;
  ~DropEmptyOnError() {
    if (part && std::uncaught_exceptions() > 0) part->remove_if_empty();
  }
};

// One file of the verified protocol, after its header. Returns true if it
// arrived whole with the right hash (its verdict waits in session.pending).
bool receive_verified_file(Session& session, const FileHeader& h, bool over_limit) {
  Shared& shared = session.shared;
  Connection& conn = session.conn;
  const std::string& peer = session.peer;
  std::vector<char>& buffer = session.buffer;
  shared.tracer.step(4, "read name", h.name + ", " + bytes_text(h.size) + " from " + peer, calls::read);
  std::unique_ptr<PartFile> part;
  DropEmptyOnError drop_empty;
  std::uint64_t offset = 0;
  Hasher hash;
  try {
    if (over_limit) {
      throw Refused{"max-transfers: " + std::to_string(shared.options.max_transfers) +
                    " transfers already running"};
    }
    if (auto bad = check_name(h.name)) throw Refused{*bad};
    if (shared.options.max_size && h.size > shared.options.max_size) {
      throw Refused{"size: " + std::to_string(h.size) + " bytes is over --max-size " +
                    std::to_string(shared.options.max_size)};
    }
    check_target(shared, h.name);
    part = std::make_unique<PartFile>(shared.dir_fd, part_name(h.name, h.size));
    part->open(false);  // what it holds stays for a resume, unless it is empty
    drop_empty.part = part.get();
    buffer.resize(chunk_size);
    // Resume: what an earlier, broken transfer left is hashed and kept.
    offset = resume_offset(part->size(), h.size);
    if (offset != part->size() && ::ftruncate(part->fd(), 0) != 0) {
      throw StepError("truncate " + part->name(), std::strerror(errno));
    }
    // Refuse now what cannot fit, rather than fill the disk and fail later.
    struct statvfs fs {};
    if (::fstatvfs(part->fd(), &fs) == 0) {
      if (auto full = check_space(h.size - offset, std::uint64_t{fs.f_bavail} * fs.f_frsize)) {
        part->remove_if_empty();
        throw Refused{*full};
      }
    }
    for (std::uint64_t at = 0; at < offset;) {
      const ssize_t n = ::pread(part->fd(), buffer.data(),
                                std::min<std::uint64_t>(buffer.size(), offset - at), static_cast<off_t>(at));
      if (n <= 0)
        throw StepError("read " + part->name(), n < 0 ? std::strerror(errno) : "shorter than expected");
      hash.update({buffer.data(), static_cast<std::size_t>(n)});
      at += static_cast<std::uint64_t>(n);
    }
    ::lseek(part->fd(), static_cast<off_t>(offset), SEEK_SET);
  } catch (const Refused& r) {
    conn.write_all(encode(Answer{false, 0, r.reason}), "write answer");
    shared.tracer.step(5, "write answer", "refused: " + r.reason, calls::write);
    shared.log.line("refused " + (check_name(h.name) ? std::string("a file") : h.name) + " from " + peer +
                    ": " + r.reason);
    return false;
  }
  conn.write_all(encode(Answer{true, offset, {}}), "write answer");
  shared.tracer.step(5, "write answer",
                     offset ? "accept, resume from byte " + std::to_string(offset) : "accept (ok)",
                     calls::write);
  shared.tracer.step(6, "create", part->name(), file_calls::create);
  shared.log.line("receiving " + h.name + " (" + std::to_string(h.size) + " B) from " + peer +
                  (offset ? ", resuming at byte " + std::to_string(offset) : ""));

  // [7] exactly size - offset bytes. If the connection breaks, the part
  // stays for the next attempt to resume (unless it holds nothing).
  Progress progress(h.name, h.size, isatty(STDERR_FILENO) && !shared.options.common.quiet);
  for (std::uint64_t at = offset; at < h.size;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), h.size - at));
    const std::size_t n = conn.read_some({buffer.data(), want}, "read " + h.name);
    if (n == 0) {
      throw StepError("read " + h.name, "the sender closed at byte " + std::to_string(at) + " of " +
                                            std::to_string(h.size) + "; the part is kept for a resume");
    }
    try {
      write_file(part->fd(), buffer.data(), n, h.name);
    } catch (const StepError& e) {
      // The disk failed (full, quota, I/O error): nothing half-written stays,
      // and the sender hears why instead of a bare reset.
      part->remove();
      const bool full = e.reason() == std::strerror(ENOSPC) || e.reason() == std::strerror(EDQUOT);
      const std::string reason = (full ? "space: " : "disk: ") + e.step() + ": " + e.reason() + " at byte " +
                                 std::to_string(at) + "; the part was discarded";
      flush(session);  // the verdicts owed come first
      conn.write_all(encode(Verdict{false, reason}), "write verdict");
      conn.shutdown_write();
      throw StepError("write " + h.name, reason);
    }
    hash.update({buffer.data(), n});
    start_writeback(part->fd(), at, n);
    at += n;
    progress.update(at);
  }
  progress.finish();
  shared.tracer.step(7, "read loop", bytes_text(h.size - offset) + " of " + h.name, file_calls::copy_in);
  // More bytes than announced, or anything but a trailer: the sender is
  // broken or lying, and what it sent is not worth resuming.
  if (const std::string_view next = conn.peek("read trailer"); !next.empty() && next[0] != 'H')
    part->remove();
  const Trailer trailer = conn.read_message(decode_trailer, "read trailer");
  Received received{std::move(part), h.name, h.size, hash.finish(), {true, {}}};
  if (received.digest != trailer.sha256) {
    received.part->remove();
    received.verdict = {
        false, "sha256: the bytes received hash to " + to_hex(received.digest) + ", the sender's file to " +
                   to_hex(trailer.sha256) +
                   (offset ? " (the resumed part did not match: discarded, send again)" : " (discarded)")};
  }
  const bool good = received.verdict.good;
  session.pending_bytes += h.size - offset;
  session.pending.push_back(std::move(received));
  return good;
}

// The header guard: a hello or header the protocol does not allow (a name
// length over 255, an unknown message) is refused with the reason, then the
// connection closes: after a bad header nothing says where the next begins.
template <class Decode>
auto read_header(Shared& shared, Connection& conn, Decode decode, const std::string& peer) {
  try {
    return conn.read_message(decode, "read header");
  } catch (const BadMessage& e) {
    const std::string reason = e.reason().starts_with("header: ") ? e.reason() : "header: " + e.reason();
    conn.write_all(encode(Answer{false, 0, reason}), "write answer");
    shared.log.line("refused a file from " + peer + ": " + reason);
    throw;
  }
}

// At most this much waits for one flush (so a verdict is never far away).
constexpr std::size_t max_pending_files = 128;
constexpr std::uint64_t max_pending_bytes = 64 << 20;

bool receive_verified(Shared& shared, Connection& conn, const std::string& peer, bool over_limit,
                      bool allowed_peer) {
  Session session{shared, conn, peer, {}, {}, 0};
  bool all_good = true;
  try {
    read_header(shared, conn, decode_hello, peer);
    for (;;) {
      // Commit now when the sender waits for verdicts (nothing more has
      // arrived) or enough is waiting; otherwise receive the next file first.
      if (!session.pending.empty() && (!conn.readable() || session.pending.size() >= max_pending_files ||
                                       session.pending_bytes >= max_pending_bytes)) {
        flush(session);
      }
      auto next = read_header(shared, conn, decode_file_or_end, peer);
      if (std::holds_alternative<End>(next)) break;
      const FileHeader& h = std::get<FileHeader>(next);
      if (!allowed_peer) {
        const std::string reason = "allow: " + peer + " is not in --allow";
        conn.write_all(encode(Answer{false, 0, reason}), "write answer");
        shared.log.line("refused a file from " + peer + ": " + reason);
        return false;
      }
      all_good &= receive_verified_file(session, h, over_limit);
    }
    flush(session);
  } catch (...) {
    // The connection broke: the files that arrived whole are still put in
    // place (their verdicts may not reach the sender; a rerun says "exists").
    try {
      flush(session);
    } catch (...) {
    }
    throw;
  }
  return all_good;
}

// The course's protocol: the first read is the name; "ok"; then the content
// until the sender closes. No size and no checksum: a cut connection looks
// exactly like the end of the file, so the result is marked unverified.
bool receive_classic(Shared& shared, Connection& conn, const std::string& peer, bool over_limit,
                     bool allowed_peer) {
  char first[1024];
  const std::size_t n = conn.read_some(first, "read name");
  const std::string name(first, n);
  shared.tracer.step(4, "read name", "'" + name + "' from " + peer + " (classic protocol)", calls::read);
  std::unique_ptr<PartFile> part;
  try {
    if (!allowed_peer) throw Refused{"allow: " + peer + " is not in --allow"};
    if (over_limit) {
      throw Refused{"max-transfers: " + std::to_string(shared.options.max_transfers) +
                    " transfers already running"};
    }
    if (auto bad = check_name(name)) throw Refused{*bad};
    check_target(shared, name);
    part = std::make_unique<PartFile>(shared.dir_fd, "." + name + ".classic.part");
    part->open(true);
    part->remove();  // until it is committed: a classic file cut short is not kept
  } catch (const Refused& r) {
    conn.write_all("refused: " + r.reason, "write answer");
    shared.log.line("refused " + (check_name(name) ? std::string("a file") : name) + " from " + peer +
                    " (classic): " + r.reason);
    if (part) part->keep();
    return false;
  }
  conn.write_all("ok", "write ok");
  shared.tracer.step(5, "write", "ok", calls::write);
  shared.tracer.step(6, "create", part->name(), file_calls::create);
  Hasher hash;
  std::uint64_t size = 0;
  std::vector<char> buffer(chunk_size);
  for (;;) {
    const std::size_t got = conn.read_some(buffer, "read " + name);
    if (got == 0) break;  // the sender closed: in this protocol, that is the end of the file
    size += got;
    if (shared.options.max_size && size > shared.options.max_size) {
      shared.log.line("refused " + name + " from " + peer + " (classic): size: more than --max-size " +
                      std::to_string(shared.options.max_size) + " bytes; the part was discarded");
      return false;
    }
    write_file(part->fd(), buffer.data(), got, name);
    hash.update({buffer.data(), got});
  }
  shared.tracer.step(7, "read loop", bytes_text(size) + ", then read returned 0: the sender closed",
                     file_calls::copy_in, story::peer_fin);
  try {
    commit(shared, *part, name);
  } catch (const Refused& r) {
    shared.log.line("rejected " + name + " from " + peer + " (classic): " + r.reason);
    return false;
  }
  announce(shared, name, size, hash.finish(), " (classic: unverified, no size or checksum was sent)");
  return true;
}

// One connection, start to end; its failures stay here.
bool serve(Shared& shared, int fd, const std::string& peer, bool over_limit, bool allowed_peer) {
  Connection conn(fd, shared.options.idle_timeout);
  bool ok = false;
  try {
    const std::string_view first = conn.peek("read");
    if (first.empty()) {
      shared.log.line("close " + peer + " (sent nothing)");
      return false;
    }
    ok = first[0] == '\0' ? receive_verified(shared, conn, peer, over_limit, allowed_peer)
                          : receive_classic(shared, conn, peer, over_limit, allowed_peer);
  } catch (const std::exception& e) {
    const auto* step = dynamic_cast<const StepError*>(&e);
    shared.log.line("failed " + peer + ": " + (step ? step->step() + ": " + step->reason() : e.what()));
  }
  shared.tracer.step(9, "close", peer, calls::close);
  return ok;
}

// The thread serving one connection; `done` is set when it has finished.
struct Worker {
  std::thread thread;
  std::shared_ptr<std::atomic<bool>> done;
};

// Joins the threads that have finished, so their stacks are freed.
void reap(std::vector<Worker>& workers) {
  std::erase_if(workers, [](Worker& w) {
    if (!w.done->load()) return false;
    w.thread.join();
    return true;
  });
}

// SIGINT/SIGTERM wake the accept loop through this pipe.
int stop_pipe[2] = {-1, -1};
void on_signal(int) {
  const char c = 1;
  [[maybe_unused]] ssize_t ignored = ::write(stop_pipe[1], &c, 1);
}

// Connections beyond --max-transfers that may wait for their refusal.
constexpr std::size_t max_waiting_connections = 512;

int run(const Options& options) {
  const int dir_fd = ::open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) throw StepError("open --dir " + options.dir, std::strerror(errno));
  Shared shared{options, dir_fd, {}, Log(options.common.quiet), Tracer(options.common.trace, std::cerr),
                {},      {},     {}};
  for (const auto& text : options.allow_text) shared.allow.push_back(*parse_cidr(text));

  // [1] resolve, [2] listen.
  asio::io_context io;
  const HostPort where = *parse_listen(options.listen, 8008);
  auto address = resolve_listen_address(io, where, options.family);
  if (!address) throw StepError("resolve " + options.listen, address.error());
  asio::ip::tcp::acceptor acceptor(io);
  const asio::ip::tcp::endpoint local(*address, where.port);
  std::error_code ec;
  acceptor.open(local.protocol(), ec);
  check(ec, "socket");
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(local, ec);
  check(ec, "bind " + to_string(local));
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  check(ec, "listen " + to_string(local));
  const std::string bound = to_string(acceptor.local_endpoint());
  shared.tracer.step(2, "listen", bound, calls::listen_tcp);
  announce_listening(bound);
  shared.log.line("receiving into " + options.dir + (options.once ? " (one connection)" : ""));

  if (::pipe2(stop_pipe, O_CLOEXEC) != 0) throw StepError("pipe", std::strerror(errno));
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  raise_open_file_limit();  // a descriptor per connection, two per transfer

  int status = 0;
  std::vector<Worker> workers;
  const int listener = acceptor.native_handle();
  for (;;) {
    pollfd p[2] = {{listener, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw StepError("poll", std::strerror(errno));
    }
    if (p[1].revents) break;  // SIGINT/SIGTERM
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors (EMFILE): the listener stays readable, so pause
      // rather than spin until a transfer ends. A peer gone already: go on.
      if (errno == EMFILE || errno == ENFILE) ::poll(&p[1], 1, 50);
      continue;
    }
    asio::ip::tcp::endpoint peer_ep;
    std::memcpy(peer_ep.data(), &from, std::min<std::size_t>(len, peer_ep.capacity()));
    peer_ep.resize(len);
    const std::string peer = to_string(peer_ep);
    const bool allowed_peer = allowed(shared.allow, peer_ep.address());
    shared.tracer.step(3, "accept", peer, calls::accept, story::accepted);
    shared.log.line("open " + peer);
    if (options.once) {
      status = serve(shared, fd, peer, false, allowed_peer) ? 0 : 1;
      break;
    }
    bool over_limit;
    bool flood;
    {
      std::lock_guard lock(shared.mutex);
      over_limit = shared.active.size() >= options.max_transfers;
      // Connections over the limit still get a thread to hear which guard
      // refused them, but only so many: a flood is closed at once.
      flood = shared.active.size() >= options.max_transfers + max_waiting_connections;
      if (!flood) shared.active.insert(fd);
    }
    if (flood) {
      ::close(fd);
      shared.log.line("close " + peer + " (max-transfers: more than " +
                      std::to_string(options.max_transfers + max_waiting_connections) + " connections)");
      continue;
    }
    reap(workers);
    auto done = std::make_shared<std::atomic<bool>>(false);
    try {
      workers.push_back({std::thread([&shared, fd, peer, over_limit, allowed_peer, done] {
                           serve(shared, fd, peer, over_limit, allowed_peer);
                           std::lock_guard lock(shared.mutex);
                           shared.active.erase(fd);
                           done->store(true);
                         }),
                         done});
    } catch (const std::system_error& e) {  // no thread to be had: this peer waits for nobody
      {
        std::lock_guard lock(shared.mutex);
        shared.active.erase(fd);
      }
      ::close(fd);
      shared.log.line("close " + peer + " (no thread: " + e.what() + ")");
    }
  }
  // Stopping: wake every transfer (a shutdown ends its blocking waits) and
  // wait for them. A transfer cut here leaves only its hidden part file.
  acceptor.close(ec);
  {
    std::lock_guard lock(shared.mutex);
    for (int fd : shared.active) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& w : workers) w.thread.join();
  shared.log.line("stopped");
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
      "Receives files from sendfile (or from the course's sender) into a directory, safely: only\n"
      "plain file names, nothing overwritten or followed through a symlink, and a file appears\n"
      "under its name only when complete, verified and on disk. Prints one line per file.\n"
      "Lessons: notes/file-transfer.md, notes/file-transfer-protocol.md",
      program};
  add_listen_option(app, options.listen);
  app.add_option("--dir", options.dir, "directory to write into")->capture_default_str();
  app.add_flag("--once", options.once, "exit after one connection (like the course's receiver)");
  app.add_option("--max-size", options.max_size, "refuse files larger than this many bytes (0: no limit)")
      ->capture_default_str();
  app.add_option("--idle-timeout", options.idle_timeout, "drop a sender silent for this many seconds")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  app.add_option("--max-transfers", options.max_transfers, "connections served at once; more are refused")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--allow", options.allow_text,
                 "accept only senders in this CIDR (repeatable), e.g. 10.0.0.0/8")
      ->check([](const std::string& text) {
        auto c = parse_cidr(text);
        return c ? std::string() : "--allow " + text + ": " + c.error();
      });
  app.add_flag("--overwrite", options.overwrite, "replace a file that already exists");
  add_family_flags(app, options.family);
  add_common_flags(app, options.common);
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  try {
    return run(options);
  } catch (const std::exception& e) {
    return report_failure(program, e);
  }
}
