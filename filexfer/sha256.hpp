// SHA-256 through OpenSSL's EVP interface: both sides hash every file,
// and the receiver's verdict compares the two.
#pragma once

#include <openssl/evp.h>

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

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

/// Feeds the first `size` bytes of the file `fd` to `hash`, read with pread
/// into `buffer` (the file's offset is not moved). A read that fails, a file
/// shorter than `size`, or `stop` set (a newer transfer took over) throws
/// StepError("read NAME", why): the transfer cannot go on.
void hash_file(Hasher& hash, int fd, std::uint64_t size, std::span<char> buffer, const std::string& name,
               const std::atomic<bool>* stop = nullptr);

}  // namespace socklab::filexfer
