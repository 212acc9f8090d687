// The part file's appends: whole aligned blocks straight to the disk
// (O_DIRECT), the rest through the page cache, always in order; and the
// PartWriter that makes them on a thread of its own.
#include "filexfer/part_file.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "temp_dir.hpp"

using namespace socklab::filexfer;

namespace {

struct Dir : TempDir {
  Dir() : TempDir("socklab-part") {}
  // Whether this directory's filesystem takes O_DIRECT at all (tmpfs before
  // Linux 6.6 does not): then the part must use it.
  bool takes_direct() const {
    const int probe = ::openat(fd, "probe", O_RDWR | O_CREAT | O_DIRECT, 0600);
    if (probe < 0) return false;
    ::close(probe);
    ::unlinkat(fd, "probe", 0);
    return true;
  }
};

// `n` bytes that differ from block to block, so a block out of place shows.
std::string pattern(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7 + i / 4096);
  return s;
}

bool direct_now(const PartFile& part) { return (::fcntl(part.fd(), F_GETFL) & O_DIRECT) != 0; }

}  // namespace

TEST_CASE("PartFile::append") {
  Dir dir;
  PartFile part(dir.fd, ".a.part");
  REQUIRE(part.open(false, true));
  IoBuffer buffer;
  buffer.allocate(3 * direct_alignment);
  const auto append = [&](const std::string& bytes) {
    std::memcpy(buffer.data(), bytes.data(), bytes.size());
    part.append({buffer.data(), bytes.size()});
  };

  SUBCASE("writes whole aligned blocks with O_DIRECT, the rest through the page cache, in order") {
    const std::string one = pattern(2 * direct_alignment, 'a');  // aligned: direct
    const std::string two = pattern(100, 'b');                   // a tail: the page cache
    const std::string three = pattern(direct_alignment, 'c');    // at an odd offset: the page cache
    append(one);
    if (dir.takes_direct()) CHECK(direct_now(part));
    append(two);
    CHECK_FALSE(direct_now(part));
    append(three);
    CHECK_FALSE(direct_now(part));
    CHECK(part.appended() == one.size() + two.size() + three.size());
    CHECK(part.size() == part.appended());
    CHECK(part.sync_data());
    CHECK(dir.read(".a.part") == one + two + three);
  }

  SUBCASE(
      "direct appends past each 8 MiB, where the disk is told to flush its cache, stay whole and in order") {
    IoBuffer mib;
    mib.allocate(1 << 20);
    std::string expected;
    for (int i = 0; i < 70; ++i) {  // crosses 8 MiB eight times
      const std::string piece = pattern(mib.size(), static_cast<char>(i));
      std::memcpy(mib.data(), piece.data(), piece.size());
      part.append(mib.span());
      expected += piece;
    }
    if (dir.takes_direct()) {
      CHECK(direct_now(part));
      CHECK(part.flushed() >= 64 << 20);  // flushed on the way, not only at the end
    }
    CHECK(part.sync_data());
    CHECK(part.flushed() == part.appended());
    CHECK(dir.read(".a.part") == expected);
  }

  SUBCASE("after a resume at an odd byte, truncates and appends from there") {
    append(pattern(direct_alignment, 'x'));
    part.truncate_to(10);
    const std::string rest = pattern(direct_alignment - 10, 'y');
    append(rest);
    append(pattern(direct_alignment, 'z'));  // aligned again: direct
    if (dir.takes_direct()) CHECK(direct_now(part));
    CHECK(dir.read(".a.part") ==
          pattern(direct_alignment, 'x').substr(0, 10) + rest + pattern(direct_alignment, 'z'));
  }
}

TEST_CASE("PartWriter") {
  Dir dir;
  PartFile part(dir.fd, ".w.part");
  REQUIRE(part.open(false, true));
  PartWriter writer(3, 2 * direct_alignment);

  SUBCASE("writes the buffers in the order they were handed over") {
    std::string expected;
    for (int i = 0; i < 9; ++i) {
      const std::span<char> b = writer.next();
      REQUIRE(b.size() == 2 * direct_alignment);
      // The last piece is short, as a file's end is.
      const std::string piece = pattern(i == 8 ? 1000 : b.size(), static_cast<char>('a' + i));
      std::memcpy(b.data(), piece.data(), piece.size());
      writer.write(part, piece.size());
      expected += piece;
    }
    writer.finish();
    CHECK(dir.read(".w.part") == expected);
  }

  SUBCASE("a write that fails is thrown by finish(), once, and the writes after it are not made") {
    // RLIMIT_FSIZE makes a write past 8 KiB fail with EFBIG, as a full disk would with ENOSPC.
    rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 2 * direct_alignment;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string error;
    try {
      for (int i = 0; i < 3; ++i) {
        const std::span<char> b = writer.next();  // throws once the failure is known
        std::memset(b.data(), 'a' + i, b.size());
        writer.write(part, b.size());
      }
      writer.finish();
    } catch (const socklab::StepError& e) {
      error = e.step() + ": " + e.reason();
    }
    try {
      writer.finish();  // gives up the failure if next() was the one to throw it
    } catch (const socklab::StepError&) {
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    CHECK(error == std::string("write .w.part: ") + std::strerror(EFBIG));
    CHECK(part.appended() == 2 * direct_alignment);  // the first buffer, and nothing after the failure
    CHECK_NOTHROW(writer.finish());
    CHECK(dir.read(".w.part") == std::string(2 * direct_alignment, 'a'));
  }
}
