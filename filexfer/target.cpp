#include "filexfer/target.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "filexfer/sha256.hpp"

namespace socklab::filexfer {

Result<Target> check_target(int dir_fd, const std::string& leaf, const std::string& path,
                            std::optional<std::uint64_t> size, bool overwrite) {
  struct stat st {};
  // AT_SYMLINK_NOFOLLOW: a symlink is seen as itself, never as what it names.
  if (::fstatat(dir_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Target::free;
  if (S_ISLNK(st.st_mode)) return Failure{"exists: " + path + " is a symlink here (never followed)"};
  if (S_ISDIR(st.st_mode)) return Failure{"clash: " + path + " is a directory here"};
  if (!S_ISREG(st.st_mode)) return Failure{"exists: " + path + " is not a regular file here"};
  if (overwrite) return Target::free;
  if (size && static_cast<std::uint64_t>(st.st_size) == *size) return Target::same_size;
  return Failure{"exists: " + path + " is already there (--overwrite replaces it)"};
}

Sha256 hash_target(int dir_fd, const std::string& leaf, const std::string& path, std::uint64_t size,
                   std::span<char> buffer, const std::atomic<bool>& stop) {
  const int fd = ::openat(dir_fd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw StepError("open " + path, std::strerror(errno));
  Hasher hash;
  try {
    hash_file(hash, fd, size, buffer, path, &stop);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return hash.finish();
}

}  // namespace socklab::filexfer
