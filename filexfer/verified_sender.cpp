#include "filexfer/verified_sender.hpp"

#include <exception>

#include "common/error.hpp"
#include "filexfer/send_content.hpp"
#include "filexfer/steps.hpp"

namespace socklab::filexfer {

void VerifiedSender::hello(const std::vector<Source>& files) {
  conn_.write_all(encode(Hello{protocol_version, Run::count(files), Run::bytes(files)}), "write hello");
}

void VerifiedSender::offer(std::span<const Source> group) {
  std::string offers = encode(Group{group.size()});
  for (const Source& s : group)
    offers += s.directory ? encode(Directory{s.name}) : encode(FileHeader{s.name, s.size});
  conn_.write_all(offers, "write header");
  for (const Source& s : group) {
    tracer_.step(4, "write name",
                 s.directory ? s.name + "/ (an empty directory)" : s.name + ", " + bytes_text(s.size),
                 calls::write);
  }
}

VerifiedSender::Accepted VerifiedSender::answers(std::span<const Source> group) {
  Accepted accepted;
  for (const Source& s : group) {
    if (const auto from = take_answer(s, read_answer())) accepted.emplace_back(&s, *from);
  }
  return accepted;
}

Answer VerifiedSender::read_answer() {
  for (;;) {
    auto message = conn_.read_message(decode_answer_or_verdict, "read answer");
    if (const auto* verdict = std::get_if<Verdict>(&message)) {
      take_verdict(*verdict);
      continue;
    }
    return std::get<Answer>(message);
  }
}

std::optional<std::uint64_t> VerifiedSender::take_answer(const Source& s, const Answer& answer) {
  const auto refused_by = [&] { return "refused by " + peer_ + ": "; };  // built only for a refusal
  if (s.directory) {
    run_.done(s,
              answer.accepted ? Outcome{} : Outcome{SendVerdict::refused, {}, refused_by() + answer.reason});
    return std::nullopt;
  }
  if (answer.have) {
    // The receiver has a file of this size there: the same one if the hashes agree.
    const Sha256 mine = hash_source(s);
    tracer_.step(5, "read answer", "the receiver has it, sha256=" + to_hex(*answer.have), calls::read);
    if (mine == *answer.have) {
      run_.done(s, {SendVerdict::skipped, mine});
    } else {
      run_.done(s, {SendVerdict::refused, mine,
                    refused_by() + "exists: " + s.name + " is already there (--overwrite replaces it)"});
    }
    return std::nullopt;
  }
  if (!answer.accepted) {
    tracer_.step(5, "read answer", "refused: " + answer.reason, calls::read);
    run_.done(s, {SendVerdict::refused, {}, refused_by() + answer.reason});
    return std::nullopt;
  }
  if (answer.offset > s.size) throw StepError("read answer", "the receiver asked to resume beyond the end");
  tracer_.step(
      5, "read answer",
      answer.offset ? "accepted, resume from byte " + std::to_string(answer.offset) : "accepted (ok)",
      calls::read);
  return answer.offset;
}

void VerifiedSender::send(const Source& s, std::uint64_t from) {
  Sha256 digest;
  try {
    digest = send_content(conn_, s, from, run_);
  } catch (const StepError&) {
    explain_broken_send(s);
  }
  tracer_.step(6, "write loop", bytes_text(s.size - from) + " of " + s.name, file_calls::copy_out);
  conn_.write_all(encode(Trailer{digest}), "write trailer");
  waiting_.push_back({&s, digest, from});
}

// A receiver that gives up mid-file (its disk is full) sends the verdicts
// it owes, then this file's: show that reason rather than "connection
// reset". Called while the failure of the send is being handled.
void VerifiedSender::explain_broken_send(const Source& s) {
  try {
    for (;;) {
      const Verdict early = conn_.read_message(decode_verdict, "read verdict");
      if (!waiting_.empty()) {
        take_verdict(early);
        continue;
      }
      throw StepError("write " + s.name, peer_ + " says: " + early.reason);
    }
  } catch (const BadMessage&) {
  } catch (const StepError& again) {
    if (again.reason().find(" says: ") != std::string::npos) throw;
  }
  throw;  // the send's own failure
}

void VerifiedSender::take_verdict(const Verdict& verdict) {
  if (waiting_.empty()) throw BadMessage("read verdict", "a verdict for no file");
  const Waiting w = waiting_.front();
  waiting_.pop_front();
  tracer_.step(7, "read verdict", w.source->name + (verdict.good ? " good" : " bad: " + verdict.reason),
               calls::read);
  const std::uint64_t moved = w.source->size - w.from;
  if (verdict.good) {
    run_.done(*w.source, {SendVerdict::good, w.digest, {}, w.from, moved});
  } else {
    run_.done(*w.source, {SendVerdict::bad, w.digest, peer_ + " says: " + verdict.reason, w.from, moved});
  }
}

void VerifiedSender::end() {
  conn_.write_all(encode(End{}), "write end");
  while (!waiting_.empty()) take_verdict(conn_.read_message(decode_verdict, "read verdict"));
  conn_.shutdown_write();
}

}  // namespace socklab::filexfer
