#include "common/listen.hpp"

#include <doctest/doctest.h>

#include <iostream>
#include <sstream>
#include <string>

#include "common/error.hpp"

using asio::ip::tcp;
using asio::ip::udp;
using socklab::Family;
using socklab::HostPort;
using socklab::StepError;
using socklab::Tracer;

namespace {

const auto loopback = asio::ip::make_address("127.0.0.1");

std::string port_text(unsigned short port) { return "127.0.0.1:" + std::to_string(port); }

// The "StepError: what" of `step`, or "" when it does not throw.
template <class Step>
std::string failure_of(Step step) {
  try {
    step();
  } catch (const StepError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("listen_tcp") {
  asio::io_context io;
  std::ostringstream trace;
  const Tracer tracer(true, trace);
  tcp::acceptor acceptor = socklab::listen_tcp(io, {"127.0.0.1", 0}, Family::any, tracer);
  const unsigned short port = acceptor.local_endpoint().port();

  SUBCASE("binds a free port for port 0 and accepts a connection") {
    CHECK(port != 0);
    tcp::socket client(io);
    client.connect({loopback, port});
    tcp::socket served = acceptor.accept();
    CHECK(served.remote_endpoint() == client.local_endpoint());
  }
  SUBCASE("sets SO_REUSEADDR, so a restart binds while old connections sit in TIME_WAIT") {
    tcp::acceptor::reuse_address reuse;
    acceptor.get_option(reuse);
    CHECK(reuse.value());
  }
  SUBCASE("traces [1] resolve and [2] listen with the bound address") {
    const std::string text = trace.str();
    CHECK(text.rfind("[1] resolve 127.0.0.1:0 ", 0) == 0);
    CHECK(text.find("\n[2] listen " + port_text(port) + " ") != std::string::npos);
    CHECK(text.find("the socket is in LISTEN: the kernel answers SYNs") != std::string::npos);
  }
  SUBCASE("names the bind step and the kernel's reason when the port is taken") {
    CHECK(failure_of([&] {
            socklab::listen_tcp(io, {"127.0.0.1", port}, Family::any, Tracer());
          }) == "bind " + port_text(port) + ": Address already in use");
  }
  SUBCASE("refuses an address of the other family") {
    CHECK(failure_of([&] {
            socklab::listen_tcp(io, {"127.0.0.1", 0}, Family::v6, Tracer());
          }).rfind("resolve 127.0.0.1: ", 0) == 0);
  }
}

TEST_CASE("listen_udp") {
  asio::io_context io;
  std::ostringstream trace;
  const Tracer tracer(true, trace);

  SUBCASE("binds a non-blocking socket that receives datagrams") {
    udp::socket server = socklab::listen_udp(io, {"127.0.0.1", 0}, Family::any, tracer);
    const unsigned short port = server.local_endpoint().port();
    CHECK(port != 0);
    CHECK(server.non_blocking());
    CHECK(trace.str().find("\n[2] listen udp " + port_text(port) + " ") != std::string::npos);
    udp::socket client(io, udp::endpoint(loopback, 0));
    client.send_to(asio::buffer("ping", 4), {loopback, port});
    char in[8];
    udp::endpoint from;
    server.non_blocking(false);
    CHECK(server.receive_from(asio::buffer(in), from) == 4);
    CHECK(std::string(in, 4) == "ping");
    CHECK(from == client.local_endpoint());
  }
  SUBCASE("refuses a second socket on the same port unless both share it") {
    udp::socket first = socklab::listen_udp(io, {"127.0.0.1", 0}, Family::any, tracer);
    const unsigned short port = first.local_endpoint().port();
    CHECK(failure_of([&] {
            socklab::listen_udp(io, {"127.0.0.1", port}, Family::any, Tracer());
          }) == "bind " + port_text(port) + ": Address already in use");

    udp::socket shared = socklab::listen_udp(io, {"127.0.0.1", 0}, Family::any, tracer, true);
    const unsigned short shared_port = shared.local_endpoint().port();
    udp::socket second = socklab::listen_udp(io, {"127.0.0.1", shared_port}, Family::any, tracer, true);
    CHECK(second.local_endpoint().port() == shared_port);
  }
}

TEST_CASE("announce_listening") {
  SUBCASE("prints the line scripts wait for") {
    std::ostringstream out;
    std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
    socklab::announce_listening("127.0.0.1:8001");
    std::cout.rdbuf(saved);
    CHECK(out.str() == "listening on 127.0.0.1:8001\n");
  }
}
