#include "filexfer/sha256.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/error.hpp"

namespace socklab::filexfer {

Hasher::Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256: cannot start");
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

void Hasher::update(std::span<const char> bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }

Sha256 Hasher::finish() {
  Sha256 out{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx_, out.data(), &len);
  return out;
}

void hash_file(Hasher& hash, int fd, std::uint64_t size, std::span<char> buffer, const std::string& name,
               const std::atomic<bool>* stop) {
  for (std::uint64_t at = 0; at < size;) {
    if (stop && *stop) throw StepError("read " + name, "a newer transfer of the same file took over");
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - at));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StepError("read " + name, std::strerror(errno));
    if (n == 0) throw StepError("read " + name, "the file got shorter while it was being read");
    hash.update(buffer.first(static_cast<std::size_t>(n)));
    at += static_cast<std::uint64_t>(n);
  }
}

}  // namespace socklab::filexfer
