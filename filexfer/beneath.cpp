#include "filexfer/beneath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

namespace socklab::filexfer {
namespace {

// A sender can name many directories: past this many open descriptors the
// cache is emptied (each is one open file).
constexpr std::size_t max_open = 256;

constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

// glibc 2.36 has no wrapper for openat2.
int openat2_beneath(int parent, const char* path) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(dir_flags | O_NOFOLLOW);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  return static_cast<int>(::syscall(SYS_openat2, parent, path, &how, sizeof how));
}

}  // namespace

std::pair<std::string_view, std::string_view> split_path(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {{}, path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Beneath::Beneath(int root_fd, bool use_openat2) : root_(root_fd), openat2_(use_openat2) {}

Beneath::~Beneath() { forget_all(); }

void Beneath::forget_all() {
  sync_changed();
  for (auto& [path, fd] : open_) ::close(fd);
  open_.clear();
}

int Beneath::open_component(int parent, const std::string& name) {
  if (openat2_) {
    const int fd = openat2_beneath(parent, name.c_str());
    if (fd >= 0 || errno != ENOSYS) return fd;
    openat2_ = false;  // an older kernel: O_NOFOLLOW on each component does the same job
  }
  return ::openat(parent, name.c_str(), dir_flags | O_NOFOLLOW);
}

Result<int> Beneath::directory(std::string_view dir, bool create) {
  if (dir.empty()) return root_;
  if (auto it = open_.find(dir); it != open_.end()) return it->second;
  if (open_.size() >= max_open) forget_all();
  // The usual case, a directory that exists: one openat2 for the whole path.
  if (openat2_) {
    const int fd = openat2_beneath(root_, std::string(dir).c_str());
    if (fd >= 0) return open_.emplace(std::string(dir), fd).first->second;
    if (errno == ENOSYS) openat2_ = false;
  }
  // Component by component, making what is missing.
  int parent = root_;
  for (std::size_t at = 0; at <= dir.size();) {
    const std::size_t slash = std::min(dir.find('/', at), dir.size());
    const std::string prefix(dir.substr(0, slash));
    const std::string name(dir.substr(at, slash - at));
    at = slash + 1;
    if (auto it = open_.find(prefix); it != open_.end()) {
      parent = it->second;
      continue;
    }
    if (create) {
      if (::mkdirat(parent, name.c_str(), 0755) == 0) {
        changed(parent);
      } else if (errno != EEXIST) {
        throw StepError("mkdir " + prefix, std::strerror(errno));
      }
    }
    const int fd = open_component(parent, name);
    if (fd < 0) {
      const int err = errno;
      struct stat st {};
      const bool there = ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (there && S_ISLNK(st.st_mode))
        return Result<int>::failure("symlink: " + prefix + " is a symlink here (never followed)");
      if (there && !S_ISDIR(st.st_mode))
        return Result<int>::failure("clash: " + prefix + " is a file here, a directory is needed");
      if (err == ELOOP || err == EXDEV)
        return Result<int>::failure("symlink: " + prefix + " leads through a symlink (never followed)");
      throw StepError("open " + prefix, std::strerror(err));
    }
    parent = open_.emplace(prefix, fd).first->second;
  }
  return parent;
}

void Beneath::changed(int fd) { changed_[fd] = true; }

bool Beneath::sync_changed() {
  bool ok = true;
  for (auto& [fd, yes] : changed_) ok &= ::fsync(fd) == 0;
  changed_.clear();
  return ok;
}

}  // namespace socklab::filexfer
