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

// The bytes of one file, from the socket into a buffer, and from the
// buffer into the part: a big file's whole blocks at block-aligned offsets
// go straight from the buffer to the disk, on the writer's thread, while
// this one receives into the next buffer. Each piece is hashed as it
// arrives, while it is still in the CPU's cache. If the connection breaks,
// what arrived is written and the part stays for the next attempt to
// resume (unless it holds nothing).
class ContentReceiver {
 public:
  ContentReceiver(Session& s, const FileHeader& h, ReceivedFile& r)
      : s_(s),
        h_(h),
        r_(r),
        writer_(big_file_writer(s, h)),
        writes_done_{writer_},
        written_(r.resumed_from),
        step_("read " + h.name) {}

  void run() {
    guard_disk([&] { buffer_ = writer_ ? writer_->next() : s_.buffer.span(); });
    while (written_ < h_.size) receive_some();
    if (writer_) guard_disk([&] { writer_->finish(); });
  }

 private:
  static PartWriter* big_file_writer(Session& s, const FileHeader& h) {
    if (h.size < direct_from) return nullptr;
    if (!s.writer) s.writer = std::make_unique<PartWriter>(write_buffers, write_size);
    return s.writer.get();
  }

  // One read from the socket into the buffer, hashed; the buffer goes to
  // the part when it is full or the sender pauses.
  void receive_some() {
    // The buffer's end in the file: a multiple of the block size (after a
    // resume at an odd byte the first fill is shorter), or the file's end.
    const std::uint64_t end =
        std::min(h_.size, (written_ + buffer_.size()) / direct_alignment * direct_alignment);
    std::size_t n = 0;
    try {
      // A sender that pauses: what it sent goes to the part now, so that a
      // resume finds it there even if this receiver is stopped meanwhile.
      if (filled_ > 0 && !s_.conn.readable(pause_ms)) write_out();
      n = s_.conn.read_some(buffer_.subspan(filled_, static_cast<std::size_t>(end - written_) - filled_),
                            step_);
    } catch (const StepError&) {
      write_out();
      throw;
    }
    const std::uint64_t at = written_ + filled_ + n;
    if (s_.taken_over || n == 0) stop_at(at, n);
    r_.hash.update(buffer_.subspan(filled_, n));
    filled_ += n;
    if (at == end) write_out();
    s_.receiver.reporter().progress(s_.peer, h_.name, at, h_.size, s_.hello,
                                    s_.totals.files + s_.pending.size(),
                                    s_.totals.bytes + s_.pending_bytes + at);
  }

  // The sender closed early, or a newer transfer took over: what arrived
  // is written for a resume, and the transfer ends.
  [[noreturn]] void stop_at(std::uint64_t at, std::size_t n) {
    filled_ += n;
    write_out();
    if (n == 0) {
      throw StepError(step_, "the sender closed at byte " + std::to_string(at) + " of " +
                                 std::to_string(h_.size) + "; the part is kept for a resume");
    }
    throw StepError(step_, "a newer transfer of the same file took over at byte " + std::to_string(at) +
                               "; it resumes from the part");
  }

  // The filled part of the buffer to the part file.
  void write_out() {
    if (filled_ == 0) return;
    guard_disk([&] {
      if (writer_) {
        writer_->write(*r_.part, filled_);
        buffer_ = writer_->next();
      } else {
        r_.part->append(buffer_.first(filled_));
      }
    });
    written_ += filled_;
    filled_ = 0;
  }

  // Runs a step that writes to the disk; a failure goes to disk_failed.
  template <class Step>
  void guard_disk(Step step) {
    try {
      step();
    } catch (const StepError& e) {
      disk_failed(e);
    }
  }

  // The disk failed (full, quota, I/O error): nothing half-written stays,
  // and the sender hears why instead of a bare reset.
  [[noreturn]] void disk_failed(const StepError& e) {
    if (writer_) writes_done_.wait();
    r_.part->remove();
    const bool full = e.reason() == std::strerror(ENOSPC) || e.reason() == std::strerror(EDQUOT);
    const std::string reason = std::string(full ? "space: " : "disk: ") + "write " + h_.name + ": " +
                               e.reason() + " at byte " + std::to_string(r_.part->appended()) +
                               "; the part was discarded";
    flush(s_);  // the verdicts owed come first
    s_.conn.write_all(encode(Verdict{false, reason}), "write verdict");
    s_.conn.shutdown_write();
    throw StepError("write " + h_.name, reason);
  }

  Session& s_;
  const FileHeader& h_;
  ReceivedFile& r_;
  PartWriter* writer_;  // a big file's writer thread; nullptr: written here
  const WritesDone writes_done_;
  std::uint64_t written_;   // the bytes of the file in the part
  std::size_t filled_ = 0;  // the bytes in the buffer after them
  std::span<char> buffer_;
  const std::string step_;  // "read NAME", named in every failure
};

}  // namespace

void receive_content(Session& s, const FileHeader& h, ReceivedFile& r) { ContentReceiver(s, h, r).run(); }

}  // namespace socklab::filexfer
