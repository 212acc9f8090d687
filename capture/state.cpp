#include "capture/state.hpp"

#include <cctype>
#include <string>

namespace socklab {

std::string_view state_name(TcpState state) {
  switch (state) {
    case TcpState::listen:
      return "LISTEN";
    case TcpState::syn_sent:
      return "SYN_SENT";
    case TcpState::syn_rcvd:
      return "SYN_RCVD";
    case TcpState::established:
      return "ESTABLISHED";
    case TcpState::fin_wait_1:
      return "FIN_WAIT_1";
    case TcpState::fin_wait_2:
      return "FIN_WAIT_2";
    case TcpState::close_wait:
      return "CLOSE_WAIT";
    case TcpState::closing:
      return "CLOSING";
    case TcpState::last_ack:
      return "LAST_ACK";
    case TcpState::time_wait:
      return "TIME_WAIT";
    case TcpState::closed:
      return "CLOSED";
  }
  return "?";
}

std::optional<TcpState> parse_state(std::string_view text) {
  // Fold to one spelling: upper case, no '-' or '_', no "TCP_" prefix.
  std::string key;
  for (char c : text) {
    if (c == '-' || c == '_') continue;
    if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
    key += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (key.starts_with("TCP") && key.size() > 3 && key != "TCP") key.erase(0, 3);
  struct Spelling {
    std::string_view key;
    TcpState state;
  };
  static constexpr Spelling spellings[] = {
      {"LISTEN", TcpState::listen},       {"SYNSENT", TcpState::syn_sent},
      {"SYNRCVD", TcpState::syn_rcvd},    {"SYNRECV", TcpState::syn_rcvd},
      {"NEWSYNRECV", TcpState::syn_rcvd}, {"ESTABLISHED", TcpState::established},
      {"ESTAB", TcpState::established},   {"FINWAIT1", TcpState::fin_wait_1},
      {"FINWAIT2", TcpState::fin_wait_2}, {"CLOSEWAIT", TcpState::close_wait},
      {"CLOSING", TcpState::closing},     {"LASTACK", TcpState::last_ack},
      {"TIMEWAIT", TcpState::time_wait},  {"CLOSED", TcpState::closed},
      {"CLOSE", TcpState::closed},        {"UNCONN", TcpState::closed},
  };
  for (const auto& s : spellings) {
    if (s.key == key) return s.state;
  }
  return std::nullopt;
}

std::optional<TcpState> state_from_kernel(int number) {
  switch (number) {
    case 1:
      return TcpState::established;
    case 2:
      return TcpState::syn_sent;
    case 3:
      return TcpState::syn_rcvd;
    case 4:
      return TcpState::fin_wait_1;
    case 5:
      return TcpState::fin_wait_2;
    case 6:
      return TcpState::time_wait;
    case 7:
      return TcpState::closed;
    case 8:
      return TcpState::close_wait;
    case 9:
      return TcpState::last_ack;
    case 10:
      return TcpState::listen;
    case 11:
      return TcpState::closing;
    case 12:
      return TcpState::syn_rcvd;  // TCP_NEW_SYN_RECV: the request socket
    default:
      return std::nullopt;
  }
}

}  // namespace socklab
