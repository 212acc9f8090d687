#include "filexfer/content.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "common/error.hpp"
#include "filexfer/commit.hpp"
#include "filexfer/session.hpp"

namespace socklab::filexfer {
namespace {

// A big file goes to the disk in buffers of write_size, write_buffers of
// them taking turns.
constexpr std::size_t write_buffers = 4;
constexpr std::size_t write_size = 2 << 20;
// A sender silent this long has its bytes so far written at once.
constexpr int pause_ms = 100;

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

}  // namespace

// The bytes gather in a buffer, written when it is full: a big
// file's whole blocks at block-aligned offsets go straight from the buffer
// to the disk, on the writer's thread, while this one receives into the
// next buffer. Each piece is hashed as it arrives, while it is still in the
// CPU's cache. If the connection breaks, what arrived is written and the
// part stays for the next attempt to resume (unless it holds nothing).
void receive_content(Session& s, const FileHeader& h, ReceivedFile& r) {
  Hasher& hash = r.hash;
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

}  // namespace socklab::filexfer
