// capture/child_process: the programs socklab runs beside itself, run for
// real (sh, printf, sleep): their output, exit status, environment, stderr,
// signals, and what they leave running.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "capture/child_process.hpp"
#include "common/stop_signals.hpp"

using namespace socklab;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `argv` to its end (start_command, waitpid) and gives shell_status.
int status_of(const std::vector<std::string>& argv) {
  auto pid = start_command(argv);
  REQUIRE_MESSAGE(pid, pid.error());
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  return shell_status(status);
}

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name, old;
  bool had;
  ScopedEnv(const char* n, const char* value) : name(n), had(std::getenv(n) != nullptr) {
    if (had) old = std::getenv(n);
    setenv(n, value, 1);
  }
  ~ScopedEnv() {
    if (had)
      setenv(name.c_str(), old.c_str(), 1);
    else
      unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("on_path") {
  CHECK(on_path("sh"));
  CHECK_FALSE(on_path("socklab-no-such-program"));
  ScopedEnv path("PATH", "/nonexistent");
  CHECK_FALSE(on_path("sh"));
}

TEST_CASE("run_command") {
  SUBCASE("returns what the program printed") {
    auto out = run_command({"printf", "one\\ntwo"});
    REQUIRE_MESSAGE(out, out.error());
    CHECK(*out == "one\ntwo");
  }
  SUBCASE("throws its stderr away") {
    auto out = run_command({"sh", "-c", "echo out; echo err >&2"});
    REQUIRE(out);
    CHECK(*out == "out\n");
  }
  SUBCASE("a non-zero exit is a failure that gives the status") {
    CHECK(run_command({"sh", "-c", "exit 3"}).error() == "sh failed (exit status 3)");
    CHECK(run_command({"sh", "-c", "kill -KILL $$"}).error() == "sh failed (exit status 137)");
  }
  SUBCASE("a missing program names its Debian package") {
    ScopedEnv path("PATH", "/nonexistent");
    CHECK(run_command({"ss", "-tan"}).error() == "ss is not installed (Debian package iproute2)");
    CHECK(run_command({"netstat"}).error() == "netstat is not installed (Debian package net-tools)");
  }
}

TEST_CASE("start_command and shell_status") {
  SUBCASE("the exit code, or 128 + the signal") {
    CHECK(status_of({"sh", "-c", "exit 5"}) == 5);
    CHECK(status_of({"true"}) == 0);
    CHECK(status_of({"sh", "-c", "kill -TERM $$"}) == 128 + SIGTERM);
  }
  SUBCASE("exec's failure is the reason") {
    CHECK(start_command({"/nonexistent/program"}).error() ==
          "/nonexistent/program: No such file or directory");
  }
  SUBCASE("the child gets SIGPIPE back, though we ignore it") {
    ignore_broken_pipe();
    // Bit 13 of SigIgn is SIGPIPE (bit N-1 for signal N).
    auto out = run_command({"sh", "-c", "grep SigIgn /proc/self/status"});
    REQUIRE_MESSAGE(out, out.error());
    const auto ignored = std::stoull(out->substr(out->find(':') + 1), nullptr, 16);
    CHECK((ignored & (1ull << (SIGPIPE - 1))) == 0);
  }
}

TEST_CASE("end_leftovers") {
  SUBCASE("ends what a command left running, which we adopted") {
    adopt_orphans();
    const std::string pid_file = "/tmp/socklab-leftover-" + std::to_string(getpid());
    CHECK(status_of({"sh", "-c", "sleep 60 & echo $! > " + pid_file}) == 0);
    std::ifstream in(pid_file);
    pid_t leftover = 0;
    in >> leftover;
    std::remove(pid_file.c_str());
    REQUIRE(leftover > 0);
    CHECK(kill(leftover, 0) == 0);  // still running, now our child
    const auto start = std::chrono::steady_clock::now();
    end_leftovers(1000);
    CHECK(seconds_since(start) < 3);
    CHECK(kill(leftover, 0) != 0);  // ended and reaped
  }
}

TEST_CASE("ChildProcess") {
  SUBCASE("gives its lines as they come, then says it ended") {
    auto child = ChildProcess::start({"sh", "-c", "echo one; echo two; echo oops >&2"});
    REQUIRE_MESSAGE(child, child.error());
    std::string line;
    REQUIRE((*child)->next_line(line, 5) == ChildProcess::Wait::line);
    CHECK(line == "one");
    REQUIRE((*child)->next_line(line, 5) == ChildProcess::Wait::line);
    CHECK(line == "two");
    CHECK((*child)->next_line(line, 5) == ChildProcess::Wait::ended);
    CHECK((*child)->error_text() == "oops\n");
  }
  SUBCASE("a line not yet finished waits; next_line times out") {
    auto child = ChildProcess::start({"sh", "-c", "printf 'a\\nb\\nhalf'; sleep 30"});
    REQUIRE(child);
    (*child)->wait_quiet(0.3, 5);
    CHECK((*child)->lines() == std::vector<std::string>{"a", "b"});
    std::string line;
    const auto start = std::chrono::steady_clock::now();
    CHECK((*child)->next_line(line, 0.2) == ChildProcess::Wait::timeout);
    CHECK(seconds_since(start) < 3);
    (*child)->stop(SIGTERM, 1);
    CHECK(seconds_since(start) < 5);
  }
  SUBCASE("adds its environment, but ours wins") {
    auto added =
        ChildProcess::start({"sh", "-c", "echo $SOCKLAB_TEST_VALUE"}, {{"SOCKLAB_TEST_VALUE", "given"}});
    REQUIRE(added);
    std::string line;
    REQUIRE((*added)->next_line(line, 5) == ChildProcess::Wait::line);
    CHECK(line == "given");
    ScopedEnv ours("SOCKLAB_TEST_VALUE", "ours");
    auto kept =
        ChildProcess::start({"sh", "-c", "echo $SOCKLAB_TEST_VALUE"}, {{"SOCKLAB_TEST_VALUE", "given"}});
    REQUIRE(kept);
    REQUIRE((*kept)->next_line(line, 5) == ChildProcess::Wait::line);
    CHECK(line == "ours");
  }
  SUBCASE("stop() ends one that ignores SIGTERM with SIGKILL") {
    auto child = ChildProcess::start({"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"});
    REQUIRE(child);
    std::string line;
    REQUIRE((*child)->next_line(line, 5) == ChildProcess::Wait::line);
    const auto start = std::chrono::steady_clock::now();
    (*child)->stop(SIGTERM, 0.3);
    CHECK(seconds_since(start) < 3);
  }
  SUBCASE("a program that cannot start says why") {
    CHECK(ChildProcess::start({"/nonexistent/program"}).error() ==
          "/nonexistent/program: No such file or directory");
  }
}

TEST_CASE("process_table") {
  SUBCASE("lists this process, with its parent and a running state") {
    const auto table = socklab::process_table();
    const auto self =
        std::find_if(table.begin(), table.end(), [](const auto& e) { return e.pid == ::getpid(); });
    REQUIRE(self != table.end());
    CHECK(self->ppid == ::getppid());
    CHECK(self->state == 'R');  // it is reading /proc as it finds itself
  }
}
