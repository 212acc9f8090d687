#include "filexfer/part_claim.hpp"

#include <sys/socket.h>

#include <chrono>

#include "filexfer/session.hpp"

namespace socklab::filexfer {

Claim& Claim::operator=(Claim&& o) noexcept {
  if (this != &o) {
    if (receiver_) receiver_->release(key_);
    receiver_ = std::exchange(o.receiver_, nullptr);
    key_ = std::move(o.key_);
  }
  return *this;
}

Claim::~Claim() {
  if (receiver_) receiver_->release(key_);
}

Result<Claim> claim_part(Session& session, const std::string& key) {
  if (auto busy = session.receiver.claim(key, session); !busy) return Failure{busy.error()};
  return Claim(&session.receiver, key);
}

Result<void> Receiver::claim(const std::string& key, Session& session) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(options_.idle_timeout * 1000));
  for (;;) {
    const auto it = parts_.find(key);
    if (it == parts_.end()) break;
    Session* older = it->second;
    if (older == &session) return Failure{"busy: this connection is sending the same file twice"};
    if (!older->taken_over.exchange(true)) {
      // Shutting the socket down wakes the older connection's thread from
      // any wait on it; it stops, commits what it finished, and lets go.
      ::shutdown(older->conn.fd(), SHUT_RDWR);
      reporter_.log("taking over " + key + " from " + older->peer + ": " + session.peer +
                    " sends the same file again");
    }
    if (released_.wait_until(lock, deadline) == std::cv_status::timeout && parts_.count(key)) {
      return Failure{"busy: the older transfer of the same file did not end within --idle-timeout"};
    }
  }
  parts_.emplace(key, &session);
  return {};
}

void Receiver::release(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    parts_.erase(key);
  }
  released_.notify_all();
}

}  // namespace socklab::filexfer
