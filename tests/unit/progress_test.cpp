#include "common/progress.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

using socklab::human_bytes;
using socklab::Progress;

namespace {

// Sends what the process writes to stderr (fd 2) into a temporary file for
// as long as it lives; text() reads it back.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
    std::fflush(stderr);
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() {
    restore();
    std::fclose(file_);
  }
  std::string text() {
    restore();
    std::string out;
    std::rewind(file_);
    for (int c = std::fgetc(file_); c != EOF; c = std::fgetc(file_)) out += static_cast<char>(c);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};

int count(const std::string& text, char c) {
  int n = 0;
  for (char x : text) n += x == c;
  return n;
}

}  // namespace

TEST_CASE("human_bytes") {
  SUBCASE("counts bytes below 1 KiB whole") {
    CHECK(human_bytes(0) == "0 B");
    CHECK(human_bytes(512) == "512 B");
    CHECK(human_bytes(1023) == "1023 B");
  }
  SUBCASE("uses binary units with one decimal from 1 KiB") {
    CHECK(human_bytes(1024) == "1.0 KiB");
    CHECK(human_bytes(1536) == "1.5 KiB");
    CHECK(human_bytes(1.5 * 1024 * 1024) == "1.5 MiB");
    CHECK(human_bytes(3.0 * 1024 * 1024 * 1024) == "3.0 GiB");
    CHECK(human_bytes(2.0 * 1024 * 1024 * 1024 * 1024) == "2.0 TiB");
  }
  SUBCASE("stops at TiB") { CHECK(human_bytes(2048.0 * 1024 * 1024 * 1024 * 1024) == "2048.0 TiB"); }
}

TEST_CASE("Progress::line") {
  SUBCASE("shows bytes, percent, rate and time left half way") {
    CHECK(Progress::line("a.txt", 512, 1024, 1.0) ==
          "a.txt [##########..........] 512 B / 1.0 KiB  50%  512 B/s  ETA 1 s");
  }
  SUBCASE("has no rate and no time left before the first second") {
    CHECK(Progress::line("a.txt", 0, 1024, 0.0) == "a.txt [....................] 0 B / 1.0 KiB   0%  0 B/s");
  }
  SUBCASE("has no time left once done") {
    CHECK(Progress::line("big", 10 * 1024 * 1024, 10 * 1024 * 1024, 4.0) ==
          "big [####################] 10.0 MiB / 10.0 MiB 100%  2.5 MiB/s");
  }
  SUBCASE("rounds the time left to whole seconds") {
    CHECK(Progress::line("f", 100, 1000, 1.0) ==
          "f [##..................] 100 B / 1000 B  10%  100 B/s  ETA 9 s");
  }
  SUBCASE("counts an empty file as complete") {
    CHECK(Progress::line("empty", 0, 0, 2.0) == "empty [####################] 0 B / 0 B 100%  0 B/s");
  }
  SUBCASE("keeps the bar 20 wide when more arrived than announced") {
    CHECK(Progress::line("grew", 3000, 1000, 1.0) ==
          "grew [####################] 2.9 KiB / 1000 B 300%  2.9 KiB/s");
  }
}

TEST_CASE("Progress") {
  SUBCASE("prints nothing when disabled (stderr is not a terminal)") {
    StderrCapture err;
    Progress p("a.txt", 100, false);
    p.update(50);
    p.finish();
    CHECK(err.text() == "");
  }
  SUBCASE("redraws one line in place and ends it on finish") {
    StderrCapture err;
    Progress p("a.txt", 100, true);
    p.update(50);
    p.finish();
    const std::string out = err.text();
    // "\r" returns to the start of the line, "\033[K" clears what a longer
    // earlier line left; only finish() ends the line.
    REQUIRE(count(out, '\r') == 2);
    CHECK(out.rfind("\ra.txt [##########..........] 50 B / 100 B  50%", 0) == 0);
    const std::size_t second = out.find('\r', 1);
    CHECK(out.substr(second).rfind("\ra.txt [##########..........] 50 B / 100 B  50%", 0) == 0);
    CHECK(out.substr(second - 3, 3) == "\033[K");
    CHECK(out.substr(out.size() - 4) == "\033[K\n");
    CHECK(count(out, '\n') == 1);
  }
  SUBCASE("redraws at most ten times a second") {
    StderrCapture err;
    Progress p("a.txt", 100000, true);
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t done = 1; done <= 1000; ++done) p.update(done);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const std::string out = err.text();
    // The first update draws; later ones only when 100 ms have passed.
    CHECK(count(out, '\r') >= 1);
    CHECK(count(out, '\r') <= 1 + static_cast<int>(ms / 100));
  }
}
