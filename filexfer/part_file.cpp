#include "filexfer/part_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

namespace socklab::filexfer {

PartFile::PartFile(int dir_fd, std::string name)
    : dir_fd_(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0)), name_(std::move(name)) {
  if (dir_fd_ < 0) throw StepError("dup", std::strerror(errno));
}

PartFile::~PartFile() {
  if (fd_ >= 0) {
    if (remove_) ::unlinkat(dir_fd_, name_.c_str(), 0);
    ::close(fd_);
  }
  ::close(dir_fd_);
}

std::optional<std::string> PartFile::open(bool truncate) {
  fd_ = ::openat(dir_fd_, name_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (truncate ? O_TRUNC : 0),
                 0644);
  if (fd_ < 0) {
    if (errno == ELOOP) return "name: a symlink sits where the part file goes";
    throw StepError("create " + name_, std::strerror(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    return "busy: another process is receiving the same file";
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return "name: the part file is not a regular file";
  at_ = static_cast<std::uint64_t>(st.st_size);
  return std::nullopt;
}

std::uint64_t PartFile::size() const {
  struct stat st {};
  ::fstat(fd_, &st);
  return static_cast<std::uint64_t>(st.st_size);
}

void PartFile::truncate_to(std::uint64_t size) {
  if (size != this->size() && ::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    throw StepError("truncate " + name_, std::strerror(errno));
  at_ = size;
}

void PartFile::append(std::span<const char> bytes) {
  const std::uint64_t start = at_;
  while (!bytes.empty()) {
    const ssize_t w = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(at_));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw StepError("write " + name_, std::strerror(errno));
    bytes = bytes.subspan(static_cast<std::size_t>(w));
    at_ += static_cast<std::uint64_t>(w);
  }
  constexpr std::uint64_t step = 8 << 20;
  if (at_ / step != start / step) {
    const std::uint64_t ready = at_ / step * step;
    ::sync_file_range(fd_, static_cast<off_t>(ready - step), step, SYNC_FILE_RANGE_WRITE);
  }
}

void PartFile::start_sync() const { ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE); }

bool PartFile::sync_data() const { return ::fdatasync(fd_) == 0; }

std::optional<std::string> PartFile::rename_into_place(const std::string& final_name, bool overwrite) {
  const unsigned flags = overwrite ? 0 : RENAME_NOREPLACE;
  if (::renameat2(dir_fd_, name_.c_str(), dir_fd_, final_name.c_str(), flags) != 0) {
    remove_ = true;
    if (errno == EEXIST) return "exists: " + final_name + " appeared while it was being received";
    return "disk: rename " + final_name + ": " + std::strerror(errno);
  }
  remove_ = false;  // it has its final name now
  return std::nullopt;
}

}  // namespace socklab::filexfer
