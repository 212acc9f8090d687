// Steps [1] resolve and [2] connect of every TCP client, with a time limit.
#pragma once

#include <string>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "common/endpoint.hpp"
#include "common/trace.hpp"

namespace socklab {

/// [1] Resolves "HOST[:PORT]" (default port 8001); throws StepError
/// ("resolve HOST: unknown host 'HOST'") on failure.
std::vector<asio::ip::tcp::endpoint> resolve_peer(asio::io_context& io, const std::string& peer,
                                                  Family family, const Tracer& tracer);

/// Connects `socket` to the first of `endpoints` that accepts, giving up
/// after `seconds` (then the error is asio::error::timed_out).
asio::awaitable<std::error_code> connect_within(asio::ip::tcp::socket& socket,
                                                const std::vector<asio::ip::tcp::endpoint>& endpoints,
                                                double seconds);

/// [1] resolve + [2] connect, traced, with TCP_NODELAY set; throws
/// StepError("connect ADDR", reason) on failure.
asio::ip::tcp::socket connect_to(asio::io_context& io, const std::string& peer, Family family, double seconds,
                                 const Tracer& tracer);

}  // namespace socklab
