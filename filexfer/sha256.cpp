#include "filexfer/sha256.hpp"

#include <stdexcept>

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

}  // namespace socklab::filexfer
