#include "filexfer/part_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "common/error.hpp"

namespace socklab::filexfer {

void IoBuffer::allocate(std::size_t size) {
  if (memory_) return;
  size_ = (size + direct_alignment - 1) / direct_alignment * direct_alignment;
  memory_.reset(static_cast<char*>(std::aligned_alloc(direct_alignment, size_)));
  if (!memory_) throw std::bad_alloc();
}

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

Result<void> PartFile::open(bool truncate, bool direct) {
  fd_ = ::openat(dir_fd_, name_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (truncate ? O_TRUNC : 0),
                 0644);
  if (fd_ < 0) {
    if (errno == ELOOP) return Failure{"name: a symlink sits where the part file goes"};
    throw StepError("create " + name_, std::strerror(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    return Failure{"busy: another process is receiving the same file"};
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
    return Failure{"name: the part file is not a regular file"};
  at_ = static_cast<std::uint64_t>(st.st_size);
  direct_ = direct;
  return {};
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
  flushed_ = std::min(flushed_, size);
}

void PartFile::append(std::span<const char> bytes) {
  const bool aligned = reinterpret_cast<std::uintptr_t>(bytes.data()) % direct_alignment == 0 &&
                       bytes.size() % direct_alignment == 0 && at_ % direct_alignment == 0;
  if (direct_ && aligned && !bytes.empty()) {
    write_direct(bytes);
  } else {
    write_buffered(bytes);
  }
}

// O_DIRECT is a flag of the open file, changed with fcntl. A filesystem that
// cannot do direct I/O refuses it (EINVAL): then the page cache it is.
void PartFile::set_direct(bool on) {
  if (on == direct_now_) return;
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, on ? flags | O_DIRECT : flags & ~O_DIRECT) != 0) {
    if (on) {
      direct_ = false;
      return;
    }
    throw StepError("write " + name_, std::strerror(errno));
  }
  direct_now_ = on;
}

// pwrite with O_DIRECT returns when the disk has the bytes, but in the
// disk's own cache: only an fdatasync makes the disk write that cache out,
// and on this machine it takes about 0.6 ms per MiB. So every 8 MiB the
// writer's thread asks for it, while the network keeps filling the other
// buffers, and the fdatasync at the end has at most 8 MiB to flush instead
// of the whole file (148 ms for 256 MiB, which the sender would wait for).
// Nothing is left dirty in the page cache.
void PartFile::write_direct(std::span<const char> bytes) {
  set_direct(true);
  constexpr std::uint64_t flush_step = 8 << 20;
  const std::uint64_t start = at_;
  while (direct_now_ && !bytes.empty()) {
    const ssize_t w = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(at_));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EINVAL) break;  // an alignment this disk does not take: the page cache
    if (w < 0) throw StepError("write " + name_, std::strerror(errno));
    bytes = bytes.subspan(static_cast<std::size_t>(w));
    at_ += static_cast<std::uint64_t>(w);
    if (bytes.size() % direct_alignment != 0) break;  // a short write that broke the alignment
  }
  // A failed fdatasync is reported once per descriptor (the next one may
  // succeed), so it fails the write now, like a failed pwrite.
  if (at_ / flush_step != start / flush_step && !sync_data()) {
    throw StepError("write " + name_, std::strerror(errno));
  }
  if (!bytes.empty()) {
    direct_ = false;
    write_buffered(bytes);
  }
}

void PartFile::write_buffered(std::span<const char> bytes) {
  set_direct(false);
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

bool PartFile::sync_data() {
  if (::fdatasync(fd_) != 0) return false;
  flushed_ = at_;
  return true;
}

Result<void> PartFile::rename_into_place(const std::string& final_name, bool overwrite) {
  const unsigned flags = overwrite ? 0 : RENAME_NOREPLACE;
  if (::renameat2(dir_fd_, name_.c_str(), dir_fd_, final_name.c_str(), flags) != 0) {
    remove_ = true;
    if (errno == EEXIST) return Failure{"exists: " + final_name + " appeared while it was being received"};
    return Failure{"disk: rename " + final_name + ": " + std::strerror(errno)};
  }
  remove_ = false;  // it has its final name now
  return {};
}

PartWriter::PartWriter(std::size_t buffers, std::size_t size) : buffers_(buffers) {
  for (auto& b : buffers_) b.allocate(size);
  thread_ = std::thread([this] { run(); });
}

PartWriter::~PartWriter() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return jobs_.empty(); });
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

std::span<char> PartWriter::next() {
  std::unique_lock lock(mutex_);
  // Buffers are handed out in turn and written in turn: the next one is
  // free when fewer than all of them wait for the disk.
  changed_.wait(lock, [this] { return jobs_.size() < buffers_.size(); });
  if (error_) std::rethrow_exception(error_);
  return buffers_[next_].span();
}

void PartWriter::write(PartFile& part, std::size_t n) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back({&part, next_, n});
    next_ = (next_ + 1) % buffers_.size();
  }
  changed_.notify_all();
}

void PartWriter::finish() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return jobs_.empty(); });
  if (auto error = std::exchange(error_, nullptr)) std::rethrow_exception(error);
}

void PartWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopped, and nothing left to write
    const Job job = jobs_.front();
    const bool failed = error_ != nullptr;
    lock.unlock();
    std::exception_ptr error;
    if (!failed) {  // after a failure the part is given up: its later bytes are not written
      try {
        job.part->append({buffers_[job.buffer].data(), job.size});
      } catch (...) {
        error = std::current_exception();
      }
    }
    lock.lock();
    if (error) error_ = error;
    jobs_.pop_front();
    changed_.notify_all();
  }
}

}  // namespace socklab::filexfer
