// HttpAssembler, a connection that asks to leave HTTP: the client's bytes held while an upgrade
// request awaits its answer, given back to the parser when the server declines, or the connection
// left to its new protocol (a tunnel) when it accepts.
#include <string>

#include "http_assembler.h"

namespace http_core {

// The server answered an upgrade request without upgrading: the client keeps speaking HTTP.
void HttpAssembler::ResumeClient() {
  resume_client_ = false;
  Side& c = sides_[0];
  if (c.mode != Mode::kAwaitUpgrade) return;
  bool lost = false;
  const std::string held = hold_->Take(&lost);
  if (lost) {
    LoseMessages(c);  // the held bytes that were lost may have held requests
    EnterResync(c, /*at_line_start=*/false);
  } else {
    c.parser.Reset();
    c.mode = Mode::kParse;
  }
  Dispatch(c, reinterpret_cast<const uint8_t*>(held.data()), held.size());
}

size_t HttpAssembler::HoldForUpgrade(const uint8_t* data, size_t len) {
  const UpgradeHold::HoldResult r = hold_->Hold(data, len, ctx_.limits.max_stash_bytes);
  if (r.overflowed) ++ctx_.stats.stash_overflows;
  ctx_.stats.skipped_bytes += r.dropped;
  return len;
}

void HttpAssembler::EnterTunnel() {
  upgraded_ = true;
  CutOrAbandon(sides_[0]);
  if (hold_) {
    ctx_.stats.upgraded_bytes += hold_->Drop();
    hold_->ForgetOffer();
  }
  for (Side& s : sides_) {
    s.mode = Mode::kIgnore;
    s.resync.Discard();
  }
}

}  // namespace http_core
