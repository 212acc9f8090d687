#include "common/progress.hpp"

#include <doctest/doctest.h>

#include <string>

using socklab::human_bytes;
using socklab::Progress;

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
