// The receiving session over a socketpair: no listener, no port, the bytes
// of the verified protocol written by hand on the other end.
#include "filexfer/receive_session.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "filexfer/sha256.hpp"
#include "temp_dir.hpp"

using namespace socklab::filexfer;

namespace {

// Keeps what the session reports, for the checks.
struct Recorder : Reporter {
  std::mutex mutex;
  std::vector<FileReport> files;
  std::vector<std::string> lines;
  void file(const FileReport& r) override {
    std::lock_guard lock(mutex);
    files.push_back(r);
  }
  void log(std::string_view line) override {
    std::lock_guard lock(mutex);
    lines.emplace_back(line);
  }
  void progress(const std::string&, const std::string&, std::uint64_t, std::uint64_t, const Hello&,
                std::uint64_t, std::uint64_t) override {}
  void connection(const ConnectionReport&) override {}
};

struct Inbox : TempDir {
  Inbox() : TempDir("socklab-session") {}
};

void send_all(int fd, const std::string& bytes) {
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

std::string receive(int fd, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    REQUIRE(r > 0);
    got += static_cast<std::size_t>(r);
  }
  return out;
}

Sha256 sha(const std::string& data) {
  Hasher h;
  h.update({data.data(), data.size()});
  return h.finish();
}

// One session of `receiver` on a thread of its own, over a socketpair: the
// test writes and reads `fd`, the other end. Going out of scope closes `fd`
// and waits for the session, so a failed REQUIRE leaves no thread running.
class Served {
 public:
  explicit Served(Receiver& receiver, std::string peer = "test") {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    fd = pair[1];
    thread_ = std::thread(
        [&receiver, server = pair[0], peer = std::move(peer)] { receiver.serve(server, peer, false, true); });
  }
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;
  ~Served() { close(); }
  /// Waits until the session has ended by itself.
  void wait() {
    if (thread_.joinable()) thread_.join();
  }
  /// Closes the test's end (the sender hangs up), then waits for the session.
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    wait();
  }
  int fd = -1;

 private:
  std::thread thread_;
};

}  // namespace

TEST_CASE("Receiver::serve over a socketpair") {
  Inbox inbox;
  Recorder recorder;
  const socklab::Tracer tracer;
  ReceiveOptions options;
  options.idle_timeout = 5;
  Receiver receiver(options, inbox.fd, tracer, recorder);

  SUBCASE("a file in a new directory arrives, verified, under its path") {
    Served session(receiver);
    send_all(session.fd, encode(Hello{2, 1, 5}) + encode(FileHeader{"d/a.txt", 5}));
    CHECK(receive(session.fd, 9) == encode(Answer{true, 0, {}}));
    send_all(session.fd, "hello" + encode(Trailer{sha("hello")}) + encode(End{}));
    CHECK(receive(session.fd, 4) == encode(Verdict{true, {}}));
    session.close();
    CHECK(inbox.read("d/a.txt") == "hello");
    REQUIRE(recorder.files.size() == 1);
    CHECK(recorder.files[0].kind == FileReport::Kind::received);
    CHECK(recorder.files[0].path == "d/a.txt");
  }

  SUBCASE(
      "version 3: a group is answered whole before any bytes; the accepted files' bytes follow in order") {
    Served session(receiver);
    send_all(session.fd, encode(Hello{3, 2, 5}) + encode(Group{4}) + encode(FileHeader{"g/one.txt", 3}) +
                             encode(FileHeader{"../out.txt", 1}) + encode(Directory{"g/empty"}) +
                             encode(FileHeader{"g/two.txt", 2}));
    const std::string refusal =
        encode(Answer{false, 0, "path: a '..' component (it would climb out of the receive directory)"});
    CHECK(receive(session.fd, 9) == encode(Answer{true, 0, {}}));
    CHECK(receive(session.fd, refusal.size()) == refusal);
    CHECK(receive(session.fd, 9) == encode(Answer{true, 0, {}}));  // the directory
    CHECK(receive(session.fd, 9) == encode(Answer{true, 0, {}}));
    send_all(session.fd,
             "one" + encode(Trailer{sha("one")}) + "tw" + encode(Trailer{sha("tw")}) + encode(End{}));
    CHECK(receive(session.fd, 8) == encode(Verdict{true, {}}) + encode(Verdict{true, {}}));
    session.close();
    CHECK(inbox.read("g/one.txt") == "one");
    CHECK(inbox.read("g/two.txt") == "tw");
    struct stat st {};
    CHECK(::stat((inbox.path + "/g/empty").c_str(), &st) == 0);
    CHECK(::stat((inbox.path + "/out.txt").c_str(), &st) != 0);
  }

  SUBCASE("version 3: a connection that breaks inside a group leaves no empty part behind") {
    Served session(receiver);
    send_all(session.fd, encode(Hello{3, 2, 20}) + encode(Group{2}) + encode(FileHeader{"p.bin", 10}) +
                             encode(FileHeader{"q.bin", 10}));
    CHECK(receive(session.fd, 18) == encode(Answer{true, 0, {}}) + encode(Answer{true, 0, {}}));
    send_all(session.fd, "01234");  // half of p.bin, nothing of q.bin
    session.close();
    struct stat st {};
    CHECK(::stat((inbox.path + "/.p.bin.10.part").c_str(), &st) == 0);  // kept for a resume
    CHECK(st.st_size == 5);
    CHECK(::stat((inbox.path + "/.q.bin.10.part").c_str(), &st) != 0);  // held nothing: removed
  }

  SUBCASE("version 3: the end inside a group is a header error, before any of it is answered") {
    Served session(receiver);
    send_all(session.fd, encode(Hello{3, 1, 1}) + encode(Group{2}) + encode(Directory{"d"}) + encode(End{}));
    const std::string refusal =
        encode(Answer{false, 0, "header: the end 'E' inside a group (its offers are not all here)"});
    CHECK(receive(session.fd, refusal.size()) == refusal);
    session.close();
  }

  SUBCASE("messages that arrive a byte at a time are read whole") {
    // TCP may cut a message anywhere (a long path over a link with a small
    // MSS, or a peer that dribbles). Each byte is written alone, with a pause
    // for the session to read it before the next.
    Served session(receiver);
    const timeval limit{10, 0};  // a session stuck on a split message fails here, not in a hang
    REQUIRE(::setsockopt(session.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0);
    for (const char byte : encode(Hello{2, 1, 2}) + encode(FileHeader{"dir/split.txt", 2})) {
      send_all(session.fd, std::string(1, byte));
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
    CHECK(receive(session.fd, 9) == encode(Answer{true, 0, {}}));
    send_all(session.fd, "ok" + encode(Trailer{sha("ok")}) + encode(End{}));
    CHECK(receive(session.fd, 4) == encode(Verdict{true, {}}));
    session.close();
    CHECK(inbox.read("dir/split.txt") == "ok");
  }

  SUBCASE("a newer connection takes the part over from a stalled one, and resumes after its bytes") {
    Served older(receiver, "older");
    send_all(older.fd, encode(Hello{2, 1, 10}) + encode(FileHeader{"b.bin", 10}));
    CHECK(receive(older.fd, 9) == encode(Answer{true, 0, {}}));
    send_all(older.fd, "0123");  // then nothing more: a stalled sender
    struct stat st {};
    const std::string part = inbox.path + "/.b.bin.10.part";
    for (int i = 0; i < 500 && !(::stat(part.c_str(), &st) == 0 && st.st_size == 4); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(st.st_size == 4);
    Served newer(receiver, "newer");
    send_all(newer.fd, encode(Hello{2, 1, 10}) + encode(FileHeader{"b.bin", 10}));
    CHECK(receive(newer.fd, 9) == encode(Answer{true, 4, {}}));  // the older one has let go
    older.wait();
    send_all(newer.fd, "456789" + encode(Trailer{sha("0123456789")}) + encode(End{}));
    CHECK(receive(newer.fd, 4) == encode(Verdict{true, {}}));
    newer.close();
    older.close();
    CHECK(inbox.read("b.bin") == "0123456789");
    bool told = false;
    for (const auto& line : recorder.lines) told |= line.starts_with("taking over .b.bin.10.part from older");
    CHECK(told);
  }
}
