// The exercises `socklab check` grades and their checks, in the order they
// run. A check gets the program's address and returns its verdict; each one
// bounds its own waits (limit_ms) so the whole run is bounded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "check/verdict.hpp"

namespace socklab {

class StudentRun;

/// What a check knows of the program under test.
struct CheckContext {
  StudentRun* run = nullptr;
  std::string host;  // where to connect: loopback when it listens on the wildcard
  std::uint16_t port = 0;
};

struct CheckSpec {
  std::string id;
  std::string sentence;
  int limit_ms = 0;  // the longest the check waits, in all
  std::function<CheckResult(const CheckContext&)> run;
};

struct Exercise {
  std::string name;
  std::string summary;
  std::string lesson;             // notes/NAME.md
  std::vector<CheckSpec> checks;  // after "listens", which the runner does itself
  bool udp = false;               // the program binds a UDP port (else it listens on TCP)
};

/// Every exercise, in the order `--list` prints them.
const std::vector<Exercise>& exercises();
/// The exercise named `name`, or nullptr.
const Exercise* find_exercise(const std::string& name);

/// The first check of every TCP server exercise.
inline constexpr const char* listens_id = "listens";
inline constexpr const char* listens_sentence = "the program listens on a TCP port";

/// The first check of the UDP server exercise.
inline constexpr const char* binds_sentence = "the program binds a UDP port";

/// The udp-server exercise's checks (udp_checks.cpp).
std::vector<CheckSpec> udp_server_checks();

/// ASCII letters upper-cased, every other byte unchanged.
std::string ascii_upper(std::string text);

}  // namespace socklab
