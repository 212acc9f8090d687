// The course's classic protocol, recvfile's side: [4] the first read is
// the name, [5] "ok" (or the refusal), [7] the content until the sender
// closes, then the commit. No size and no checksum: a cut connection looks
// exactly like the end of the file, so the result is marked unverified.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "filexfer/guards.hpp"
#include "filexfer/refusals.hpp"
#include "filexfer/session.hpp"
#include "filexfer/steps.hpp"
#include "filexfer/target.hpp"

namespace socklab::filexfer {
namespace {

// The one file of a classic connection, once its guards have passed.
struct ClassicFile {
  Claim claim;  // first: given back after the part is closed
  std::unique_ptr<PartFile> part;
};

// [4] The guards of a classic transfer, in order, then its part file
// (removed until it is committed: a classic file cut short is not kept).
// The error is the refusal.
Result<ClassicFile> admit(Session& s, const std::string& name, bool over_limit, bool allowed_peer) {
  const ReceiveOptions& options = s.receiver.options();
  if (!allowed_peer) return not_allowed(s.peer);
  if (over_limit) return over_max_transfers(options.max_transfers);
  if (auto safe = check_name(name); !safe) return Failure{safe.error()};
  const std::string part_text = part_name(name, std::nullopt);
  ClassicFile file;
  auto claim = claim_part(s, part_text);
  if (!claim) return Failure{claim.error()};
  file.claim = std::move(claim).value();
  const auto target = check_target(s.receiver.dir_fd(), name, name, std::nullopt, options.overwrite);
  if (!target) return Failure{target.error()};
  auto part = std::make_unique<PartFile>(s.receiver.dir_fd(), part_text);
  if (auto opened = part->open(true); !opened)
    return Failure{opened.error()};  // not ours: another process holds it
  part->remove();
  file.part = std::move(part);
  return file;
}

// [7] The content until the sender closes, into `part`; its size and hash.
// Returns nothing when it grew past --max-size (the part is discarded).
std::optional<std::pair<std::uint64_t, Sha256>> receive_content(Session& s, const std::string& name,
                                                                PartFile& part) {
  const std::uint64_t max_size = s.receiver.options().max_size;
  Hasher hash;
  std::uint64_t size = 0;
  std::vector<char> buffer(chunk_size);
  for (;;) {
    const std::size_t got = s.conn.read_some(buffer, "read " + name);
    if (got == 0) break;  // the sender closed: in this protocol, that is the end of the file
    if (s.taken_over) throw StepError("read " + name, "a newer transfer of the same file took over");
    size += got;
    if (max_size && size > max_size) return std::nullopt;
    part.append({buffer.data(), got});
    hash.update({buffer.data(), got});
  }
  return std::pair{size, hash.finish()};
}

}  // namespace

bool receive_classic(Session& s, bool over_limit, bool allowed_peer) {
  const ReceiveOptions& options = s.receiver.options();
  const Tracer& tracer = s.receiver.tracer();
  char first[1024];
  const std::string name(first, s.conn.read_some(first, "read name"));  // [4] the name: all of the first read
  tracer.step(4, "read name", "'" + name + "' from " + s.peer + " (classic protocol)", calls::read);
  auto file = admit(s, name, over_limit, allowed_peer);
  if (!file) {
    s.conn.write_all("refused: " + file.error(), "write answer");
    report_refusal(s, name, file.error(), true);
    return false;
  }
  PartFile& part = *file->part;
  s.conn.write_all("ok", "write ok");  // [5]
  tracer.step(5, "write", "ok", calls::write);
  tracer.step(6, "create", part.name(), file_calls::create);
  const auto content = receive_content(s, name, part);  // [7]
  if (!content) {
    report_refusal(
        s, name,
        "size: more than --max-size " + std::to_string(options.max_size) + " bytes; the part was discarded",
        true);
    return false;
  }
  const auto [size, digest] = *content;
  tracer.step(7, "read loop", bytes_text(size) + ", then read returned 0: the sender closed",
              file_calls::copy_in, story::peer_fin);
  FileReport report{FileReport::Kind::received, s.peer, name, size, digest, {}, 0, true};
  if (!part.sync_data()) throw StepError("fsync " + name, std::strerror(errno));
  if (auto renamed = part.rename_into_place(name, options.overwrite); !renamed) {
    report.kind = FileReport::Kind::rejected;
    report.reason = renamed.error();
  }
  ::fsync(s.receiver.dir_fd());
  s.receiver.reporter().file(report);
  return report.kind == FileReport::Kind::received;
}

}  // namespace socklab::filexfer
