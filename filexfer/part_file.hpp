// The part file of one transfer: the hidden file the bytes go into while they
// arrive, in the directory where the file will live. It is renamed to the
// final name only when the file is complete, verified and on disk, so a file
// under its real name is never half-written. What it holds after a broken
// transfer stays for the next one to resume.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace socklab::filexfer {

/// What O_DIRECT asks of a write: its buffer's address, its offset in the
/// file and its length all multiples of the disk's block size (at most 4096).
constexpr std::size_t direct_alignment = 4096;

/// Memory for the bytes of a transfer, aligned for O_DIRECT writes.
class IoBuffer {
 public:
  /// Allocates `size` bytes (rounded up to a multiple of direct_alignment)
  /// the first time; later calls keep the memory.
  void allocate(std::size_t size);
  char* data() { return memory_.get(); }
  std::size_t size() const { return size_; }
  std::span<char> span() { return {memory_.get(), size_}; }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> memory_;
  std::size_t size_ = 0;
};

class PartFile {
 public:
  /// A part named `name` in directory `dir_fd` (duplicated: the part keeps
  /// its own descriptor of the directory for the rename).
  PartFile(int dir_fd, std::string name);
  /// Closes the part; removes it first if marked so (while its lock is still
  /// held, so no other transfer has opened it).
  ~PartFile();
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  /// Opens or creates the part (O_NOFOLLOW: a symlink planted under its
  /// name is never followed) and locks it (flock), so another process
  /// receiving the same file cannot write it too. `direct`: aligned appends
  /// go to the disk with O_DIRECT (see append). The error is a refusal
  /// ("name: ...", "busy: ..."); a failing system call throws StepError.
  Result<void> open(bool truncate, bool direct = false);
  std::uint64_t size() const;
  int fd() const { return fd_; }
  /// Where the next append goes: the bytes the part holds.
  std::uint64_t appended() const { return at_; }
  int dir_fd() const { return dir_fd_; }
  const std::string& name() const { return name_; }
  /// Appends `bytes` at the end of what was written. Opened `direct`, bytes
  /// aligned for it (an IoBuffer, at an aligned offset, a whole number of
  /// blocks) go from our memory straight to the disk (O_DIRECT): no copy
  /// into the page cache, which on this machine costs more CPU than the
  /// SHA-256 does. Others go through the page cache, and the kernel is asked
  /// to start writing each 8 MiB to disk as soon as it is complete, so the
  /// disk works while the network does and the final fsync has little left.
  void append(std::span<const char> bytes);
  /// Makes the part hold its first `size` bytes, the next append at `size`.
  void truncate_to(std::uint64_t size);
  /// Starts writing everything to disk (the first half of sync_data).
  void start_sync() const;
  /// fdatasync: the bytes are on disk. Returns false (errno set) on failure.
  bool sync_data();
  /// How many of the first bytes are known to be on the disk itself, not in
  /// its cache: up to the last fdatasync that succeeded (see append).
  std::uint64_t flushed() const { return flushed_; }
  /// The one rename into place: the part becomes `final_name` in the same
  /// directory, never replacing an existing file unless `overwrite`.
  /// The error is the refusal ("exists: ..." or "disk: ..."); afterwards the part
  /// is no longer removed. The caller fsyncs the directory.
  Result<void> rename_into_place(const std::string& final_name, bool overwrite);
  /// Removed when closed.
  void remove() { remove_ = true; }
  /// Removed when closed if it holds no byte (not worth keeping for a resume).
  void remove_if_empty() {
    if (size() == 0) remove_ = true;
  }

 private:
  int dir_fd_;
  std::string name_;
  int fd_ = -1;
  std::uint64_t at_ = 0;       // where the next append goes
  std::uint64_t flushed_ = 0;  // on the disk up to here (the last fdatasync)
  bool remove_ = false;
  bool direct_ = false;      // O_DIRECT may be used
  bool direct_now_ = false;  // fd_ has O_DIRECT set
  void set_direct(bool on);
  void write_direct(std::span<const char> bytes);
  void write_buffered(std::span<const char> bytes);
};

/// Appends to part files on a thread of its own, so the disk works while
/// the network does: an O_DIRECT write returns only when the disk has the
/// bytes, and meanwhile the receiving thread fills the next buffer. The
/// buffers take turns, written in the order they were handed over; the
/// memory is `buffers` x `size`, allocated once.
class PartWriter {
 public:
  PartWriter(std::size_t buffers, std::size_t size);
  /// Waits for the writes handed over, then ends the thread.
  ~PartWriter();
  PartWriter(const PartWriter&) = delete;
  PartWriter& operator=(const PartWriter&) = delete;

  /// The buffer to fill next; waits while the disk still writes it. Throws
  /// the StepError of a write that failed.
  std::span<char> next();
  /// Appends the first `n` bytes of the buffer next() gave to `part`, on the
  /// writer's thread. `part` must live until finish().
  void write(PartFile& part, std::size_t n);
  /// Waits until every write handed over is done; throws the first failure
  /// since the last finish() (the writes after it were not made).
  void finish();

 private:
  struct Job {
    PartFile* part;
    std::size_t buffer;
    std::size_t size;
  };
  void run();
  std::vector<IoBuffer> buffers_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> jobs_;      // handed over, oldest first; the first is being written
  std::size_t next_ = 0;      // the buffer next() gives
  std::exception_ptr error_;  // the first failed write since finish()
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace socklab::filexfer
