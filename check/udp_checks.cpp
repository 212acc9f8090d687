// The checks of the udp-server exercise (an echo, upper-cased or not): one
// socket of ours per client, each datagram and its reply, and the address
// the reply came back to.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

#include "check/exercises.hpp"
#include "check/probe.hpp"

namespace socklab {
namespace {

constexpr int reply_ms = 2000;

// A client's UDP socket on loopback, closed when it goes.
class UdpClient {
 public:
  UdpClient() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~UdpClient() {
    if (fd_ >= 0) close(fd_);
  }
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  bool send(const CheckContext& c, const std::string& bytes) const {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(c.port);
    inet_pton(AF_INET, c.host.c_str(), &to.sin_addr);
    return sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
           static_cast<ssize_t>(bytes.size());
  }
  /// The datagrams that arrive within `timeout_ms` (each one whole).
  std::vector<std::string> replies(int timeout_ms, std::size_t at_most) const {
    std::vector<std::string> got;
    pollfd p{fd_, POLLIN, 0};
    while (got.size() < at_most && poll(&p, 1, timeout_ms) > 0) {
      char buf[65536];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n < 0) break;
      got.emplace_back(buf, static_cast<std::size_t>(n));
      timeout_ms = 200;  // a second reply (there should be none) comes soon after
    }
    return got;
  }
  std::uint16_t port() const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }

 private:
  int fd_;
};

// An echo's reply: the same bytes, or (an upper-casing server) the same upper-cased.
bool is_reply(const std::string& request, const std::string& reply) {
  return reply == request || reply == ascii_upper(request);
}

// Did the reply go to this client? Its first bytes say so (its length is
// the reply check's business).
bool answers(const std::string& request, const std::string& reply) {
  return reply.starts_with(request) || reply.starts_with(ascii_upper(request));
}

// A datagram as evidence: printable, cut after 32 bytes.
std::string datagram_text(const std::string& d) {
  std::string s = "\"";
  for (std::size_t i = 0; i < d.size() && i < 32; ++i) {
    const auto ch = static_cast<unsigned char>(d[i]);
    if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
      s += static_cast<char>(ch);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", ch);
      s += hex;
    }
  }
  s += "\"";
  if (d.size() > 32) s += " (" + std::to_string(d.size()) + " bytes)";
  return s;
}

CheckResult failed(CheckResult r, std::vector<std::string> evidence, const std::string& hint) {
  r.verdict = Verdict::fail;
  r.evidence = std::move(evidence);
  r.hint = hint;
  return r;
}

CheckResult reply_check(const CheckContext& c) {
  CheckResult r{"reply", "a reply is as long as its request, the same bytes", Verdict::pass, {}, ""};
  const std::string hint =
      "notes/udp-flow.md: send back the n bytes ReadFromUDP returned (conn.WriteToUDP(buf[:n], addr)), "
      "not the whole buffer";
  UdpClient client;
  const std::string request = "hello, udp 0123456789";
  if (!client.send(c, request)) return failed(r, {"sendto failed"}, hint);
  const auto got = client.replies(reply_ms, 2);
  if (got.empty()) return failed(r, {"no reply in " + std::to_string(reply_ms / 1000) + " s"}, hint);
  if (is_reply(request, got.front())) {
    r.evidence.push_back("sent " + std::to_string(request.size()) + " bytes, got " +
                         std::to_string(got.front().size()) + " back in one datagram");
    return r;
  }
  return failed(r,
                {"one datagram of " + std::to_string(request.size()) + " bytes sent, the reply has " +
                     std::to_string(got.front().size()),
                 bytes_difference(request, got.front())},
                hint);
}

CheckResult clients_check(const CheckContext& c) {
  CheckResult r{"clients", "each client gets its replies at its own address", Verdict::pass, {}, ""};
  const std::string hint =
      "notes/udp-flow.md: reply to the address each datagram came from (ReadFromUDP's addr), "
      "not to the first client's";
  UdpClient a, b;
  if (!a.send(c, "FROM A 1")) return failed(r, {"sendto failed"}, hint);
  const auto a1 = a.replies(reply_ms, 1);
  if (!b.send(c, "FROM B 1")) return failed(r, {"sendto failed"}, hint);
  const auto b1 = b.replies(reply_ms, 1);
  if (!a.send(c, "FROM A 2")) return failed(r, {"sendto failed"}, hint);
  const auto a2 = a.replies(reply_ms, 1);
  const auto extra = a.replies(200, 4);  // replies meant for b that came to a
  const bool ok = a1.size() == 1 && answers("FROM A 1", a1[0]) && b1.size() == 1 &&
                  answers("FROM B 1", b1[0]) && a2.size() == 1 && answers("FROM A 2", a2[0]) && extra.empty();
  const std::string a_at = "client A (port " + std::to_string(a.port()) + ")";
  const std::string b_at = "client B (port " + std::to_string(b.port()) + ")";
  if (ok) {
    r.evidence.push_back(a_at + " and " + b_at + ", interleaved, each got its own replies");
    return r;
  }
  auto shown = [](const std::vector<std::string>& d) {
    std::string s;
    for (const auto& one : d) s += (s.empty() ? "" : ", ") + datagram_text(one);
    return s.empty() ? std::string("nothing") : s;
  };
  return failed(
      r,
      {a_at + " sent \"FROM A 1\", got " + shown(a1), b_at + " sent \"FROM B 1\", got " + shown(b1),
       a_at + " sent \"FROM A 2\", got " + shown(a2) + (extra.empty() ? "" : " and then " + shown(extra))},
      hint);
}

}  // namespace

std::vector<CheckSpec> udp_server_checks() {
  return {
      {"reply", "a reply is as long as its request, the same bytes", reply_ms + 200, reply_check},
      {"clients", "each client gets its replies at its own address", 3 * reply_ms + 400, clients_check},
  };
}

}  // namespace socklab
