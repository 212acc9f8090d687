#include "filexfer/send_content.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <vector>

#include "common/error.hpp"
#include "filexfer/sha256.hpp"

namespace socklab::filexfer {
namespace {

constexpr std::size_t chunk_size = 1 << 20;  // 1 MiB reads: few system calls per GiB

int open_source(const Source& s) {
  const int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StepError("open " + s.path, std::strerror(errno));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return fd;
}

// The SHA-256 of the whole file on `fd`. Fails if the file got shorter.
Sha256 hash_open(int fd, const Source& s) {
  Hasher hash;
  std::vector<char> buffer(chunk_size);
  hash_file(hash, fd, s.size, buffer, s.path);
  return hash.finish();
}

}  // namespace

Sha256 hash_source(const Source& s) {
  const int fd = open_source(s);
  try {
    const Sha256 digest = hash_open(fd, s);
    ::close(fd);
    return digest;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

// The file is read a second time for its hash (from the page cache), on
// another thread, so hashing is not on the sending path.
Sha256 send_content(Connection& conn, const Source& s, std::uint64_t from, Run& run) {
  const int fd = open_source(s);
  // A small file is hashed afterwards on this thread: starting a thread costs more.
  const auto policy = s.size > chunk_size ? std::launch::async : std::launch::deferred;
  auto hashing = std::async(policy, [fd, &s] { return hash_open(fd, s); });
  try {
    conn.send_file(fd, from, s.size - from, "write " + s.name,
                   [&](std::uint64_t sent) { run.moving(s, from + sent, from); });
  } catch (...) {
    hashing.wait();
    ::close(fd);
    throw;
  }
  try {
    const Sha256 digest = hashing.get();
    ::close(fd);
    return digest;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

}  // namespace socklab::filexfer
