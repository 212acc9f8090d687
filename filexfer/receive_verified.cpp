// The verified protocol, recvfile's side: [4] the hello and the offers,
// [5] an answer to each (accept, resume, have it, or refuse), [7] the
// accepted files' bytes and trailers, [8] the verdicts after the batched
// commit (commit.cpp). The sequence is receive_verified, at the end.
#include <sys/statvfs.h>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "filexfer/commit.hpp"
#include "filexfer/content.hpp"
#include "filexfer/guards.hpp"
#include "filexfer/refusals.hpp"
#include "filexfer/session.hpp"
#include "filexfer/steps.hpp"
#include "filexfer/target.hpp"

namespace socklab::filexfer {
namespace {

std::string join(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : std::string(dir) + "/" + std::string(name);
}

// When a transfer fails, a part that holds no byte is removed; one with
// bytes stays for a resume.
struct DropEmptyOnError {
  PartFile* part = nullptr;
  ~DropEmptyOnError() {
    if (part && std::uncaught_exceptions() > 0) part->remove_if_empty();
  }
};

// The files of one group that were accepted and wait for their bytes. If
// the connection breaks first, a part that holds nothing is removed (one
// with bytes from an earlier attempt stays for a resume).
struct Offered {
  std::vector<std::unique_ptr<ReceivedFile>> files;
  ~Offered() {
    for (auto& r : files) {
      if (r && r->part) r->part->remove_if_empty();
    }
  }
};

// The header guard: a hello or header the protocol does not allow (a path
// length over 4095, an unknown message) is refused with the reason, then the
// connection closes: after a bad header nothing says where the next begins.
template <class Decode>
auto read_header(Session& s, Decode decode) {
  try {
    return s.conn.read_message(decode, "read header");
  } catch (const BadMessage& e) {
    refuse_connection(s, e.reason().starts_with("header: ") ? e.reason() : "header: " + e.reason());
    throw;
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

// [5] An empty directory: made beneath --dir, or refused.
void receive_directory(Session& s, const Directory& d, bool over_limit) {
  const auto made = [&]() -> Result<void> {
    if (over_limit) return over_max_transfers(s.receiver.options().max_transfers);
    if (auto safe = check_path(d.path); !safe) return safe;
    if (auto dir = s.beneath.directory(d.path, true); !dir) return Failure{dir.error()};
    return {};
  }();
  if (!made) {
    refuse_offer(s, d.path, made.error());
    return;
  }
  s.conn.write_all(encode(Answer{true, 0, {}}), "write answer");
  FileReport report;
  report.kind = FileReport::Kind::directory;
  report.peer = s.peer;
  report.path = d.path;
  s.receiver.reporter().file(report);
}

// The part of an accepted file, opened: what an earlier, broken transfer
// left is kept and hashed (a resume), unless the rest cannot fit on the
// disk. The error is the refusal.
Result<void> open_part(Session& s, const FileHeader& h, int dir_fd, const std::string& part_text,
                       ReceivedFile& r) {
  r.part = std::make_unique<PartFile>(dir_fd, part_text);
  if (auto opened = r.part->open(false, h.size >= direct_from); !opened)
    return opened;  // what it holds stays
  DropEmptyOnError drop_empty{r.part.get()};
  s.buffer.allocate(chunk_size);
  r.resumed_from = resume_offset(r.part->size(), h.size);
  r.part->truncate_to(r.resumed_from);
  // Refuse now what cannot fit, counting what this group has already been
  // promised, rather than fill the disk and fail later.
  struct statvfs fs {};
  if (::fstatvfs(r.part->fd(), &fs) == 0) {
    auto fits = check_space(h.size - r.resumed_from + s.promised, std::uint64_t{fs.f_bavail} * fs.f_frsize);
    if (!fits) {
      r.part->remove_if_empty();
      return fits;
    }
  }
  hash_file(r.hash, r.part->fd(), r.resumed_from, s.buffer.span(), r.part->name(), &s.taken_over);
  return {};
}

// [4] The guards of one FILE header, in order. Accepted: `r` holds the
// claim and the open part (nullopt), or the file is there already (its
// hash). The error is the refusal.
Result<std::optional<Sha256>> admit(Session& s, const FileHeader& h, bool over_limit, ReceivedFile& r) {
  const ReceiveOptions& options = s.receiver.options();
  if (over_limit) return over_max_transfers(options.max_transfers);
  if (auto safe = check_path(h.name); !safe) return Failure{safe.error()};
  if (options.max_size && h.size > options.max_size) {
    return Failure{"size: " + std::to_string(h.size) + " bytes is over --max-size " +
                   std::to_string(options.max_size)};
  }
  const auto [dir, leaf] = split_path(h.name);
  r.leaf = leaf;
  const auto dir_fd = s.beneath.directory(dir, true);
  if (!dir_fd) return Failure{dir_fd.error()};
  // Claim the part before looking at the final name: an older transfer of
  // the same file may be about to commit it.
  const std::string part = part_name(leaf, h.size);
  auto claim = claim_part(s, join(dir, part));
  if (!claim) return Failure{claim.error()};
  r.claim = std::move(claim).value();
  const auto target = check_target(*dir_fd, r.leaf, h.name, h.size, options.overwrite);
  if (!target) return Failure{target.error()};
  if (*target == Target::same_size) {
    s.buffer.allocate(chunk_size);
    return std::optional<Sha256>(hash_target(*dir_fd, r.leaf, h.name, h.size, s.buffer.span(), s.taken_over));
  }
  if (auto opened = open_part(s, h, *dir_fd, part, r); !opened) return Failure{opened.error()};
  return std::optional<Sha256>();
}

// [5] "Have it": the file is here, the same size; the sender compares the hash.
void answer_have(Session& s, const FileHeader& h, const Sha256& have) {
  s.conn.write_all(encode(Answer{false, 0, {}, have}), "write answer");
  s.receiver.tracer().step(
      5, "write answer", "have it: " + h.name + " is here, same size, sha256=" + to_hex(have), calls::write);
  FileReport report;
  report.kind = FileReport::Kind::have;
  report.peer = s.peer;
  report.path = h.name;
  report.size = h.size;
  report.sha256 = have;
  s.receiver.reporter().file(report);
  ++s.totals.have;
}

// [4]-[5] One FILE header: the guards, then the answer. An accepted file
// joins `offered` with its part open (a resumed part's bytes already
// hashed); its bytes come later, in the order of the answers. Returns false
// if it was refused.
bool offer_file(Session& s, const FileHeader& h, bool over_limit, Offered& offered) {
  const Tracer& tracer = s.receiver.tracer();
  tracer.step(4, "read name", h.name + ", " + bytes_text(h.size) + " from " + s.peer, calls::read);
  auto r = std::make_unique<ReceivedFile>();
  r->path = h.name;
  r->size = h.size;
  const auto admitted = admit(s, h, over_limit, *r);
  if (!admitted) {
    refuse_offer(s, h.name, admitted.error());
    return false;
  }
  if (const auto& have = *admitted) {
    answer_have(s, h, *have);
    return true;
  }
  const std::uint64_t offset = r->resumed_from;
  DropEmptyOnError drop_empty{r->part.get()};
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
bool receive_body(Session& s, std::unique_ptr<ReceivedFile> r) {
  const FileHeader h{r->path, r->size};
  const std::uint64_t offset = r->resumed_from;
  s.promised -= h.size - offset;
  s.receiver.reporter().log("receiving " + h.name + " (" + std::to_string(h.size) + " B) from " + s.peer +
                            (offset ? ", resuming at byte " + std::to_string(offset) : ""));
  DropEmptyOnError drop_empty{r->part.get()};
  receive_content(s, h, *r);
  s.receiver.tracer().step(7, "read loop", bytes_text(h.size - offset) + " of " + h.name,
                           file_calls::copy_in);
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

// The files that arrived whole are put in place even when the connection
// broke (their verdicts may not reach the sender; a rerun finds them).
struct FlushOnError {
  Session& s;
  ~FlushOnError() {
    if (std::uncaught_exceptions() == 0) return;
    try {
      flush(s);
    } catch (...) {  // the failure that broke the connection is already on its way
    }
  }
};

}  // namespace

bool receive_verified(Session& s, bool over_limit, bool allowed_peer) {
  const FlushOnError flush_on_error{s};
  bool all_good = true;
  s.hello = read_header(s, decode_hello);  // [4] the hello: version and the run's totals
  for (;;) {
    flush_if_due(s);
    auto offers = read_offers(s);  // [4] the next group of offers; none at END
    if (offers.empty()) break;
    if (!allowed_peer) {
      refuse_connection(s, not_allowed(s.peer).why);
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
  flush(s);  // [8] the last verdicts
  return all_good;
}

}  // namespace socklab::filexfer
