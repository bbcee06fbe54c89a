#include "engine.h"

#include "event_reader.h"
#include "json_writer.h"

namespace http_core {
Engine::Engine(const EngineOptions& options)
    : max_buffered_bytes_(options.max_buffered_bytes),
      limit_(options.max_buffered_bytes),
      ctx_(options.limits, options.max_buffered_bytes) {
  std::string_view rest = options.redact_csv;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty()) continue;
    std::string lower(name);
    for (char& c : lower) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    ctx_.redaction.Add(std::move(lower));
  }
}

int Engine::Feed(const uint8_t* batch, size_t len) {
  ++ctx_.stats.batches;
  EventReader reader(batch, len);
  StreamEvent ev;
  const char* reason = nullptr;
  for (;;) {
    switch (reader.Next(&ev, &reason)) {
      case EventReader::Result::kEvent:
        Apply(ev);
        break;
      case EventReader::Result::kInvalid:
        ++ctx_.stats.invalid_events;
        break;
      case EventReader::Result::kEnd:
        return 0;
      case EventReader::Result::kMalformed:
        ++ctx_.stats.malformed_batches;
        ctx_.stats.dropped_batch_bytes += reader.DroppedBytes();
        std::string line = "{\"level\":\"warn\",\"message\":\"malformed stream-event batch\",\"reason\":";
        AppendJsonString(line, reason);
        line += ",\"droppedBytes\":";
        AppendUint(line, reader.DroppedBytes());
        line += "}\n";
        ctx_.records.Append(line);
        return -1;
    }
  }
}

void Engine::Apply(const StreamEvent& ev) {
  CoreStats& st = ctx_.stats;
  if (ev.kind == EventKind::kOpen) {
    if (conns_.Find(ev.conn) != nullptr) {
      ++st.duplicate_opens;
      return;
    }
    if (conns_.size() >= ctx_.limits.max_connections) {
      ++st.connections_refused;
      return;
    }
    conns_.Insert(ev.conn, std::make_unique<HttpAssembler>(ev.conn, ev.client, ev.server, ctx_));
    ++st.connections_opened;
    return;
  }
  HttpAssembler* found = conns_.Find(ev.conn);
  if (found == nullptr) {
    ++st.unknown_connection_events;
    return;
  }
  HttpAssembler& conn = *found;
  switch (ev.kind) {
    case EventKind::kData:
      st.data_bytes += ev.len;
      // Bodies give way first: they may use what the rest does not, so a body is truncated (the
      // message goes on) before a whole message has to be cut.
      ctx_.budget.set_max(BodyShare());
      conn.OnData(static_cast<Direction>(ev.arg), ev.payload, ev.len, ev.ts);
      Account(conn);
      break;
    case EventKind::kGap:
      conn.OnGap(static_cast<Direction>(ev.arg), ev.lost_bytes);
      Account(conn);
      break;
    case EventKind::kClose:
      conn.OnClose(static_cast<CloseReason>(ev.arg));
      held_.Remove(&conn.held_entry());
      conns_.Erase(ev.conn);
      ++st.connections_closed;
      break;
    case EventKind::kOpen:
      break;
  }
}

void Engine::Finish() {
  conns_.ForEachById([this](uint64_t, HttpAssembler& conn) {
    conn.OnClose(CloseReason::kShutdown);
    held_.Remove(&conn.held_entry());
    ++ctx_.stats.connections_closed;
  });
  conns_.Clear();
}

uint64_t Engine::Balance(uint64_t other_bytes) {
  limit_ = other_bytes >= max_buffered_bytes_ ? 0 : max_buffered_bytes_ - other_bytes;
  Enforce();
  return held_.total();
}

uint64_t Engine::BodyShare() const {
  const uint64_t total = held_.total();
  const uint64_t bodies = ctx_.budget.used();
  const uint64_t rest = total > bodies ? total - bodies : 0;
  return limit_ > rest ? limit_ - rest : 0;
}

void Engine::Account(HttpAssembler& conn) {
  held_.Update(&conn.held_entry(), conn.HeldBytes());
  if (held_.total() > limit_) Enforce();
  held_.NotePeak();
}

// Bodies give way first, largest first (their messages go on, truncated); only when no body is
// left to cut are whole connections cut, largest first. Figures of connections other than the one
// just fed can only have shrunk since they were taken (a body cut), so they are re-measured before
// any connection is cut.
void Engine::Enforce() {
  if (held_.total() <= limit_) return;
  uint64_t freed = 0;
  while (held_.total() > limit_ + freed && ctx_.budget.used() > 0) {
    freed += ctx_.budget.CutLargest();
  }
  if (freed > 0) {
    held_.ForEach([this](HeldEntry* e) { held_.Update(e, e->owner->HeldBytes()); });
  }
  while (held_.total() > limit_) {
    HeldEntry* victim = held_.Largest();
    if (victim == nullptr) break;
    const uint64_t now = victim->owner->HeldBytes();
    if (now != victim->bytes) {
      held_.Update(victim, now);
      continue;
    }
    victim->owner->CutHeld();
    const uint64_t after = victim->owner->HeldBytes();
    ++held_cuts_;
    held_cut_bytes_ += now - (after < now ? after : now);
    held_.Update(victim, after);
    if (after >= now) break;  // CutHeld releases everything; never spin if it could not
  }
}

const std::string& Engine::StatsJson() {
  const CoreStats& st = ctx_.stats;
  std::string& o = stats_json_;
  o.clear();
  auto field = [&o](const char* name, uint64_t value) {
    o += o.size() > 1 ? ",\"" : "\"";
    o += name;
    o += "\":";
    AppendUint(o, value);
  };
  o += '{';
  field("batches", st.batches);
  field("malformedBatches", st.malformed_batches);
  field("droppedBatchBytes", st.dropped_batch_bytes);
  field("invalidEvents", st.invalid_events);
  field("unknownConnectionEvents", st.unknown_connection_events);
  field("duplicateOpens", st.duplicate_opens);
  field("connectionsOpened", st.connections_opened);
  field("connectionsClosed", st.connections_closed);
  field("connectionsRefused", st.connections_refused);
  field("connectionsOpen", conns_.size());
  field("dataBytes", st.data_bytes);
  field("requests", st.requests);
  field("responses", st.responses);
  field("incompleteMessages", st.incomplete_messages);
  field("truncatedBodies", st.truncated_bodies);
  field("parseErrors", st.parse_errors);
  field("messagesAfterClose", st.messages_after_close);
  field("gaps", st.gaps);
  field("gapBytes", st.gap_bytes);
  field("resyncs", st.resyncs);
  field("skippedBytes", st.skipped_bytes);
  field("upgradedBytes", st.upgraded_bytes);
  field("orphanResponses", st.orphan_responses);
  field("pendingOverflows", st.pending_overflows);
  field("unpairedRequests", st.unpaired_requests);
  field("unpairedResponses", st.unpaired_responses);
  field("pairingLost", st.pairing_lost);
  field("chunkedRecoveries", st.chunked_recoveries);
  field("stashOverflows", st.stash_overflows);
  field("bufferedBodyBytes", ctx_.budget.used());
  field("budgetCuts", ctx_.budget.cuts());
  field("budgetCutBytes", ctx_.budget.cut_bytes());
  field("heldBytes", held_.total());
  field("heldBytesPeak", held_.peak());
  field("heldLimit", limit_);
  field("heldCuts", held_cuts_);
  field("heldCutBytes", held_cut_bytes_);
  field("exchangesFiltered", ctx_.filter.counters().exchanges_filtered);
  field("messagesFiltered", ctx_.filter.counters().messages_filtered);
  field("urlsRedacted", ctx_.redactor.counters().urls_redacted);
  field("bodiesRedacted", ctx_.redactor.counters().bodies_redacted);
  field("bodiesUnparsed", ctx_.redactor.counters().bodies_unparsed);
  field("bodiesEncoded", ctx_.redactor.counters().bodies_encoded);
  o += ",\"nonHttpConnections\":{";
  for (int r = 0; r < 3; ++r) {
    if (r) o += ',';
    o += '"';
    o += NonHttpReasonName(static_cast<NonHttpReason>(r));
    o += "\":";
    AppendUint(o, st.non_http_connections[r]);
  }
  o += "},\"nonHttpBytes\":{";
  for (int r = 0; r < 3; ++r) {
    if (r) o += ',';
    o += '"';
    o += NonHttpReasonName(static_cast<NonHttpReason>(r));
    o += "\":";
    AppendUint(o, st.non_http_bytes[r]);
  }
  o += "}}";
  return o;
}

}  // namespace http_core
