#include "capture/pcap_source.hpp"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <unistd.h>

namespace socklab {
namespace {

// pcap's link-layer numbers (pcap/dlt.h) for the layers segment.cpp decodes.
std::optional<LinkType> link_of(int dlt) {
  switch (dlt) {
    case DLT_EN10MB:
      return LinkType::ethernet;
    case DLT_LINUX_SLL:
      return LinkType::linux_sll;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
      return LinkType::linux_sll2;
#endif
    case DLT_NULL:
      return LinkType::null_host;
    case DLT_LOOP:
      return LinkType::loop;
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      return LinkType::raw;
    default:
      return std::nullopt;
  }
}

}  // namespace

PcapSource::~PcapSource() {
  if (dumper_ != nullptr) pcap_dump_close(dumper_);
  if (handle_ != nullptr) pcap_close(handle_);
}

Result<void> PcapSource::finish_open(const std::string& what, const std::string& filter) {
  const int dlt = pcap_datalink(handle_);
  auto link = link_of(dlt);
  if (!link) {
    const char* name = pcap_datalink_val_to_name(dlt);
    return Failure{what + ": link type " + (name ? name : std::to_string(dlt)) +
                   " is not supported (Ethernet, Linux cooked, loopback and raw IP are)"};
  }
  link_ = *link;
  if (!filter.empty()) {
    bpf_program program{};
    if (pcap_compile(handle_, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
      return Failure{"filter '" + filter + "': " + pcap_geterr(handle_)};
    const int rc = pcap_setfilter(handle_, &program);
    pcap_freecode(&program);
    if (rc != 0) return Failure{"filter '" + filter + "': " + pcap_geterr(handle_)};
  }
  return {};
}

Result<std::unique_ptr<PcapSource>> PcapSource::open_live(const std::string& interface,
                                                          const std::string& filter) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  std::unique_ptr<PcapSource> s(new PcapSource);
  s->live_ = true;
  s->handle_ = pcap_create(interface.c_str(), errbuf);
  if (s->handle_ == nullptr) return Failure{errbuf};
  pcap_set_snaplen(s->handle_, 262144);
  pcap_set_promisc(s->handle_, 0);
  // Immediate mode: each packet is handed over as it arrives, so the
  // ladder moves with the connection instead of in buffer-sized jumps.
  pcap_set_immediate_mode(s->handle_, 1);
  pcap_set_buffer_size(s->handle_, 8 << 20);
  const int rc = pcap_activate(s->handle_);
  if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
    return Failure{"permission denied: capturing needs root (CAP_NET_RAW)"};
  if (rc == PCAP_ERROR_NO_SUCH_DEVICE) return Failure{"no interface '" + interface + "'"};
  if (rc == PCAP_ERROR_IFACE_NOT_UP) return Failure{"interface '" + interface + "' is down"};
  if (rc < 0) return Failure{pcap_geterr(s->handle_)};
  if (auto ok = s->finish_open("interface " + interface, filter); !ok) return Failure{ok.error()};
  if (pcap_setnonblock(s->handle_, 1, errbuf) != 0) return Failure{errbuf};
  s->fd_ = pcap_get_selectable_fd(s->handle_);
  // The command started later must not inherit the capture socket.
  if (s->fd_ >= 0) fcntl(s->fd_, F_SETFD, FD_CLOEXEC);
  return s;
}

Result<std::unique_ptr<PcapSource>> PcapSource::open_file(const std::string& path,
                                                          const std::string& filter) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  std::unique_ptr<PcapSource> s(new PcapSource);
  s->handle_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (s->handle_ == nullptr) {
    // libpcap's words for a file that is not a capture are cryptic.
    std::string why = errbuf;
    if (why.find("unknown file format") != std::string::npos)
      why = "not a pcap or pcapng capture file";
    else if (why.find("truncated dump file") != std::string::npos)
      why = "the file ends inside its header (truncated)";
    return Failure{why};
  }
  if (auto ok = s->finish_open(path, filter); !ok) return Failure{ok.error()};
  return s;
}

PcapSource::Next PcapSource::next(CaptureRecord& record, int timeout_ms) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == 1) {
      record.time = static_cast<double>(header->ts.tv_sec) + static_cast<double>(header->ts.tv_usec) / 1e6;
      record.data = data;
      record.caplen = header->caplen;
      record.wirelen = header->len;
      record.header = header;
      return Next::record;
    }
    if (rc == PCAP_ERROR_BREAK) return Next::end;  // a file's end
    if (rc < 0) {
      error_ = pcap_geterr(handle_);
      // A record cut short by the file's end is how a truncated file ends.
      if (error_.find("truncated") != std::string::npos) error_ = "the file ends inside a packet (truncated)";
      return Next::error;
    }
    if (!live_) return Next::end;
    // Nothing waiting: sleep until the capture socket is readable.
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return Next::quiet;
  }
  return Next::quiet;
}

Result<void> PcapSource::write_to(const std::string& path) {
  dumper_ = pcap_dump_open(handle_, path.c_str());
  if (dumper_ == nullptr) return Failure{pcap_geterr(handle_)};
  fcntl(fileno(pcap_dump_file(dumper_)), F_SETFD, FD_CLOEXEC);
  return {};
}

void PcapSource::save(const CaptureRecord& record) {
  if (dumper_ != nullptr) pcap_dump(reinterpret_cast<u_char*>(dumper_), record.header, record.data);
}

void PcapSource::flush_file() {
  if (dumper_ != nullptr) pcap_dump_flush(dumper_);
}

std::uint64_t PcapSource::dropped() const {
  pcap_stat stats{};
  if (!live_ || pcap_stats(handle_, &stats) != 0) return 0;
  return stats.ps_drop;
}

}  // namespace socklab
