// HttpAssembler, a direction whose chunked body lost bytes: the message stays open while
// ChunkResync looks for where the chunk framing resumes and LineResync for the next start line in
// the same bytes. A believed chunk chain is followed to the body's end, which ends the message
// (`incomplete`: bytes were lost; bodySize counts the data the chain proved, nothing after the hole
// is kept); a start line that comes first ends it where the hole was, as after any other gap.
#include "http_assembler.h"

#include <memory>

namespace http_core {

bool HttpAssembler::OthersAwaitAnswers(const Side& s) const {
  if (s.parser.is_request()) return false;
  const bool paired = queue_.RequestOf(s.parser.msg().exchange) != nullptr;
  return queue_.size() > (paired ? 1u : 0u) || queue_.unpaired_due() > 0;
}

void HttpAssembler::BeginChunkRecovery(Side& s, uint64_t known_remaining) {
  s.chunk = std::make_unique<ChunkRecovery>();
  s.chunk->others_waiting = OthersAwaitAnswers(s);
  s.chunk->inside_body = s.parser.gap_inside_body();
  s.chunk->chunks.Begin(known_remaining);
  const uint64_t skipped_before = s.resync.skipped();
  s.resync.Begin(/*at_line_start=*/true);
  ctx_.stats.skipped_bytes += s.resync.skipped() - skipped_before;
  s.mode = Mode::kChunkResync;
}

// Another hole: inside the data of a chunk being followed, with enough bytes still due, the
// framing goes on; otherwise the search starts again after it.
void HttpAssembler::ChunkGap(Side& s, uint64_t lost_bytes) {
  ChunkResync& chunks = s.chunk->chunks;
  if (chunks.FitGap(lost_bytes)) return;
  if (OthersAwaitAnswers(s)) s.chunk->others_waiting = true;
  s.chunk->inside_body = false;
  chunks.Begin(ChunkResync::kUnknown);
  const uint64_t skipped_before = s.resync.skipped();
  s.resync.Begin(/*at_line_start=*/true);
  s.chunk->skipped += s.resync.skipped() - skipped_before;
}

size_t HttpAssembler::RecoverChunked(Side& s, const uint8_t* data, size_t len) {
  ChunkResync& chunks = s.chunk->chunks;
  size_t used = 0;
  if (!chunks.following()) {
    const size_t until = chunks.Search(data, len);
    const bool is_client = s.parser.is_request();
    const uint64_t skipped_before = s.resync.skipped();
    const LineResync::Result r = s.resync.Scan(is_client, /*look_for_preface=*/false, data, until,
                                               s.cur_ts, ctx_.limits.max_start_line_bytes);
    s.chunk->skipped += s.resync.skipped() - skipped_before;
    if (r.found == LineResync::Found::kStartHere || r.found == LineResync::Found::kStartCarried) {
      // A start line before any believed chunk: the hole took the body's end. A chain that Search
      // believed further on is forgotten.
      chunks.Begin(ChunkResync::kUnknown);
      EndChunkRecovery(s, /*at_close=*/false);
      s.parser.Reset();
      ++ctx_.stats.resyncs;
      if (r.found == LineResync::Found::kStartCarried) FeedCarriedLine(s);
      else s.mode = Mode::kParse;
      return r.used;
    }
    if (!chunks.following()) return len;
    s.resync.Discard();  // a line carried so far was chunk data, not a start line
    ++ctx_.stats.chunked_recoveries;
    used = until;
  }
  const ChunkResync::FollowResult f = chunks.Follow(data + used, len - used);
  used += f.used;
  if (f.ended) {
    s.parser.msg().end_ts = s.cur_ts;
    EndChunkRecovery(s, /*at_close=*/false);
    s.parser.Reset();
    s.mode = Mode::kParse;
  } else if (f.broken) {
    // The framing believed in does not hold after all: the message ends here and the direction
    // looks for the next start line from this byte.
    const bool at_line_start = chunks.last_byte() == '\n';
    EndChunkRecovery(s, /*at_close=*/false);
    ++ctx_.stats.resyncs;
    EnterResync(s, at_line_start);
  }
  return used;
}

// Emits the recovering message with the body bytes the chain proved. A hole no longer than the least
// the body still needed, or the framing of the chunk it fell in followed to the body's end, proves
// that it held no byte of a later message; otherwise it may have taken the body's end and messages
// after it (requests, or answers to requests that were waiting), as may bytes passed over that hold
// "HTTP/".
void HttpAssembler::EndChunkRecovery(Side& s, bool at_close) {
  const ChunkRecovery& c = *s.chunk;
  if (!c.chunks.following()) ctx_.stats.skipped_bytes += c.skipped;
  const bool proven = c.inside_body || c.chunks.proved_remainder();
  const bool doubt = s.parser.is_request() || c.others_waiting;
  Message& m = s.parser.msg();
  m.body_size += c.chunks.body_bytes();
  if (c.chunks.body_bytes() > 0) m.has_body = true;
  s.chunk.reset();
  Cut(s);
  const bool skipped_start = s.resync.TakeSkippedVersion();
  if (at_close) {
    s.mode = Mode::kParse;
  } else if (skipped_start || (!proven && doubt)) {
    LoseMessages(s);
  }
}

}  // namespace http_core
