// secure/tls_channel: TLS 1.3 with an external pre-shared key from the code,
// over a non-blocking socket that poll() waits on.
#include "secure/tls_channel.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace socklab::secure {
namespace {

using Clock = std::chrono::steady_clock;

// The PSK's identity on the wire. It is the same for every code, so it
// tells an eavesdropper nothing about the code (a digest of the code would
// be a second offline test for guesses).
constexpr std::string_view psk_identity = "socklab-transfer-v1";
// HKDF's salt and info: fixed labels that tie the key to this use, so the
// same code used elsewhere would not give the same key.
constexpr std::string_view hkdf_salt = "socklab";
constexpr std::string_view hkdf_info = "socklab private transfer v1: TLS 1.3 external PSK";
// TLS_AES_128_GCM_SHA256 (RFC 8446, B.4): the PSK is as long as its hash.
constexpr std::array<unsigned char, 2> cipher_id = {0x13, 0x01};
constexpr std::size_t key_size = 32;

// The TLS handshake message types the channel watches for (RFC 8446, 4).
constexpr unsigned char client_hello = 1;
constexpr unsigned char server_hello = 2;

using Key = std::array<unsigned char, key_size>;

Result<Key> derive_key(const Code& code) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return Failure{"OpenSSL has no HKDF"};
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return Failure{"OpenSSL could not start HKDF"};
  std::string ikm = code.canonical();
  std::string salt(hkdf_salt), info(hkdf_info);
  std::array<OSSL_PARAM, 5> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm.data(), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  Key key{};
  int ok = EVP_KDF_derive(ctx, key.data(), key.size(), params.data());
  EVP_KDF_CTX_free(ctx);
  OPENSSL_cleanse(ikm.data(), ikm.size());
  if (ok != 1) return Failure{"HKDF failed"};
  return key;
}

// What waiting on the socket came to.
enum class Wait { ready, timed_out, stopped };

Wait wait_for(int fd, short events, Clock::time_point deadline, int stop_fd) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Wait::timed_out;
    std::array<pollfd, 2> fds = {pollfd{fd, events, 0}, pollfd{stop_fd, POLLIN, 0}};
    int n = ::poll(fds.data(), stop_fd >= 0 ? 2 : 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Wait::ready;  // let OpenSSL's own read or write report the error
    if (stop_fd >= 0 && (fds[1].revents & POLLIN) != 0) return Wait::stopped;
    if (n > 0) return Wait::ready;
  }
}

std::string seconds(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

// The reasons OpenSSL queued for the last failure, earliest first; clears the queue.
std::vector<int> take_reasons() {
  std::vector<int> reasons;
  while (unsigned long e = ERR_get_error()) reasons.push_back(ERR_GET_REASON(e));
  return reasons;
}

bool has(const std::vector<int>& reasons, int reason) {
  for (int r : reasons)
    if (r == reason) return true;
  return false;
}

std::string first_reason(const std::vector<int>& reasons) {
  if (reasons.empty()) return "unknown error";
  const char* s = ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, reasons.front()));
  return s != nullptr ? s : "error " + std::to_string(reasons.front());
}

}  // namespace

struct TlsChannel::Impl {
  int fd = -1;
  ChannelLimits limits;
  bool server = false;
  Key key{};
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  // What the handshake saw, for telling failures apart.
  bool peer_hello = false;    // a ClientHello (server) or ServerHello (client) came
  bool code_offered = false;  // server: the sender offered our PSK identity
  int alert_received = -1;    // the alert the peer sent, if any

  ~Impl() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    OPENSSL_cleanse(key.data(), key.size());
  }

  // One pass of an OpenSSL call that can want the socket: the poll result.
  Result<void> wait(int ssl_error, Clock::time_point deadline, std::string_view during) {
    short events = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
    switch (wait_for(fd, events, deadline, limits.stop_fd)) {
      case Wait::ready:
        return {};
      case Wait::stopped:
        return Failure{"stopped"};
      case Wait::timed_out:
        break;
    }
    if (during == "handshake")
      return Failure{"the TLS handshake did not finish within " + seconds(limits.handshake)};
    return Failure{"the connection made no progress for " + seconds(limits.idle)};
  }

  // The one line for a failed handshake, and whether a code was tried.
  std::string handshake_failure(int ssl_error, int saved_errno, HandshakeOutcome& outcome) {
    std::vector<int> reasons = take_reasons();
    outcome = HandshakeOutcome::no_guess;
    bool cut = ssl_error == SSL_ERROR_SYSCALL || has(reasons, SSL_R_UNEXPECTED_EOF_WHILE_READING);
    if (server) {
      if (has(reasons, SSL_R_BINDER_DOES_NOT_VERIFY)) {
        outcome = HandshakeOutcome::wrong_code;
        return "a sender presented a wrong code";
      }
      if (cut && saved_errno == ECONNRESET) return "the sender reset the connection during the TLS handshake";
      if (cut) return "the connection closed during the TLS handshake";
      if (!peer_hello || !code_offered) return "not a socklab TLS handshake";
      if (alert_received >= 0)
        return std::string("the sender ended the TLS handshake: ") +
               SSL_alert_desc_string_long(alert_received);
      return "the sender's TLS handshake did not verify (replayed or altered on the way): " +
             first_reason(reasons);
    }
    // OpenSSL 3.0's receiver answers a binder that does not verify (a key
    // from another code) with illegal_parameter; RFC 8446 names decrypt_error.
    if (!peer_hello && (alert_received == SSL_AD_ILLEGAL_PARAMETER || alert_received == SSL_AD_DECRYPT_ERROR))
      return "the receiver refused the code";
    if (alert_received >= 0)
      return std::string("the receiver ended the TLS handshake: ") +
             SSL_alert_desc_string_long(alert_received);
    if (cut && saved_errno == ECONNRESET) return "the receiver reset the connection during the TLS handshake";
    if (cut) return "the connection closed during the TLS handshake";
    if (!peer_hello) return "the receiver's answer is not a socklab TLS handshake";
    return "the receiver's TLS handshake did not verify (someone in the middle?): " + first_reason(reasons);
  }

  // The one line for a failed read or write after the handshake.
  std::string data_failure(int ssl_error, int saved_errno) {
    std::vector<int> reasons = take_reasons();
    if (has(reasons, SSL_R_UNEXPECTED_EOF_WHILE_READING))
      return "the connection was cut without a TLS close_notify";
    if (ssl_error == SSL_ERROR_SYSCALL) {
      if (saved_errno == ECONNRESET) return "the peer reset the connection";
      if (saved_errno == EPIPE) return "the peer closed the connection";
      return "the connection was cut without a TLS close_notify";
    }
    if (alert_received >= 0)
      return std::string("the peer sent a TLS alert: ") + SSL_alert_desc_string_long(alert_received);
    return "TLS record failed: " + first_reason(reasons);
  }
};

namespace {

TlsChannel::Impl* impl_of(SSL* ssl) { return static_cast<TlsChannel::Impl*>(SSL_get_app_data(ssl)); }

// A TLS 1.3 session whose resumption secret is the key: how OpenSSL 3.0
// takes an external PSK (SSL_CTX_set_psk_use_session_callback(3)).
SSL_SESSION* psk_session(SSL* ssl, const Key& key) {
  const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, cipher_id.data());
  if (cipher == nullptr) return nullptr;
  SSL_SESSION* session = SSL_SESSION_new();
  if (session == nullptr) return nullptr;
  if (SSL_SESSION_set1_master_key(session, key.data(), key.size()) != 1 ||
      SSL_SESSION_set_cipher(session, cipher) != 1 ||
      SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION) != 1) {
    SSL_SESSION_free(session);
    return nullptr;
  }
  return session;
}

int use_session(SSL* ssl, const EVP_MD* md, const unsigned char** id, std::size_t* id_len,
                SSL_SESSION** session) {
  *session = psk_session(ssl, impl_of(ssl)->key);
  if (*session == nullptr) return 0;
  // After a HelloRetryRequest OpenSSL asks again with the hash it chose; a
  // PSK of another hash cannot be offered then.
  if (md != nullptr && md != SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(*session))) {
    SSL_SESSION_free(*session);
    *session = nullptr;
    return 1;
  }
  *id = reinterpret_cast<const unsigned char*>(psk_identity.data());
  *id_len = psk_identity.size();
  return 1;
}

int find_session(SSL* ssl, const unsigned char* id, std::size_t id_len, SSL_SESSION** session) {
  *session = nullptr;
  if (std::string_view(reinterpret_cast<const char*>(id), id_len) != psk_identity) return 1;
  impl_of(ssl)->code_offered = true;
  *session = psk_session(ssl, impl_of(ssl)->key);
  return *session != nullptr ? 1 : 0;
}

// Sees every handshake message and alert, sent or received.
void on_message(int write_p, int /*version*/, int content_type, const void* buf, std::size_t len, SSL* ssl,
                void* /*arg*/) {
  if (write_p != 0 || len == 0) return;
  auto* impl = impl_of(ssl);
  const auto* bytes = static_cast<const unsigned char*>(buf);
  if (content_type == SSL3_RT_HANDSHAKE && bytes[0] == (impl->server ? client_hello : server_hello))
    impl->peer_hello = true;
  if (content_type == SSL3_RT_ALERT && len >= 2) impl->alert_received = bytes[1];
}

Result<void> make_non_blocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return Failure{std::string("cannot make the socket non-blocking: ") + std::strerror(errno)};
  return {};
}

Result<std::unique_ptr<TlsChannel::Impl>> start(int fd, const Code& code, ChannelLimits limits, bool server) {
  auto key = derive_key(code);
  if (!key) return Failure{key.error()};
  if (auto nb = make_non_blocking(fd); !nb) return Failure{nb.error()};
  auto impl = std::make_unique<TlsChannel::Impl>();
  impl->fd = fd;
  impl->limits = limits;
  impl->server = server;
  impl->key = *key;
  OPENSSL_cleanse(key->data(), key->size());
  impl->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (impl->ctx == nullptr) return Failure{"OpenSSL could not make a TLS context"};
  SSL_CTX* ctx = impl->ctx;
  // TLS 1.3 only, one AEAD suite, no session tickets (every run is a new
  // handshake from the code), no early data (OpenSSL's default).
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  // psk_dhe_ke only: OpenSSL offers and accepts plain psk_ke only with
  // SSL_OP_ALLOW_NO_DHE_KEX, which stays off, so ECDHE always runs.
  SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (server)
    SSL_CTX_set_psk_find_session_callback(ctx, find_session);
  else
    SSL_CTX_set_psk_use_session_callback(ctx, use_session);
  SSL_CTX_set_msg_callback(ctx, on_message);
  impl->ssl = SSL_new(ctx);
  if (impl->ssl == nullptr || SSL_set_fd(impl->ssl, fd) != 1) return Failure{"OpenSSL could not start TLS"};
  SSL_set_app_data(impl->ssl, impl.get());
  if (server)
    SSL_set_accept_state(impl->ssl);
  else
    SSL_set_connect_state(impl->ssl);
  return impl;
}

Result<std::unique_ptr<TlsChannel::Impl>> handshake(int fd, const Code& code, ChannelLimits limits,
                                                    bool server, HandshakeOutcome* outcome) {
  HandshakeOutcome ignored{};
  HandshakeOutcome& out = outcome != nullptr ? *outcome : ignored;
  out = HandshakeOutcome::no_guess;
  auto impl = start(fd, code, limits, server);
  if (!impl) return impl;
  Clock::time_point deadline = Clock::now() + limits.handshake;
  ERR_clear_error();
  for (;;) {
    errno = 0;
    int r = SSL_do_handshake((*impl)->ssl);
    if (r == 1) break;
    int err = SSL_get_error((*impl)->ssl, r);
    int saved_errno = errno;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (auto w = (*impl)->wait(err, deadline, "handshake"); !w) return Failure{w.error()};
      continue;
    }
    return Failure{(*impl)->handshake_failure(err, saved_errno, out)};
  }
  out = HandshakeOutcome::done;
  return impl;
}

}  // namespace

TlsChannel::TlsChannel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsChannel::TlsChannel(TlsChannel&&) noexcept = default;
TlsChannel& TlsChannel::operator=(TlsChannel&&) noexcept = default;
TlsChannel::~TlsChannel() = default;

Result<TlsChannel> TlsChannel::accept(int fd, const Code& code, ChannelLimits limits,
                                      HandshakeOutcome* outcome) {
  auto impl = handshake(fd, code, limits, true, outcome);
  if (!impl) return Failure{impl.error()};
  return TlsChannel(std::move(*impl));
}

Result<TlsChannel> TlsChannel::connect(int fd, const Code& code, ChannelLimits limits) {
  auto impl = handshake(fd, code, limits, false, nullptr);
  if (!impl) return Failure{impl.error()};
  return TlsChannel(std::move(*impl));
}

Result<void> TlsChannel::write_all(std::span<const char> data) {
  std::size_t done = 0;
  Clock::time_point deadline = Clock::now() + impl_->limits.idle;
  ERR_clear_error();
  while (done < data.size()) {
    std::size_t n = 0;
    errno = 0;
    if (SSL_write_ex(impl_->ssl, data.data() + done, data.size() - done, &n) == 1) {
      done += n;
      deadline = Clock::now() + impl_->limits.idle;
      continue;
    }
    int err = SSL_get_error(impl_->ssl, 0);
    int saved_errno = errno;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (auto w = impl_->wait(err, deadline, "write"); !w) return w;
      continue;
    }
    return Failure{impl_->data_failure(err, saved_errno)};
  }
  return {};
}

Result<std::size_t> TlsChannel::read_some(std::span<char> buf) {
  Clock::time_point deadline = Clock::now() + impl_->limits.idle;
  ERR_clear_error();
  for (;;) {
    std::size_t n = 0;
    errno = 0;
    if (SSL_read_ex(impl_->ssl, buf.data(), buf.size(), &n) == 1) return n;
    int err = SSL_get_error(impl_->ssl, 0);
    int saved_errno = errno;
    if (err == SSL_ERROR_ZERO_RETURN) return std::size_t{0};
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (auto w = impl_->wait(err, deadline, "read"); !w) return Failure{w.error()};
      continue;
    }
    return Failure{impl_->data_failure(err, saved_errno)};
  }
}

Result<void> TlsChannel::read_exact(std::span<char> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    auto n = read_some(buf.subspan(done));
    if (!n) return Failure{n.error()};
    if (*n == 0)
      return Failure{"the peer closed the channel after " + std::to_string(done) + " of " +
                     std::to_string(buf.size()) + " bytes"};
    done += *n;
  }
  return {};
}

Result<void> TlsChannel::shutdown() {
  Clock::time_point deadline = Clock::now() + impl_->limits.idle;
  ERR_clear_error();
  for (;;) {
    errno = 0;
    int r = SSL_shutdown(impl_->ssl);
    if (r >= 0) return {};  // 0: our close_notify is sent; 1: the peer's came too
    int err = SSL_get_error(impl_->ssl, r);
    int saved_errno = errno;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (auto w = impl_->wait(err, deadline, "shutdown"); !w) return w;
      continue;
    }
    return Failure{impl_->data_failure(err, saved_errno)};
  }
}

std::string TlsChannel::key_exchange_group() const {
  int nid = SSL_get_negotiated_group(impl_->ssl);
  if (nid == 0) return "";
  const char* name = SSL_group_to_name(impl_->ssl, nid);
  return name != nullptr ? name : OBJ_nid2sn(nid);
}

std::string TlsChannel::cipher() const { return SSL_get_cipher_name(impl_->ssl); }

}  // namespace socklab::secure
