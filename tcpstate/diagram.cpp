#include "tcpstate/diagram.hpp"

#include <string_view>

namespace socklab {
namespace {

// Each state name stands between two spaces inside its box, so a highlight
// can replace those spaces with markers without moving anything. The left
// column of the upper half is the server (passive open), the right column the
// client (active open); in the lower half, left is the side that closes
// first (active close), right the side that closes second (passive close).
constexpr std::string_view diagram = R"(
                               +----------+
                               |  CLOSED  |
                               +----------+
         passive open: listen()  :      #   active open: connect()
             (server)            v      v   / send SYN   (client)
                      +----------+      +------------+
                      |  LISTEN  |      |  SYN_SENT  |
                      +----------+      +------------+
      rcv SYN / send SYN+ACK :                #  rcv SYN+ACK / send ACK
                             v                #
                      +------------+          #
                      |  SYN_RCVD  |          #
                      +------------+          #
           rcv ACK / (none) :                 #
                            v                 v
                       +-------------------------+
                       |      ESTABLISHED        |
                       +-------------------------+
   close() / send FIN     #                     :   rcv FIN / send ACK
     (active close)       v                     v      (passive close)
                 +--------------+        +--------------+
                 |  FIN_WAIT_1  |        |  CLOSE_WAIT  |
                 +--------------+        +--------------+
  rcv ACK of FIN  #      # rcv FIN /            :   close() / send FIN
                  v      # send ACK             v
       +--------------+  #  +-----------+  +------------+
       |  FIN_WAIT_2  |  ##>|  CLOSING  |  |  LAST_ACK  |
       +--------------+     +-----------+  +------------+
  rcv FIN / #                  # rcv ACK        :  rcv ACK of FIN
  send ACK  v                  v  of FIN        v
          +-------------------------+      +----------+
          |        TIME_WAIT        |      |  CLOSED  |
          +-------------------------+      +----------+
           after 2MSL (60 s on Linux)  -> CLOSED.

  #  path of the side that connects / closes first (active)
  :  path of the side that listens / closes second (passive)
)";

bool is_name_char(char c) { return (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9'); }

}  // namespace

std::string render_diagram(const std::set<TcpState>& highlight, bool colour) {
  std::string out(diagram.substr(1));
  for (TcpState state : highlight) {
    const std::string name(state_name(state));
    for (std::size_t at = out.find(name); at != std::string::npos; at = out.find(name, at + 1)) {
      const std::size_t end = at + name.size();
      // Only the name inside its box: a space on each side, then more text.
      if (at == 0 || end >= out.size() || out[at - 1] != ' ' || out[end] != ' ') continue;
      if (is_name_char(out[end])) continue;
      if (colour) {
        out.replace(at, name.size(), "\x1b[1;7m" + name + "\x1b[0m");
        at += 10;
      } else {
        out[at - 1] = '>';
        out[end] = '<';
      }
    }
  }
  return out;
}

}  // namespace socklab
