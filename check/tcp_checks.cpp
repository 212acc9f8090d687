// The checks of the TCP server exercises (tcp-server, the echo; tcp-upper,
// the course's upper-casing server): each is one client, or two, talking to
// the program, and what came back, the socket table and the ladder as
// evidence.
#include <chrono>
#include <set>
#include <thread>

#include "check/exercises.hpp"
#include "check/ladder_evidence.hpp"
#include "check/probe.hpp"
#include "check/student_run.hpp"

namespace socklab {
namespace {

using Transform = std::string (*)(std::string);

std::string same(std::string text) { return text; }

// Was the client answered? Its bytes came back first (what follows them is
// the echo checks' business, not this check's).
bool answered(const Probe::Read& got, const std::string& expected) { return got.bytes.starts_with(expected); }

constexpr int connect_ms = 2000;
constexpr int answer_ms = 2000;
constexpr int extra_ms = 300;  // how long we wait for bytes beyond the expected ones
constexpr int short_connections = 200;

CheckResult result(const CheckContext&, const std::string& id, const std::string& sentence) {
  return CheckResult{id, sentence, Verdict::pass, {}, ""};
}

CheckResult failed(CheckResult r, std::vector<std::string> evidence, std::string hint) {
  r.verdict = Verdict::fail;
  r.evidence = std::move(evidence);
  r.hint = std::move(hint);
  return r;
}

// The program's side of our connection in the socket table, if it is there.
std::vector<std::string> table_evidence(const CheckContext& c, std::uint16_t client_port) {
  for (bool v6 : {false, true})
    for (const TcpRow& row : StudentRun::tcp_table(v6))
      if (row.local_port == c.port && row.remote_port == client_port)
        return {"socket table: " + row_text(row),
                "/proc/net/tcp" + std::string(v6 ? "6" : "") + ": " + row.line};
  return {"socket table: no socket of the program's for this connection"};
}

std::string ended_text(const CheckContext& c) {
  if (auto s = c.run->exit_status()) return "the program ended (exit status " + std::to_string(*s) + ")";
  return "";
}

// Sends `message`, expects transform(message) back exactly.
CheckResult exchange_check(const CheckContext& c, const std::string& id, const std::string& sentence,
                           const std::string& message, Transform transform, int limit_ms,
                           const std::string& hint) {
  CheckResult r = result(c, id, sentence);
  auto probe = Probe::connect(c.host, c.port, connect_ms);
  if (!probe) return failed(r, {probe.error()}, hint);
  const std::string expected = transform(message);
  // A sender of its own: a server echoing as it reads must be read from
  // meanwhile, or both sides' buffers fill and neither moves.
  Result<void> sent;
  std::thread sender([&] { sent = probe.value().send(message, limit_ms); });
  const Probe::Read got = probe.value().read(expected.size(), limit_ms, extra_ms);
  sender.join();
  r.evidence.push_back("sent " + std::to_string(message.size()) + " bytes, got " +
                       std::to_string(got.bytes.size()) + " back");
  if (got.bytes == expected && sent) return r;
  std::vector<std::string> evidence;
  if (!sent) evidence.push_back(sent.error());
  if (const std::string diff = bytes_difference(expected, got.bytes); !diff.empty()) evidence.push_back(diff);
  if (got.eof) evidence.push_back("the program closed the connection");
  if (got.reset) evidence.push_back("the program reset the connection");
  if (const std::string ended = ended_text(c); !ended.empty()) evidence.push_back(ended);
  return failed(r, evidence, hint);
}

CheckResult echo_check(const CheckContext& c, Transform t, const std::string& id, const std::string& sentence,
                       const std::string& message, const std::string& hint) {
  return exchange_check(c, id, sentence, message, t, answer_ms, hint);
}

std::string big_message() {
  std::string m(1 << 20, '\0');
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<char>('a' + (i * 7) % 26);
  return m;
}

// Client A connects and sits idle; client B must be answered meanwhile.
CheckResult concurrent_check(const CheckContext& c, Transform t) {
  CheckResult r = result(c, "concurrent", "two clients are served at the same time");
  const std::string hint =
      "notes/concurrent-tcp-server.md: serve each connection in a goroutine or thread of its own "
      "(go handleConnection(conn)); a serial server reads from the first client until it leaves";
  auto first = Probe::connect(c.host, c.port, connect_ms);
  if (!first) return failed(r, {"first client: " + first.error()}, hint);
  auto second = Probe::connect(c.host, c.port, connect_ms);
  if (!second) return failed(r, {"second client: " + second.error()}, hint);
  const std::string message = "SECOND CLIENT\n";  // upper case: the same for both exercises
  if (auto sent = second.value().send(message, answer_ms); !sent) return failed(r, {sent.error()}, hint);
  const Probe::Read got = second.value().read(message.size(), answer_ms, 0);
  if (answered(got, t(message))) {
    r.evidence.push_back("the second client was answered while the first sat idle");
    return r;
  }
  std::vector<std::string> evidence = {"the second client sent " + std::to_string(message.size()) +
                                       " bytes and got " + std::to_string(got.bytes.size()) + " back in " +
                                       std::to_string(answer_ms / 1000) +
                                       " s, while the first client sat connected and idle"};
  for (auto& line : table_evidence(c, second.value().local_port())) evidence.push_back(line);
  return failed(r, evidence, hint);
}

// The client sends, half-closes, and waits for the program's FIN.
CheckResult half_close_check(const CheckContext& c, Transform t) {
  CheckResult r =
      result(c, "half-close", "after the client half-closes, the program closes too (within 2 s)");
  const std::string hint =
      "notes/tcp-teardown.md: a read of 0 bytes (io.EOF in Go) means the client sent its FIN; close the "
      "connection then (defer conn.Close()), or it stays in CLOSE_WAIT for good";
  auto probe = Probe::connect(c.host, c.port, connect_ms);
  if (!probe) return failed(r, {probe.error()}, hint);
  const std::string message = "LAST WORDS\n";
  if (auto sent = probe.value().send(message, answer_ms); !sent) return failed(r, {sent.error()}, hint);
  probe.value().half_close();
  const Probe::Read got = probe.value().read_to_end(answer_ms);
  if (got.eof) {
    r.evidence.push_back("the program's FIN came after " + std::to_string(got.bytes.size()) + " bytes");
    if (got.bytes != t(message)) r.evidence.push_back(bytes_difference(t(message), got.bytes));
    return r;
  }
  std::vector<std::string> evidence;
  if (got.reset)
    evidence.push_back("the program reset the connection instead of closing it");
  else
    evidence.push_back("no FIN from the program " + std::to_string(answer_ms / 1000) +
                       " s after the client's FIN");
  const std::uint16_t client_port = probe.value().local_port();
  for (auto& line : table_evidence(c, client_port)) evidence.push_back(line);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the capture thread's last segments
  for (auto& line : ladder_evidence(c.run->segments(), client_port, c.port, true, 6))
    evidence.push_back(line);
  return failed(r, evidence, hint);
}

// A client resets its connection; the program must go on serving others.
CheckResult reset_check(const CheckContext& c, Transform t) {
  CheckResult r = result(c, "reset", "a client that resets does not end the program");
  const std::string hint =
      "notes/tcp-teardown.md: a read or write error (ECONNRESET, \"connection reset by peer\") ends that "
      "connection only: close it and go on accepting; never exit (log.Fatal, panic) for one client's error";
  {
    auto probe = Probe::connect(c.host, c.port, connect_ms);
    if (!probe) return failed(r, {probe.error()}, hint);
    (void)probe.value().send("RESET ME\n", answer_ms);
    probe.value().reset();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  if (const std::string ended = ended_text(c); !ended.empty())
    return failed(r, {ended + " after a client's RST"}, hint);
  const std::string message = "STILL THERE?\n";
  auto next = Probe::connect(c.host, c.port, connect_ms);
  if (!next) return failed(r, {"after a client's RST, a new client: " + next.error()}, hint);
  if (auto sent = next.value().send(message, answer_ms); !sent) return failed(r, {sent.error()}, hint);
  const Probe::Read got = next.value().read(message.size(), answer_ms, 0);
  if (!answered(got, t(message)))
    return failed(r,
                  {"after a client's RST, a new client sent " + std::to_string(message.size()) +
                   " bytes and got " + std::to_string(got.bytes.size()) + " back"},
                  hint);
  r.evidence.push_back("after a client's RST a new client was answered");
  return r;
}

// Many short connections, one after the other: each one the program ends
// must leave nothing of it in the socket table (no fd kept, no CLOSE_WAIT).
CheckResult short_connections_check(const CheckContext& c, Transform t) {
  CheckResult r =
      result(c, "short-connections",
             std::to_string(short_connections) + " short connections in a row leave no socket behind");
  const std::string hint =
      "notes/tcp-teardown.md: close every connection once its client is done (defer conn.Close() at the top "
      "of the handler); each one kept is an fd, and a socket in CLOSE_WAIT";
  const std::string message = "SHORT\n";
  std::set<std::uint16_t> ports;  // our side of each connection
  for (int i = 0; i < short_connections; ++i) {
    auto probe = Probe::connect(c.host, c.port, connect_ms);
    if (!probe) return failed(r, {"connection " + std::to_string(i + 1) + ": " + probe.error()}, hint);
    ports.insert(probe.value().local_port());
    if (auto sent = probe.value().send(message, answer_ms); !sent)
      return failed(r, {"connection " + std::to_string(i + 1) + ": " + sent.error()}, hint);
    if (!answered(probe.value().read(message.size(), answer_ms, 0), t(message)))
      return failed(r, {"connection " + std::to_string(i + 1) + " was not answered"}, hint);
  }
  // Our close is the first FIN; a program that closes too leaves its side in
  // LAST_ACK for one round trip, then nothing.
  std::vector<TcpRow> kept;
  for (int wait = 0; wait < 20; ++wait) {
    kept.clear();
    for (bool v6 : {false, true})
      for (const TcpRow& row : StudentRun::tcp_table(v6))
        if (row.local_port == c.port && ports.contains(row.remote_port)) kept.push_back(row);
    if (kept.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (kept.empty()) {
    r.evidence.push_back("all " + std::to_string(short_connections) +
                         " were answered and closed; none is left in the socket table");
    return r;
  }
  std::vector<std::string> evidence = {
      std::to_string(kept.size()) + " of the " + std::to_string(short_connections) +
      " connections are still in the program's socket table, 1 s after the last"};
  for (std::size_t i = 0; i < kept.size() && i < 3; ++i)
    evidence.push_back("socket table: " + row_text(kept[i]));
  return failed(r, evidence, hint);
}

// tcp-upper: "exit" closes that connection, and the others go on.
CheckResult exit_check(const CheckContext& c) {
  CheckResult r = result(c, "exit", "a line \"exit\" ends only that connection");
  const std::string hint =
      "notes/concurrent-tcp-server.md: on \"exit\" close this connection (return from its handler); "
      "do not end the program or the listener";
  auto other = Probe::connect(c.host, c.port, connect_ms);
  if (!other) return failed(r, {"first client: " + other.error()}, hint);
  auto leaving = Probe::connect(c.host, c.port, connect_ms);
  if (!leaving) return failed(r, {"second client: " + leaving.error()}, hint);
  if (auto sent = leaving.value().send("exit\n", answer_ms); !sent) return failed(r, {sent.error()}, hint);
  const Probe::Read got = leaving.value().read_to_end(answer_ms);
  if (!got.eof && !got.reset) {
    std::vector<std::string> evidence = {"the connection that sent \"exit\" was still open after " +
                                         std::to_string(answer_ms / 1000) + " s"};
    for (auto& line : table_evidence(c, leaving.value().local_port())) evidence.push_back(line);
    return failed(r, evidence, hint);
  }
  const std::string message = "still here\n";
  if (auto sent = other.value().send(message, answer_ms); !sent)
    return failed(r, {"the other client: " + sent.error()}, hint);
  const Probe::Read answer = other.value().read(message.size(), answer_ms, 0);
  if (answer.bytes == ascii_upper(message)) {
    r.evidence.push_back("the connection that sent \"exit\" was closed; the other one was still answered");
    return r;
  }
  std::vector<std::string> evidence = {"after another client's \"exit\", this client got " +
                                       std::to_string(answer.bytes.size()) + " of " +
                                       std::to_string(message.size()) + " bytes back"};
  if (answer.eof) evidence.push_back("its connection was closed too");
  if (const std::string ended = ended_text(c); !ended.empty()) evidence.push_back(ended);
  return failed(r, evidence, hint);
}

const std::string echo_hint =
    "notes/concurrent-tcp-server.md: write back exactly the n bytes each read returned "
    "(conn.Write(buf[:n]), not conn.Write(buf))";

std::vector<CheckSpec> server_checks(Transform t, bool upper) {
  std::vector<CheckSpec> checks;
  if (upper) {
    checks.push_back({"upper", "ASCII letters come back upper-cased, every other byte unchanged",
                      answer_ms + extra_ms, [](const CheckContext& c) {
                        return echo_check(
                            c, ascii_upper, "upper",
                            "ASCII letters come back upper-cased, every other byte unchanged",
                            "Hello, World! abc-XYZ 0123 [{~}] _@`\n",
                            "notes/concurrent-tcp-server.md: upper-case a-z only (strings.ToUpper on "
                            "each read's buf[:n]); keep every other byte as it came");
                      }});
    checks.push_back({"exit", "a line \"exit\" ends only that connection", 3 * answer_ms, exit_check});
  } else {
    checks.push_back(
        {"echo", "the bytes sent come back exactly", answer_ms + extra_ms, [](const CheckContext& c) {
           return echo_check(c, same, "echo", "the bytes sent come back exactly",
                             "hello, socklab 0123456789\n", echo_hint);
         }});
    checks.push_back(
        {"large", "a 1 MB message comes back whole", 10000 + extra_ms, [](const CheckContext& c) {
           return exchange_check(c, "large", "a 1 MB message comes back whole", big_message(), same, 10000,
                                 echo_hint + "; keep reading until the client closes");
         }});
  }
  checks.push_back({"concurrent", "two clients are served at the same time", 2 * connect_ms + 2 * answer_ms,
                    [t](const CheckContext& c) { return concurrent_check(c, t); }});
  checks.push_back({"half-close", "after the client half-closes, the program closes too (within 2 s)",
                    connect_ms + 2 * answer_ms,
                    [t](const CheckContext& c) { return half_close_check(c, t); }});
  checks.push_back({"short-connections",
                    std::to_string(short_connections) + " short connections in a row leave no socket behind",
                    15000, [t](const CheckContext& c) { return short_connections_check(c, t); }});
  checks.push_back({"reset", "a client that resets does not end the program",
                    2 * connect_ms + 2 * answer_ms + 300,
                    [t](const CheckContext& c) { return reset_check(c, t); }});
  return checks;
}

}  // namespace

std::string ascii_upper(std::string text) {
  for (char& ch : text)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return text;
}

const std::vector<Exercise>& exercises() {
  static const std::vector<Exercise> all = {
      {"tcp-server", "a TCP echo server: every byte back, many clients at once",
       "notes/concurrent-tcp-server.md", server_checks(same, false)},
      {"tcp-upper", "the course's server: lines upper-cased, \"exit\" closes the connection",
       "notes/concurrent-tcp-server.md", server_checks(ascii_upper, true)},
      {"udp-server", "a UDP echo server (upper-cased or not): every client answered at its own address",
       "notes/udp-flow.md", udp_server_checks(), true},
  };
  return all;
}

const Exercise* find_exercise(const std::string& name) {
  for (const auto& e : exercises())
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace socklab
