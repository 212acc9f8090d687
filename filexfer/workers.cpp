#include "filexfer/workers.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace socklab::filexfer {

void Workers::start(Receiver& receiver, int fd, const std::string& peer, bool allowed_peer) {
  bool over_limit = false;
  {
    std::lock_guard lock(mutex_);
    over_limit = fds_.size() >= max_transfers_;
    if (fds_.size() >= max_transfers_ + max_waiting_connections) {
      ::close(fd);
      log_.log("close " + peer + " (max-transfers: more than " +
               std::to_string(max_transfers_ + max_waiting_connections) + " connections)");
      return;
    }
    fds_.insert(fd);
  }
  reap();
  auto done = std::make_shared<std::atomic<bool>>(false);
  try {
    threads_.push_back({std::thread([this, &receiver, fd, peer, over_limit, allowed_peer, done] {
                          serve(receiver, fd, peer, over_limit, allowed_peer);
                          done->store(true);
                        }),
                        done});
  } catch (const std::system_error& e) {  // no thread to be had: this peer waits for nobody
    {
      std::lock_guard lock(mutex_);
      fds_.erase(fd);
    }
    ::close(fd);
    log_.log("close " + peer + " (no thread: " + e.what() + ")");
  }
}

void Workers::serve(Receiver& receiver, int fd, const std::string& peer, bool over_limit, bool allowed_peer) {
  // serve() owns and closes a duplicate; `fd` stays open until it leaves
  // fds_, so accept() cannot give its number to a new connection while
  // stop_all() may still shut it down.
  const int own = ::dup(fd);
  if (own >= 0) {
    receiver.serve(own, peer, over_limit, allowed_peer);
  } else {
    log_.log("close " + peer + " (dup: " + std::strerror(errno) + ")");
  }
  std::lock_guard lock(mutex_);
  fds_.erase(fd);
  ::close(fd);
}

void Workers::stop_all() {
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.thread.join();
  threads_.clear();
}

void Workers::reap() {
  std::erase_if(threads_, [](Thread& t) {
    if (!t.done->load()) return false;
    t.thread.join();
    return true;
  });
}

}  // namespace socklab::filexfer
