#include "capture/private_network.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace socklab {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

// Writes `text` to a /proc file.
Result<void> write_proc(const char* path, const std::string& text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Failure{std::string(path) + ": " + errno_text(errno)};
  const ssize_t n = write(fd, text.data(), text.size());
  const int e = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) return Failure{std::string(path) + ": " + errno_text(e)};
  return {};
}

}  // namespace

Result<void> enter_private_network() {
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  if (uid == 0) {
    if (unshare(CLONE_NEWNET) != 0) return Failure{"unshare(CLONE_NEWNET): " + errno_text(errno)};
  } else {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
      return Failure{"unshare(CLONE_NEWUSER|CLONE_NEWNET): " + errno_text(errno)};
    // An unprivileged process may map only its own ids, and must give up
    // setgroups before it may map its group.
    const std::string user = std::to_string(uid) + " " + std::to_string(uid) + " 1";
    const std::string group = std::to_string(gid) + " " + std::to_string(gid) + " 1";
    Result<void> mapped = write_proc("/proc/self/setgroups", "deny");
    if (mapped) mapped = write_proc("/proc/self/uid_map", user);
    if (mapped) mapped = write_proc("/proc/self/gid_map", group);
    if (!mapped) return mapped;
  }
  // A new network namespace has only "lo", and it is down.
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Failure{"socket: " + errno_text(errno)};
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(s, SIOCGIFFLAGS, &req);
  if (rc == 0) {
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
    rc = ioctl(s, SIOCSIFFLAGS, &req);
  }
  const int e = errno;
  close(s);
  if (rc != 0) return Failure{"bring lo up: " + errno_text(e)};
  return {};
}

}  // namespace socklab
