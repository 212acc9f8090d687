// Progress over a whole run of sendfile or recvfile: the whole-run line,
// the summary, and the two lines drawn and taken away on a terminal.
#include "filexfer/run_progress.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

using namespace socklab::filexfer;

TEST_CASE("RunProgress::run_line") {
  SUBCASE("names the file moving now, the bytes of the run, the rate and what is left") {
    const RunTotals run{1, 1 << 20, 1 << 20, 0, 0};
    CHECK(RunProgress::run_line(run, 3, 3 << 20, 1.0) ==
          "file 2 of 3, 1.0 MiB of 3.0 MiB, 1.0 MiB/s, ETA 0:02");
  }
  SUBCASE("counts what was there already and what failed; no ETA at the end") {
    const RunTotals run{3, 3 << 20, 1 << 20, 1, 2};
    CHECK(RunProgress::run_line(run, 3, 3 << 20, 2.0) ==
          "file 3 of 3, 3.0 MiB of 3.0 MiB, 512.0 KiB/s, 1 there already, 2 failed");
  }
  SUBCASE("an ETA past an hour has hours") {
    const RunTotals run{0, 1024, 1024, 0, 0};
    CHECK(RunProgress::run_line(run, 1, 1024 * 3601 + 1024, 1.0).ends_with(", ETA 1:00:01"));
  }
  SUBCASE("nothing moved yet: no rate to divide by") {
    CHECK(RunProgress::run_line({}, 2, 100, 0) == "file 1 of 2, 0 B of 100 B, 0 B/s");
  }
}

TEST_CASE("RunProgress::summary") {
  CHECK(RunProgress::summary({1, 2048, 2048, 0, 0}, 2.0) ==
        "1 file, 2.0 KiB moved in 2.00 s (1.0 KiB/s); 0 there already, 0 failed");
  CHECK(RunProgress::summary({3, 4096, 1024, 2, 1}, 0.5) ==
        "3 files, 1.0 KiB moved in 0.50 s (2.0 KiB/s); 2 there already, 1 failed");
}

TEST_CASE("RunProgress drawing") {
  std::ostringstream out;
  SUBCASE("disabled (not a terminal, or -q): draws nothing") {
    RunProgress progress(out, false, 1, 10);
    progress.update("a.txt", 5, 10, {}, true);
    progress.clear();
    CHECK(out.str().empty());
  }
  SUBCASE("two lines, redrawn in place, taken away by clear") {
    RunProgress progress(out, true, 1, 10);
    progress.update("a.txt", 5, 10, {}, true);
    const std::string first = out.str();
    CHECK(first.find("a.txt") != std::string::npos);
    CHECK(first.find("\033[K\nfile 1 of 1, 0 B of 10 B") != std::string::npos);
    CHECK(first.find("\033[1A") == std::string::npos);  // nothing drawn before: nothing to go back over
    progress.update("a.txt", 10, 10, {}, true);
    CHECK(out.str().substr(first.size()).starts_with("\r\033[1A"));  // back to the first line
    const std::size_t before_clear = out.str().size();
    progress.clear();
    CHECK(out.str().substr(before_clear) == "\r\033[K\033[1A\033[K");
    progress.clear();  // a second clear has nothing to take away
    CHECK(out.str().size() == before_clear + 11);
  }
  SUBCASE("without force, a redraw within 0.1 s is skipped") {
    RunProgress progress(out, true, 1, 10);
    progress.update("a.txt", 1, 10, {}, true);
    const std::size_t drawn = out.str().size();
    progress.update("a.txt", 2, 10, {});
    CHECK(out.str().size() == drawn);
  }
}
