// One TCP connection of sendfile or recvfile, over a socketpair: messages
// read whole however the bytes are cut, read-ahead handed back first, and
// every failure named (a close mid-message, a bad message, an idle peer).
#include "filexfer/connection.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

using namespace socklab::filexfer;

namespace {

// A socketpair: `ours` goes to the Connection under test, the test writes
// and reads `theirs`.
struct Pair {
  int ours = -1, theirs = -1;
  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    ours = fds[0];
    theirs = fds[1];
  }
  ~Pair() {
    if (theirs >= 0) ::close(theirs);
  }
  void send(const std::string& bytes) const {
    REQUIRE(::send(theirs, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  }
  void hang_up() {
    ::close(theirs);
    theirs = -1;
  }
};

template <class Step>
std::string failure_of(Step step) {
  try {
    step();
  } catch (const socklab::StepError& e) {
    return e.step() + ": " + e.reason();
  }
  return "no error";
}

// Runs `read` on a Connection of `pair.ours` in a child process with an
// alarm, so that a reader that spins on the half message it has (no system
// call, so no idle timeout) is killed by SIGALRM instead of hanging the
// tests. Returns the child's pid; reader_status() waits for it.
template <class Read>
int read_in_child(Pair& pair, Read read) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pair.theirs);  // the test's end is the parent's alone: its close is the peer's
    ::alarm(5);
    Connection conn(pair.ours, 5);
    ::_exit(read(conn) ? 0 : 1);
  }
  ::close(pair.ours);
  return child;
}

// "passed", "failed", or "killed by SIGALRM" (it never finished).
std::string reader_status(pid_t child) {
  int status = 0;
  if (::waitpid(child, &status, 0) != child) return "waitpid failed";
  if (WIFSIGNALED(status)) return WTERMSIG(status) == SIGALRM ? "killed by SIGALRM" : "killed";
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "passed" : "failed";
}

}  // namespace

TEST_CASE("Connection::read_message") {
  Pair pair;
  const std::string hello = encode(Hello{2, 3, 4096});

  SUBCASE("reads a message split across two reads") {
    const int status = read_in_child(pair, [](Connection& conn) {
      const Hello got = conn.read_message(decode_hello, "read hello");
      return got.version == 2 && got.files == 3 && got.bytes == 4096;
    });
    pair.send(hello.substr(0, 5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the child reads the first half alone
    pair.send(hello.substr(5));
    CHECK(reader_status(status) == "passed");
  }
  SUBCASE("leaves the bytes after the message for the next read") {
    Connection conn(pair.ours, 5);
    pair.send(hello + "rest");
    CHECK(conn.read_message(decode_hello, "read hello").bytes == 4096);
    char buffer[16];
    CHECK(std::string(buffer, conn.read_some(buffer, "read")) == "rest");
  }
  SUBCASE("a close in the middle of a message is an error") {
    const int status = read_in_child(pair, [](Connection& conn) {
      return failure_of([&] { conn.read_message(decode_hello, "read hello"); }) ==
             "read hello: the connection closed in the middle of a message";
    });
    pair.send(hello.substr(0, 5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pair.hang_up();
    CHECK(reader_status(status) == "passed");
  }
  SUBCASE("a message the protocol does not allow is a BadMessage") {
    Connection conn(pair.ours, 5);
    pair.send(std::string("XYZ") + std::string(20, '\0'));
    CHECK_THROWS_AS(conn.read_message(decode_hello, "read hello"), BadMessage);
  }
}

TEST_CASE("Connection reads and writes") {
  Pair pair;

  SUBCASE("what peek read ahead comes first from read_some") {
    Connection conn(pair.ours, 5);
    pair.send("abc");
    CHECK(conn.peek("read") == "abc");
    CHECK(conn.readable());
    char buffer[2];
    CHECK(std::string(buffer, conn.read_some(buffer, "read")) == "ab");
    CHECK(std::string(buffer, conn.read_some(buffer, "read")) == "c");
  }
  SUBCASE("read_some returns 0 at the end of the stream") {
    Connection conn(pair.ours, 5);
    pair.hang_up();
    char buffer[4];
    CHECK(conn.read_some(buffer, "read") == 0);
  }
  SUBCASE("a silent peer fails the read at the idle timeout") {
    Connection conn(pair.ours, 0.05);
    CHECK_FALSE(conn.readable());
    char buffer[4];
    const std::string failure = failure_of([&] { conn.read_some(buffer, "read name"); });
    CHECK(failure.starts_with("read name: nothing arrived for "));
    CHECK(failure.ends_with(" s (idle timeout)"));
  }
  SUBCASE("write_all to a peer that has gone is an error, not SIGPIPE") {
    Connection conn(pair.ours, 5);
    pair.hang_up();
    CHECK(failure_of([&] { conn.write_all("ok", "write ok"); }) ==
          "write ok: the peer closed the connection");
  }
  SUBCASE("write_all delivers every byte") {
    Connection conn(pair.ours, 5);
    conn.write_all("hello", "write");
    conn.shutdown_write();
    std::string got;
    char buffer[8];
    for (ssize_t n; (n = ::recv(pair.theirs, buffer, sizeof buffer, 0)) > 0;) got.append(buffer, n);
    CHECK(got == "hello");
  }
}
