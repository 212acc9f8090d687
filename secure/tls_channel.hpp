// A TLS 1.3 channel over a connected socket, authenticated both ways by the
// run's code: both sides derive the same pre-shared key from it (HKDF), and
// only a peer holding that key can finish the handshake. The handshake still
// does an ECDHE key exchange (psk_dhe_ke), so a code learnt later does not
// decrypt a recorded transfer. No certificates. OpenSSL does every cipher,
// key derivation and MAC; notes/private-transfer-design.md says why this
// construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "common/result.hpp"
#include "secure/code.hpp"

namespace socklab::secure {

/// How long the channel waits, and for what besides its socket.
struct ChannelLimits {
  /// The whole handshake must finish within this.
  std::chrono::milliseconds handshake = std::chrono::seconds(10);
  /// A read or write that makes no progress for this long fails.
  std::chrono::milliseconds idle = std::chrono::seconds(30);
  /// Polled beside the socket (e.g. StopSignals::fd()); readable = give up.
  int stop_fd = -1;
};

/// How a handshake ended on the receiver's side, for its GuessLimit.
enum class HandshakeOutcome {
  done,        // both sides hold the code
  wrong_code,  // the sender presented a key from another code: one guess spent
  no_guess,    // not TLS, cut, timed out, replayed: no code was tried
};

/// An established channel. It does not own the socket: the caller closes
/// the fd after the channel is gone. The fd is switched to non-blocking.
/// Writes to a closed peer raise SIGPIPE: call ignore_broken_pipe() first.
class TlsChannel {
 public:
  /// Receiver side: waits for the sender's handshake on `fd`. Fails with
  /// "a sender presented a wrong code", "not a socklab TLS handshake", or a
  /// cut or timed-out connection. `outcome`, when given, says whether a code
  /// was tried (for GuessLimit::finish).
  static Result<TlsChannel> accept(int fd, const Code& code, ChannelLimits limits = {},
                                   HandshakeOutcome* outcome = nullptr);
  /// Sender side: starts the handshake on `fd`. Fails with "the receiver
  /// refused the code", "the receiver's answer is not a socklab TLS
  /// handshake", or a cut or timed-out connection.
  static Result<TlsChannel> connect(int fd, const Code& code, ChannelLimits limits = {});

  TlsChannel(TlsChannel&&) noexcept;
  TlsChannel& operator=(TlsChannel&&) noexcept;
  ~TlsChannel();

  /// Writes all of `data` (encrypted, in records of at most 16 KiB).
  Result<void> write_all(std::span<const char> data);
  /// Reads 1 to buf.size() bytes; 0 means the peer closed the channel
  /// cleanly (close_notify). A connection cut without close_notify is an error.
  Result<std::size_t> read_some(std::span<char> buf);
  /// Reads exactly buf.size() bytes, or fails saying how many came.
  Result<void> read_exact(std::span<char> buf);
  /// Sends close_notify: the peer's read_some() then returns 0. Does not
  /// wait for the peer's own close_notify (TLS 1.3 does not require it).
  Result<void> shutdown();

  /// The key-exchange group the handshake used (e.g. "x25519"): proof that
  /// ECDHE ran beside the code.
  std::string key_exchange_group() const;
  /// The cipher suite (e.g. "TLS_AES_128_GCM_SHA256").
  std::string cipher() const;

  /// OpenSSL's state for one channel (tls_channel.cpp).
  struct Impl;

 private:
  explicit TlsChannel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace socklab::secure
