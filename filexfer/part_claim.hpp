// The right to write one part file, held by one connection at a time
// (Receiver::claim hands it out): two connections never write one part.
#pragma once

#include <string>
#include <utility>

#include "filexfer/receive_session.hpp"

namespace socklab::filexfer {

/// Holds the claim of one part file; gives it back when destroyed.
class Claim {
 public:
  Claim() = default;
  Claim(Receiver* receiver, std::string key) : receiver_(receiver), key_(std::move(key)) {}
  Claim(Claim&& o) noexcept : receiver_(std::exchange(o.receiver_, nullptr)), key_(std::move(o.key_)) {}
  Claim& operator=(Claim&& o) noexcept;
  Claim(const Claim&) = delete;
  Claim& operator=(const Claim&) = delete;
  ~Claim();

 private:
  Receiver* receiver_ = nullptr;
  std::string key_;
};

/// Claims the part `key` for `session` (see Receiver::claim); the error is
/// the refusal ("busy: ...").
Result<Claim> claim_part(Session& session, const std::string& key);

}  // namespace socklab::filexfer
