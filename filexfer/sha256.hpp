// SHA-256 through OpenSSL's EVP interface: both sides hash every file,
// and the receiver's verdict compares the two.
#pragma once

#include <openssl/evp.h>

#include <span>

#include "filexfer/protocol.hpp"

namespace socklab::filexfer {

/// SHA-256 of a stream of bytes, through OpenSSL's EVP interface.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(std::span<const char> bytes);
  Sha256 finish();

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace socklab::filexfer
