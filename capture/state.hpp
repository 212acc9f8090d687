// TCP state names: the course's spelling (LISTEN, SYN_RCVD, FIN_WAIT_1, ...)
// and every spelling the sources use for them (ss: FIN-WAIT-1, SYN-RECV;
// netstat: FIN_WAIT1, SYN_RECV; /proc and the kernel: numbers 1-12).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace socklab {

/// The eleven states of RFC 793's state machine, as the course names them.
enum class TcpState {
  listen,
  syn_sent,
  syn_rcvd,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
  closed,
};

/// Every state, in the order of the enum (the lifecycle's order, roughly).
inline constexpr std::array<TcpState, 11> all_states{
    TcpState::listen,     TcpState::syn_sent,   TcpState::syn_rcvd,   TcpState::established,
    TcpState::fin_wait_1, TcpState::fin_wait_2, TcpState::close_wait, TcpState::closing,
    TcpState::last_ack,   TcpState::time_wait,  TcpState::closed};

/// "LISTEN", "SYN_RCVD", "FIN_WAIT_1", ...: the course's names, which every
/// program and lesson uses (notes/tcp-states.md lists them).
std::string_view state_name(TcpState state);

/// Normalises any source's spelling: case is ignored, '-' and '_' are the
/// same, and the digit may stand alone ("FIN_WAIT1", "fin-wait-1"). Also
/// accepts ss's "ESTAB", "SYN-RECV", netstat's "CLOSE", the kernel's
/// "TCP_NEW_SYN_RECV" and "UNCONN". Nothing for an unknown name.
std::optional<TcpState> parse_state(std::string_view text);

/// The kernel's number for a state (include/net/tcp_states.h, /proc/net/tcp's
/// "st" column, the tracepoint's oldstate/newstate): 1 ESTABLISHED ...
/// 11 CLOSING, 12 NEW_SYN_RECV (a request socket: shown as SYN_RCVD).
std::optional<TcpState> state_from_kernel(int number);

}  // namespace socklab
