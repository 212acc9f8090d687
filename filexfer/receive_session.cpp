#include "filexfer/receive_session.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "filexfer/beneath.hpp"
#include "filexfer/connection.hpp"
#include "filexfer/guards.hpp"
#include "filexfer/part_file.hpp"
#include "filexfer/sha256.hpp"
#include "filexfer/steps.hpp"

namespace socklab::filexfer {

// A refusal from a guard: the reason goes to the sender and to the log.
struct Refused {
  std::string reason;
};

// One verified connection: its socket, buffer, directories, and the files
// received whole whose verdicts wait for one flush to disk together.
struct Session {
  Session(Receiver& r, int fd, std::string from)
      : receiver(r), conn(fd, r.options().idle_timeout), peer(std::move(from)), beneath(r.dir_fd()) {}
  Receiver& receiver;
  Connection conn;
  std::string peer;
  Beneath beneath;
  std::atomic<bool> taken_over{false};  // a newer transfer of one of its files took over
  IoBuffer buffer{};  // allocated with the first accepted file: refused peers cost no memory
  std::unique_ptr<PartWriter> writer{};  // started with the first big file
  Hello hello{};
  ConnectionReport totals{};
  struct Received;
  std::vector<std::unique_ptr<Received>> pending{};
  std::uint64_t pending_bytes = 0;
  std::uint64_t promised = 0;  // bytes accepted in this group whose content has not come yet
};

namespace {

constexpr std::size_t chunk_size = 1 << 20;
// A file at least this big is written with O_DIRECT (PartFile::append) on
// the PartWriter's thread, in buffers of write_size; a smaller one through
// the page cache on the connection's thread, where many are flushed together.
constexpr std::uint64_t direct_from = 8 << 20;
constexpr std::size_t write_buffers = 4;
constexpr std::size_t write_size = 2 << 20;
// A sender silent this long has its bytes so far written at once.
constexpr int pause_ms = 100;
// At most this much waits for one flush (so a verdict is never far away).
constexpr std::size_t max_pending_files = 128;
constexpr std::uint64_t max_pending_bytes = 64 << 20;

// Holds the right to write one part file; given back when destroyed.
class Claim {
 public:
  Claim() = default;
  Claim(Receiver* receiver, std::string key) : receiver_(receiver), key_(std::move(key)) {}
  Claim(Claim&& o) noexcept : receiver_(std::exchange(o.receiver_, nullptr)), key_(std::move(o.key_)) {}
  Claim& operator=(Claim&& o) noexcept {
    if (this != &o) {
      if (receiver_) receiver_->release(key_);
      receiver_ = std::exchange(o.receiver_, nullptr);
      key_ = std::move(o.key_);
    }
    return *this;
  }
  ~Claim() {
    if (receiver_) receiver_->release(key_);
  }

 private:
  Receiver* receiver_ = nullptr;
  std::string key_;
};

std::string join(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : std::string(dir) + "/" + std::string(name);
}

}  // namespace

// A file received whole, waiting for its commit and verdict. The claim is
// declared first so that it is given back after the part is closed.
struct Session::Received {
  Claim claim;
  std::unique_ptr<PartFile> part;
  std::string path;
  std::string leaf;
  std::uint64_t size = 0;
  std::uint64_t resumed_from = 0;
  Hasher hash;  // from byte 0: a resumed part's bytes are hashed before the rest arrives
  Sha256 digest{};
  Verdict verdict;
};

namespace {

void log_refusal(Session& s, const std::string& path, const std::string& reason, bool classic = false) {
  FileReport r;
  r.kind = FileReport::Kind::refused;
  r.peer = s.peer;
  // A name that fails its guard is not printed: it may hold a terminal's controls.
  r.path = (classic ? check_name(path) : check_path(path)) ? std::string() : path;
  r.reason = reason;
  r.classic = classic;
  s.receiver.reporter().file(r);
}

// Commits the waiting files, then sends their verdicts in file order. The
// data must be on disk before a file gets its name. First every file's
// write-back is started, then each is fdatasync'ed: the disk writes them
// all at once and one journal commit covers the batch, where an fsync each
// in turn costs a commit each. (syncfs would do it in one call, but it also
// waits for everything else anyone is writing to the same filesystem:
// 1.7 s behind an unrelated 2 GiB file, measured.) Then the renames, and
// one fsync of each directory makes the names durable.
void flush(Session& s) {
  const bool overwrite = s.receiver.options().overwrite;
  bool synced = true;
  std::string sync_error;
  for (auto& r : s.pending) {
    if (r->verdict.good) r->part->start_sync();
  }
  for (auto& r : s.pending) {
    if (r->verdict.good && synced && !r->part->sync_data()) {
      synced = false;
      sync_error = "disk: fdatasync " + r->path + ": " + std::strerror(errno);
    }
  }
  std::map<std::string, int> directories;  // each directory that gained a name, once
  for (auto& r : s.pending) {
    if (!r->verdict.good) continue;
    if (!synced) {
      r->part->remove();
      r->verdict = {false, sync_error};
      continue;
    }
    if (auto refused = r->part->rename_into_place(r->leaf, overwrite)) {
      r->verdict = {false, *refused};
      continue;
    }
    directories.emplace(split_path(r->path).first, r->part->dir_fd());
  }
  for (auto& [dir, fd] : directories) ::fsync(fd);
  s.beneath.sync_changed();
  auto batch = std::move(s.pending);
  s.pending.clear();
  s.pending_bytes = 0;
  for (auto& r : batch) {
    FileReport report{r->verdict.good ? FileReport::Kind::received : FileReport::Kind::rejected,
                      s.peer,
                      r->path,
                      r->size,
                      r->digest,
                      r->verdict.reason,
                      r->resumed_from,
                      false};
    s.receiver.reporter().file(report);
    ++(r->verdict.good ? s.totals.files : s.totals.failed);
  }
  for (auto& r : batch) {
    s.conn.write_all(encode(r->verdict), "write verdict");
    s.receiver.tracer().step(8, "verdict",
                             r->verdict.good ? r->path + " good" : r->path + " bad: " + r->verdict.reason,
                             file_calls::commit);
  }
}

// The SHA-256 of the first `size` bytes of `fd`, read into `buffer`.
Sha256 hash_existing(int fd, std::uint64_t size, std::span<char> buffer, const std::string& name,
                     const std::atomic<bool>& stop) {
  Hasher hash;
  for (std::uint64_t at = 0; at < size;) {
    if (stop) throw StepError("read " + name, "a newer transfer of the same file took over");
    const ssize_t n =
        ::pread(fd, buffer.data(), std::min<std::uint64_t>(buffer.size(), size - at), static_cast<off_t>(at));
    if (n <= 0) throw StepError("read " + name, n < 0 ? std::strerror(errno) : "shorter than expected");
    hash.update({buffer.data(), static_cast<std::size_t>(n)});
    at += static_cast<std::uint64_t>(n);
  }
  return hash.finish();
}

// What is at the final name already. Nothing: go on. The same size, without
// --overwrite: its hash, so the sender can see whether this is its file.
std::optional<Sha256> check_target(Session& s, int dir_fd, const std::string& leaf, const std::string& path,
                                   std::uint64_t size) {
  struct stat st {};
  if (::fstatat(dir_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  if (S_ISLNK(st.st_mode)) throw Refused{"exists: " + path + " is a symlink here (never followed)"};
  if (S_ISDIR(st.st_mode)) throw Refused{"clash: " + path + " is a directory here"};
  if (!S_ISREG(st.st_mode)) throw Refused{"exists: " + path + " is not a regular file here"};
  if (s.receiver.options().overwrite) return std::nullopt;
  if (static_cast<std::uint64_t>(st.st_size) != size)
    throw Refused{"exists: " + path + " is already there (--overwrite replaces it)"};
  const int fd = ::openat(dir_fd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw StepError("open " + path, std::strerror(errno));
  s.buffer.allocate(chunk_size);
  try {
    const Sha256 digest = hash_existing(fd, size, s.buffer.span(), path, s.taken_over);
    ::close(fd);
    return digest;
  } catch (...) {
    ::close(fd);
    throw;
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

// However a transfer ends, no write to its part is still under way when
// the part closes.
struct WritesDone {
  PartWriter* writer = nullptr;
  void wait() const noexcept {
    try {
      writer->finish();
    } catch (...) {  // the failure that ends the transfer is already on its way
    }
  }
  ~WritesDone() {
    if (writer) wait();
  }
};

void refuse(Session& s, const std::string& path, const std::string& reason) {
  s.conn.write_all(encode(Answer{false, 0, reason}), "write answer");
  s.receiver.tracer().step(5, "write answer", "refused: " + reason, calls::write);
  log_refusal(s, path, reason);
  ++s.totals.failed;
}

// An empty directory: made beneath --dir, or refused.
void receive_directory(Session& s, const Directory& d, bool over_limit) {
  try {
    if (over_limit) {
      throw Refused{"max-transfers: " + std::to_string(s.receiver.options().max_transfers) +
                    " transfers already running"};
    }
    if (auto bad = check_path(d.path)) throw Refused{*bad};
    if (auto dir = s.beneath.directory(d.path, true); !dir) throw Refused{dir.error()};
  } catch (const Refused& r) {
    refuse(s, d.path, r.reason);
    return;
  }
  s.conn.write_all(encode(Answer{true, 0, {}}), "write answer");
  FileReport report;
  report.kind = FileReport::Kind::directory;
  report.peer = s.peer;
  report.path = d.path;
  s.receiver.reporter().file(report);
}

// [7] the file's bytes from r.resumed_from to its end into r.part, hashed
// into `hash`. They gather in a buffer, written when it is full: a big
// file's whole blocks at block-aligned offsets go straight from the buffer
// to the disk, on the writer's thread, while this one receives into the
// next buffer. Each piece is hashed as it arrives, while it is still in the
// CPU's cache. If the connection breaks, what arrived is written and the
// part stays for the next attempt to resume (unless it holds nothing).
void receive_content(Session& s, const FileHeader& h, Session::Received& r, Hasher& hash) {
  PartWriter* writer = nullptr;
  if (h.size >= direct_from) {
    if (!s.writer) s.writer = std::make_unique<PartWriter>(write_buffers, write_size);
    writer = s.writer.get();
  }
  const WritesDone writes_done{writer};
  std::uint64_t written = r.resumed_from;
  std::size_t filled = 0;
  // The disk failed (full, quota, I/O error): nothing half-written stays,
  // and the sender hears why instead of a bare reset.
  const auto disk_failed = [&](const StepError& e) {
    if (writer) writes_done.wait();
    r.part->remove();
    const bool full = e.reason() == std::strerror(ENOSPC) || e.reason() == std::strerror(EDQUOT);
    const std::string reason = std::string(full ? "space: " : "disk: ") + "write " + h.name + ": " +
                               e.reason() + " at byte " + std::to_string(r.part->appended()) +
                               "; the part was discarded";
    flush(s);  // the verdicts owed come first
    s.conn.write_all(encode(Verdict{false, reason}), "write verdict");
    s.conn.shutdown_write();
    throw StepError("write " + h.name, reason);
  };
  std::span<char> buffer;
  const auto write_out = [&] {
    if (filled == 0) return;
    try {
      if (writer) {
        writer->write(*r.part, filled);
        buffer = writer->next();
      } else {
        r.part->append(buffer.first(filled));
      }
    } catch (const StepError& e) {
      disk_failed(e);
    }
    written += filled;
    filled = 0;
  };
  try {
    buffer = writer ? writer->next() : s.buffer.span();
  } catch (const StepError& e) {
    disk_failed(e);
  }
  while (written < h.size) {
    // The buffer's end in the file: a multiple of the block size (after a
    // resume at an odd byte the first fill is shorter), or the file's end.
    const std::uint64_t end =
        std::min(h.size, (written + buffer.size()) / direct_alignment * direct_alignment);
    std::size_t n = 0;
    try {
      // A sender that pauses: what it sent goes to the part now, so that a
      // resume finds it there even if this receiver is stopped meanwhile.
      if (filled > 0 && !s.conn.readable(pause_ms)) write_out();
      n = s.conn.read_some(buffer.subspan(filled, static_cast<std::size_t>(end - written) - filled),
                           "read " + h.name);
    } catch (const StepError&) {
      write_out();
      throw;
    }
    const std::uint64_t at = written + filled + n;
    if (s.taken_over || n == 0) {
      filled += n;
      write_out();
      if (n == 0) {
        throw StepError("read " + h.name, "the sender closed at byte " + std::to_string(at) + " of " +
                                              std::to_string(h.size) + "; the part is kept for a resume");
      }
      throw StepError("read " + h.name, "a newer transfer of the same file took over at byte " +
                                            std::to_string(at) + "; it resumes from the part");
    }
    hash.update(buffer.subspan(filled, n));
    filled += n;
    if (at == end) write_out();
    s.receiver.reporter().progress(s.peer, h.name, at, h.size, s.hello, s.totals.files + s.pending.size(),
                                   s.totals.bytes + s.pending_bytes + at);
  }
  if (writer) {
    try {
      writer->finish();
    } catch (const StepError& e) {
      disk_failed(e);
    }
  }
}

// The files of one group that were accepted and wait for their bytes. If
// the connection breaks first, a part that holds nothing is removed (one
// with bytes from an earlier attempt stays for a resume).
struct Offered {
  std::vector<std::unique_ptr<Session::Received>> files;
  ~Offered() {
    for (auto& r : files) {
      if (r && r->part) r->part->remove_if_empty();
    }
  }
};

// [4]-[5] One FILE header: the guards, then the answer. An accepted file
// joins `offered` with its part open (a resumed part's bytes already
// hashed); its bytes come later, in the order of the answers. Returns false
// if it was refused.
bool offer_file(Session& s, const FileHeader& h, bool over_limit, Offered& offered) {
  const ReceiveOptions& options = s.receiver.options();
  const Tracer& tracer = s.receiver.tracer();
  tracer.step(4, "read name", h.name + ", " + bytes_text(h.size) + " from " + s.peer, calls::read);
  auto r = std::make_unique<Session::Received>();
  r->path = h.name;
  r->size = h.size;
  DropEmptyOnError drop_empty;
  std::optional<Sha256> have;
  try {
    if (over_limit) {
      throw Refused{"max-transfers: " + std::to_string(options.max_transfers) + " transfers already running"};
    }
    if (auto bad = check_path(h.name)) throw Refused{*bad};
    if (options.max_size && h.size > options.max_size) {
      throw Refused{"size: " + std::to_string(h.size) + " bytes is over --max-size " +
                    std::to_string(options.max_size)};
    }
    const auto [dir, leaf] = split_path(h.name);
    r->leaf = leaf;
    const auto dir_fd = s.beneath.directory(dir, true);
    if (!dir_fd) throw Refused{dir_fd.error()};
    // Claim the part before looking at the final name: an older transfer of
    // the same file may be about to commit it.
    const std::string part = part_name(leaf, h.size);
    if (auto busy = s.receiver.claim(join(dir, part), s)) throw Refused{*busy};
    r->claim = Claim(&s.receiver, join(dir, part));
    have = check_target(s, *dir_fd, r->leaf, h.name, h.size);
    if (!have) {
      r->part = std::make_unique<PartFile>(*dir_fd, part);
      if (auto refused = r->part->open(false, h.size >= direct_from))
        throw Refused{*refused};  // what it holds stays for a resume
      drop_empty.part = r->part.get();
      s.buffer.allocate(chunk_size);
      // Resume: what an earlier, broken transfer left is hashed and kept.
      r->resumed_from = resume_offset(r->part->size(), h.size);
      r->part->truncate_to(r->resumed_from);
      // Refuse now what cannot fit, counting what this group has already
      // been promised, rather than fill the disk and fail later.
      struct statvfs fs {};
      if (::fstatvfs(r->part->fd(), &fs) == 0) {
        if (auto full = check_space(h.size - r->resumed_from + s.promised,
                                    std::uint64_t{fs.f_bavail} * fs.f_frsize)) {
          r->part->remove_if_empty();
          throw Refused{*full};
        }
      }
      if (r->resumed_from) {
        IoBuffer& buffer = s.buffer;
        for (std::uint64_t at = 0; at < r->resumed_from;) {
          if (s.taken_over) throw StepError("read " + h.name, "a newer transfer of the same file took over");
          const ssize_t n =
              ::pread(r->part->fd(), buffer.data(),
                      std::min<std::uint64_t>(buffer.size(), r->resumed_from - at), static_cast<off_t>(at));
          if (n <= 0) {
            throw StepError("read " + r->part->name(),
                            n < 0 ? std::strerror(errno) : "shorter than expected");
          }
          r->hash.update({buffer.data(), static_cast<std::size_t>(n)});
          at += static_cast<std::uint64_t>(n);
        }
      }
    }
  } catch (const Refused& refused) {
    refuse(s, h.name, refused.reason);
    return false;
  }
  if (have) {
    s.conn.write_all(encode(Answer{false, 0, {}, *have}), "write answer");
    tracer.step(5, "write answer", "have it: " + h.name + " is here, same size, sha256=" + to_hex(*have),
                calls::write);
    FileReport report;
    report.kind = FileReport::Kind::have;
    report.peer = s.peer;
    report.path = h.name;
    report.size = h.size;
    report.sha256 = *have;
    s.receiver.reporter().file(report);
    ++s.totals.have;
    return true;
  }
  const std::uint64_t offset = r->resumed_from;
  s.conn.write_all(encode(Answer{true, offset, {}}), "write answer");
  tracer.step(5, "write answer",
              offset ? "accept, resume from byte " + std::to_string(offset) : "accept (ok)", calls::write);
  tracer.step(6, "create", r->part->name(), file_calls::create);
  s.promised += h.size - offset;
  drop_empty.part = nullptr;  // from here on Offered looks after it
  offered.files.push_back(std::move(r));
  return true;
}

// [7] The bytes of one accepted file and its trailer. A good file's
// verdict waits in s.pending for the next flush. Returns false if it did
// not arrive whole with the right hash.
bool receive_body(Session& s, std::unique_ptr<Session::Received> r) {
  const Tracer& tracer = s.receiver.tracer();
  const FileHeader h{r->path, r->size};
  const std::uint64_t offset = r->resumed_from;
  s.promised -= h.size - offset;
  s.receiver.reporter().log("receiving " + h.name + " (" + std::to_string(h.size) + " B) from " + s.peer +
                            (offset ? ", resuming at byte " + std::to_string(offset) : ""));
  DropEmptyOnError drop_empty{r->part.get()};
  receive_content(s, h, *r, r->hash);
  tracer.step(7, "read loop", bytes_text(h.size - offset) + " of " + h.name, file_calls::copy_in);
  // More bytes than announced, or anything but a trailer: the sender is
  // broken or lying, and what it sent is not worth resuming.
  if (const std::string_view next = s.conn.peek("read trailer"); !next.empty() && next[0] != 'H')
    r->part->remove();
  const Trailer trailer = s.conn.read_message(decode_trailer, "read trailer");
  r->digest = r->hash.finish();
  r->verdict = {true, {}};
  if (r->digest != trailer.sha256) {
    r->part->remove();
    r->verdict = {false,
                  "sha256: the bytes received hash to " + to_hex(r->digest) + ", the sender's file to " +
                      to_hex(trailer.sha256) +
                      (offset ? " (the resumed part did not match: discarded, send again)" : " (discarded)")};
  }
  const bool good = r->verdict.good;
  s.pending_bytes += h.size;
  s.totals.bytes += h.size - offset;
  s.pending.push_back(std::move(r));
  return good;
}

// The header guard: a hello or header the protocol does not allow (a path
// length over 4095, an unknown message) is refused with the reason, then the
// connection closes: after a bad header nothing says where the next begins.
template <class Decode>
auto read_header(Session& s, Decode decode) {
  try {
    return s.conn.read_message(decode, "read header");
  } catch (const BadMessage& e) {
    const std::string reason = e.reason().starts_with("header: ") ? e.reason() : "header: " + e.reason();
    s.conn.write_all(encode(Answer{false, 0, reason}), "write answer");
    s.receiver.reporter().log("refused a file from " + s.peer + ": " + reason);
    throw;
  }
}

// Commits the files waiting for their verdicts when the sender waits for
// them (nothing more has arrived) or enough are waiting.
void flush_if_due(Session& s) {
  if (!s.pending.empty() &&
      (!s.conn.readable() || s.pending.size() >= max_pending_files || s.pending_bytes >= max_pending_bytes)) {
    flush(s);
  }
}

// The next offers: version 3 sends a GROUP and that many FILE or DIR
// headers; versions 1 and 2 one header at a time. Empty at END.
std::vector<std::variant<FileHeader, Directory>> read_offers(Session& s) {
  std::vector<std::variant<FileHeader, Directory>> offers;
  if (s.hello.version < 3) {
    auto next = read_header(s, decode_file_or_end);
    if (auto* f = std::get_if<FileHeader>(&next)) offers.emplace_back(std::move(*f));
    if (auto* d = std::get_if<Directory>(&next)) offers.emplace_back(std::move(*d));
    return offers;
  }
  const auto group = read_header(s, decode_group_or_end);
  if (std::holds_alternative<End>(group)) return offers;
  const std::size_t count = std::get<Group>(group).count;
  for (std::size_t i = 0; i < count; ++i) offers.push_back(read_header(s, decode_offer));
  return offers;
}

bool receive_verified(Session& s, bool over_limit, bool allowed_peer) {
  bool all_good = true;
  try {
    s.hello = read_header(s, decode_hello);
    for (;;) {
      flush_if_due(s);
      auto offers = read_offers(s);
      if (offers.empty()) break;
      if (!allowed_peer) {
        const std::string reason = "allow: " + s.peer + " is not in --allow";
        s.conn.write_all(encode(Answer{false, 0, reason}), "write answer");
        s.receiver.reporter().log("refused a file from " + s.peer + ": " + reason);
        return false;
      }
      // [5] every offer answered, in order; then [7] the accepted files' bytes.
      Offered offered;
      for (const auto& offer : offers) {
        if (const auto* d = std::get_if<Directory>(&offer)) {
          receive_directory(s, *d, over_limit);
        } else {
          all_good &= offer_file(s, std::get<FileHeader>(offer), over_limit, offered);
        }
      }
      for (auto& r : offered.files) {
        flush_if_due(s);
        all_good &= receive_body(s, std::move(r));
      }
    }
    flush(s);
  } catch (...) {
    // The connection broke: the files that arrived whole are still put in
    // place (their verdicts may not reach the sender; a rerun finds them).
    try {
      flush(s);
    } catch (...) {
    }
    throw;
  }
  return all_good;
}

// The course's protocol: the first read is the name; "ok"; then the content
// until the sender closes. No size and no checksum: a cut connection looks
// exactly like the end of the file, so the result is marked unverified.
bool receive_classic(Session& s, bool over_limit, bool allowed_peer) {
  const ReceiveOptions& options = s.receiver.options();
  const Tracer& tracer = s.receiver.tracer();
  char first[1024];
  const std::size_t n = s.conn.read_some(first, "read name");
  const std::string name(first, n);
  tracer.step(4, "read name", "'" + name + "' from " + s.peer + " (classic protocol)", calls::read);
  Claim claim;
  std::unique_ptr<PartFile> part;
  try {
    if (!allowed_peer) throw Refused{"allow: " + s.peer + " is not in --allow"};
    if (over_limit) {
      throw Refused{"max-transfers: " + std::to_string(options.max_transfers) + " transfers already running"};
    }
    if (auto bad = check_name(name)) throw Refused{*bad};
    const std::string part_text = "." + name + ".classic.part";
    if (auto busy = s.receiver.claim(part_text, s)) throw Refused{*busy};
    claim = Claim(&s.receiver, part_text);
    struct stat st {};
    if (::fstatat(s.receiver.dir_fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) throw Refused{"exists: " + name + " is a symlink here (never followed)"};
      if (!S_ISREG(st.st_mode)) throw Refused{"exists: " + name + " is not a regular file here"};
      if (!options.overwrite)
        throw Refused{"exists: " + name + " is already there (--overwrite replaces it)"};
    }
    part = std::make_unique<PartFile>(s.receiver.dir_fd(), part_text);
    if (auto refused = part->open(true)) {
      part.reset();  // not ours: another process holds it
      throw Refused{*refused};
    }
    part->remove();  // until it is committed: a classic file cut short is not kept
  } catch (const Refused& r) {
    s.conn.write_all("refused: " + r.reason, "write answer");
    log_refusal(s, name, r.reason, true);
    return false;
  }
  s.conn.write_all("ok", "write ok");
  tracer.step(5, "write", "ok", calls::write);
  tracer.step(6, "create", part->name(), file_calls::create);
  Hasher hash;
  std::uint64_t size = 0;
  std::vector<char> buffer(chunk_size);
  for (;;) {
    const std::size_t got = s.conn.read_some(buffer, "read " + name);
    if (got == 0) break;  // the sender closed: in this protocol, that is the end of the file
    if (s.taken_over) throw StepError("read " + name, "a newer transfer of the same file took over");
    size += got;
    if (options.max_size && size > options.max_size) {
      log_refusal(
          s, name,
          "size: more than --max-size " + std::to_string(options.max_size) + " bytes; the part was discarded",
          true);
      return false;
    }
    part->append({buffer.data(), got});
    hash.update({buffer.data(), got});
  }
  tracer.step(7, "read loop", bytes_text(size) + ", then read returned 0: the sender closed",
              file_calls::copy_in, story::peer_fin);
  FileReport report{FileReport::Kind::received, s.peer, name, size, hash.finish(), {}, 0, true};
  if (!part->sync_data()) throw StepError("fsync " + name, std::strerror(errno));
  if (auto refused = part->rename_into_place(name, options.overwrite)) {
    report.kind = FileReport::Kind::rejected;
    report.reason = *refused;
  }
  ::fsync(s.receiver.dir_fd());
  s.receiver.reporter().file(report);
  return report.kind == FileReport::Kind::received;
}

}  // namespace

Receiver::Receiver(ReceiveOptions options, int dir_fd, const Tracer& tracer, Reporter& reporter)
    : options_(std::move(options)), dir_fd_(dir_fd), tracer_(tracer), reporter_(reporter) {}

std::optional<std::string> Receiver::claim(const std::string& key, Session& session) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(options_.idle_timeout * 1000));
  for (;;) {
    const auto it = parts_.find(key);
    if (it == parts_.end()) break;
    Session* older = it->second;
    if (older == &session) return "busy: this connection is sending the same file twice";
    if (!older->taken_over.exchange(true)) {
      // Shutting the socket down wakes the older connection's thread from
      // any wait on it; it stops, commits what it finished, and lets go.
      ::shutdown(older->conn.fd(), SHUT_RDWR);
      reporter_.log("taking over " + key + " from " + older->peer + ": " + session.peer +
                    " sends the same file again");
    }
    if (released_.wait_until(lock, deadline) == std::cv_status::timeout && parts_.count(key)) {
      return "busy: the older transfer of the same file did not end within --idle-timeout";
    }
  }
  parts_.emplace(key, &session);
  return std::nullopt;
}

void Receiver::release(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    parts_.erase(key);
  }
  released_.notify_all();
}

bool Receiver::serve(int fd, const std::string& peer, bool over_limit, bool allowed_peer) {
  Session s(*this, fd, peer);
  s.totals.peer = peer;
  const auto start = std::chrono::steady_clock::now();
  bool ok = false;
  try {
    const std::string_view first = s.conn.peek("read");
    if (first.empty()) {
      reporter_.log("close " + peer + " (sent nothing)");
      return false;
    }
    ok = first[0] == '\0' ? receive_verified(s, over_limit, allowed_peer)
                          : receive_classic(s, over_limit, allowed_peer);
  } catch (const std::exception& e) {
    const auto* step = dynamic_cast<const StepError*>(&e);
    reporter_.log("failed " + peer + ": " + (step ? step->step() + ": " + step->reason() : e.what()));
  }
  tracer_.step(9, "close", peer, calls::close);
  s.totals.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  reporter_.connection(s.totals);
  return ok;
}

}  // namespace socklab::filexfer
