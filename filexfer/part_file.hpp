// The part file of one transfer: the hidden file the bytes go into while they
// arrive, in the directory where the file will live. It is renamed to the
// final name only when the file is complete, verified and on disk, so a file
// under its real name is never half-written. What it holds after a broken
// transfer stays for the next one to resume.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace socklab::filexfer {

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
  /// receiving the same file cannot write it too. The error is a refusal
  /// ("name: ...", "busy: ..."); a failing system call throws StepError.
  std::optional<std::string> open(bool truncate);
  std::uint64_t size() const;
  int fd() const { return fd_; }
  int dir_fd() const { return dir_fd_; }
  const std::string& name() const { return name_; }
  /// Appends `bytes` at the end of what was written, and asks the kernel to
  /// start writing each 8 MiB to disk as soon as it is complete, so the disk
  /// works while the network does and the final fsync has little left.
  void append(std::span<const char> bytes);
  /// Makes the part hold its first `size` bytes, the next append at `size`.
  void truncate_to(std::uint64_t size);
  /// Starts writing everything to disk (the first half of sync_data).
  void start_sync() const;
  /// fdatasync: the bytes are on disk. Returns false (errno set) on failure.
  bool sync_data() const;
  /// The one rename into place: the part becomes `final_name` in the same
  /// directory, never replacing an existing file unless `overwrite`.
  /// Returns the refusal ("exists: ..." or "disk: ..."); afterwards the part
  /// is no longer removed. The caller fsyncs the directory.
  std::optional<std::string> rename_into_place(const std::string& final_name, bool overwrite);
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
  std::uint64_t at_ = 0;  // where the next append goes
  bool remove_ = false;
};

}  // namespace socklab::filexfer
