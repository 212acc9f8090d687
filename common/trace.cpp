#include "common/trace.hpp"

#include <ostream>

namespace socklab {

std::string_view close_story(FinState fins) {
  if (fins.peer_sent_fin && !fins.we_sent_fin) return story::close_after_peer_fin;
  if (fins.we_sent_fin && fins.peer_sent_fin) return story::close_both_fins_ours_first;
  return story::close_first;
}

Tracer::Tracer() = default;

Tracer::Tracer(bool enabled, std::ostream& out) : enabled_(enabled), out_(&out) {}

std::string Tracer::format(int number, std::string_view action, std::string_view detail, Call call,
                           std::string_view consequence) {
  // Appended piece by piece: GCC 12 at -O2 wrongly warns that "[" +
  // std::to_string(...) may overlap (-Wrestrict, GCC bug 105329), which
  // fails a release build with -Dwerror=true.
  std::string line = "[";
  line += std::to_string(number);
  line += "] ";
  line += action;
  if (!detail.empty()) {
    line += ' ';
    line += detail;
  }
  // Pad to a column so the Go/C names line up in a run of steps.
  constexpr std::size_t column = 40;
  line.append(line.size() < column ? column - line.size() : 1, ' ');
  line += "(Go: ";
  line += call.go;
  line += " | C: ";
  line += call.c;
  line += ')';
  if (!consequence.empty()) {
    line += "\n    -> ";
    line += consequence;
  }
  return line;
}

void Tracer::step(int number, std::string_view action, std::string_view detail, Call call,
                  std::string_view consequence) const {
  if (!enabled_) return;
  std::string text = format(number, action, detail, call, consequence);
  text += '\n';
  std::lock_guard lock(mutex_);
  *out_ << text << std::flush;
}

void Tracer::note(std::string_view text) const {
  if (!enabled_) return;
  std::string line = "    ";
  line += text;
  line += '\n';
  std::lock_guard lock(mutex_);
  *out_ << line << std::flush;
}

std::string bytes_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

}  // namespace socklab
