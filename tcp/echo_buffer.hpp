// Where an echo connection's bytes wait between read and write: 1 KiB of
// the connection's own while the peer writes little, 64 KiB while it
// writes much. Why these sizes, measured: bench/NOTES.md, "echo".
#pragma once

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <asio/buffer.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace socklab {

/// The read and write steps of one echo connection. The stream must be
/// non-blocking (socket.non_blocking(true)): both steps first try the call
/// at once and wait only when the kernel has nothing to give or take.
class EchoBuffer {
 public:
  static constexpr std::size_t small_size = 1024;
  static constexpr std::size_t large_size = std::size_t{64} * 1024;
  /// Short reads in a row after which a large buffer is given back.
  static constexpr int short_reads_to_shrink = 16;

  /// Waits for bytes and reads them. The view stays valid until the next
  /// read. Sets `ec` at the end (eof, reset, operation_aborted when the
  /// socket was closed under us) and then returns no bytes.
  template <class Stream>
  asio::awaitable<std::string_view> read(Stream& stream, std::error_code& ec) {
    if (shrink_) large_.reset();  // the last echo is written: small again
    shrink_ = false;
    if (held_) {
      ec = std::exchange(held_, {});
      co_return std::string_view{};
    }
    if (large_) {
      const std::size_t n = co_await stream.async_read_some(asio::buffer(*large_),
                                                            asio::redirect_error(asio::use_awaitable, ec));
      // A large write often ends in a short piece: give the large buffer
      // back only after many short reads in a row.
      short_reads_ = n < small_size ? short_reads_ + 1 : 0;
      shrink_ = short_reads_ == short_reads_to_shrink;
      co_return std::string_view(large_->data(), n);
    }
    // Waiting with async_read_some costs no system call but the read itself
    // (async_wait would cost an epoll_ctl each time).
    std::size_t n =
        co_await stream.async_read_some(asio::buffer(small_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec || n < small_size) co_return std::string_view(small_.data(), n);

    // The 1 KiB is full: a large write is arriving. Read the rest of it at
    // once behind the first part, in the thread's buffer, so one write
    // echoes both; from now on wait with a large buffer of our own.
    std::memcpy(spill_.data(), small_.data(), n);
    std::error_code more;
    n += stream.read_some(asio::buffer(spill_.data() + n, spill_.size() - n), more);
    if (more && more != asio::error::would_block) held_ = more;  // reported by the next read
    large_ = std::make_unique_for_overwrite<std::array<char, large_size>>();
    short_reads_ = 0;
    co_return std::string_view(spill_.data(), n);
  }

  /// Sends all of `data`: first straight away; what the kernel cannot take
  /// now waits until the peer reads. Meanwhile we read nothing more from
  /// this peer: that is the back-pressure on a client that never reads.
  template <class Stream>
  asio::awaitable<void> write(Stream& stream, std::string_view data, std::error_code& ec) {
    std::size_t sent = stream.write_some(asio::buffer(data.data(), data.size()), ec);
    if (ec == asio::error::would_block) {
      ec.clear();
      sent = 0;
    }
    if (ec || sent == data.size()) co_return;
    // Bytes in the thread's buffer must be copied before we wait: another
    // connection on this thread reads into it meanwhile.
    std::string copy;
    std::string_view rest = data.substr(sent);
    if (in_spill(rest)) rest = copy.assign(rest);
    co_await asio::async_write(stream, asio::buffer(rest.data(), rest.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  }

  /// Whether the connection holds 64 KiB now (for tests and measurements).
  bool large() const { return large_ != nullptr; }

 private:
  static bool in_spill(std::string_view data) {
    return data.data() >= spill_.data() && data.data() < spill_.data() + spill_.size();
  }

  std::array<char, small_size> small_;
  std::unique_ptr<std::array<char, large_size>> large_;
  int short_reads_ = 0;   // reads in a row that the small buffer would have held
  bool shrink_ = false;   // give the large buffer back before the next read
  std::error_code held_;  // an error met just after data: reported by the next read
  // One per thread, not per connection: between the read that fills it and
  // the write of the same bytes the coroutine suspends only after copying.
  static inline thread_local std::array<char, large_size> spill_;
};

}  // namespace socklab
