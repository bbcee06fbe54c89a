// What one connection holds against the engine's budget, and how it lets go of it
// (docs/internals.md §6): the HttpAssembler methods the engine's HeldLedger calls.
#include "http_assembler.h"

namespace http_core {

namespace {
// Static text: the message keeps a pointer to it (Message::error).
const char kHeldCutError[] = "cut: maxBufferedBytes reached, held bytes released";
}  // namespace

uint64_t HttpAssembler::HeldBytes() const {
  uint64_t n = hold_ ? hold_->held_bytes() : 0;
  for (const Side& s : sides_) n += s.parser.held_bytes() + s.resync.carried().size();
  return n;
}

void HttpAssembler::CutHeld() {
  for (Side& s : sides_) {
    if (s.mode == Mode::kParse && s.parser.in_message()) {
      if (s.parser.start_line_done()) {
        s.parser.msg().error = kHeldCutError;
        Cut(s);
      } else {
        Abandon(s);  // a message start dropped: what it was is unknown
        LoseMessages(s);
      }
      ++ctx_.stats.resyncs;
      EnterResync(s, /*at_line_start=*/false);
    } else if (s.mode == Mode::kChunkResync) {
      // A chunked body recovering from a gap keeps its message open: it ends here, with the body
      // the chain proved so far, as a broken chain would end it.
      s.parser.msg().error = kHeldCutError;
      EndChunkRecovery(s, /*at_close=*/false);
      ++ctx_.stats.resyncs;
      EnterResync(s, /*at_line_start=*/false);
    } else if (s.mode == Mode::kResync && !s.resync.carried().empty()) {
      EnterResync(s, /*at_line_start=*/false);
    } else if (!s.resync.carried().empty()) {
      DropCarriedLine(s);  // the first byte of a direction, held to look for a TLS record
    }
  }
  if (sides_[0].mode == Mode::kAwaitUpgrade) ctx_.stats.skipped_bytes += hold_->Lose();
  if (hold_) hold_->ForgetOffer();
}

}  // namespace http_core
