// Engine: the connections of one decoder, by id. Reads batches of stream events, routes them to each
// connection's HttpAssembler, and collects the output (message lines, log records) and the counters.
//
// Everything an engine holds is bounded: connections by CoreLimits::max_connections, each
// connection by CoreLimits, and everything the connections hold together (HeldLedger) by the
// core's share of max_buffered_bytes: the whole of it less what the host says the rest of the
// process holds against the same budget (Balance; docs/internals.md §6).
#ifndef HTTP_CORE_ENGINE_H_
#define HTTP_CORE_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "connection_table.h"
#include "core_context.h"
#include "held_ledger.h"
#include "http_assembler.h"

namespace http_core {

// What the caller decides, every option explicit: the defaults live in ts/src/config.ts only.
struct EngineOptions {
  EngineOptions(uint32_t max_body_size, uint64_t budget_bytes)
      : max_buffered_bytes(budget_bytes), limits(max_body_size) {}
  uint64_t max_buffered_bytes;  // the one budget the core shares with the capture (Engine::Balance)
  std::string_view redact_csv;  // comma-separated header names; matched case-insensitively
  CoreLimits limits;            // max_body_size is the caller's; see core_limits.h for the rest
};

class Engine {
 public:
  explicit Engine(const EngineOptions& options);

  // Consumes one batch. Returns 0, or -1 when the batch's framing broke (the rest is dropped and
  // counted; the events before it took effect).
  int Feed(const uint8_t* batch, size_t len);

  // Options beyond the constructor's, one at a time (http_core_engine_configure, docs/internals.md
  // §2). Returns false when the value is refused; that option is then off.
  enum class Option : uint32_t {
    kRedactQueryParams = 1,  // comma-separated names
    kRedactBodyFields = 2,   // comma-separated names
    kAllowUrl = 3,           // a PatternProgram
    kDisallowUrl = 4,        // a PatternProgram
    kAllowHost = 5,          // a PatternProgram
    kAllowMethods = 6,       // comma-separated method names
    kPlacement = 7,          // a JSON object, added to every message as its `placement`
  };
  bool Configure(uint32_t option, const uint8_t* value, size_t len);

  // A body decoded after the core, through the engine's body-field redaction (its lists and counters):
  // the redacted copy (valid until the next call into the engine), or null when nothing was replaced.
  const std::string* RedactDecodedBody(std::string_view content_type, std::string_view body, bool cut_expected) {
    return ctx_.redactor.RedactDecoded(content_type, body, cut_expected);
  }

  // End of input: every open connection is closed with reason `shutdown` (messages still open end
  // at their direction's last data time).
  void Finish();

  // The rest of the process (the capture's reassembly) holds `other_bytes` of the same budget: the
  // core's limit becomes max_buffered_bytes less that, enforced at once (largest holders cut).
  // Returns what the core holds afterwards, for the other side's limit.
  uint64_t Balance(uint64_t other_bytes);

  // The message lines since the last ClearOutput, how many, and the log records (docs/internals.md §2).
  const OutputBuffer& output() const { return ctx_.out; }
  uint32_t output_messages() const { return ctx_.out_messages; }
  const OutputBuffer& records() const { return ctx_.records; }
  void ClearOutput() {
    ctx_.out.Clear();
    ctx_.out_messages = 0;
    ctx_.records.Clear();
  }
  const CoreStats& stats() const { return ctx_.stats; }
  uint64_t buffered_body_bytes() const { return ctx_.budget.used(); }
  uint64_t held_bytes() const { return held_.total(); }
  uint64_t held_peak() const { return held_.peak(); }
  uint64_t held_limit() const { return limit_; }
  size_t open_connections() const { return conns_.size(); }

  // The counters as one JSON object (valid until the next call).
  const std::string& StatsJson();

 private:
  void Apply(const StreamEvent& ev);
  // Refreshes conn's figure in the ledger, then cuts the largest holders while over the limit.
  void Account(HttpAssembler& conn);
  void Enforce();
  // What kept bodies may use now: the limit less everything else the ledger counts.
  uint64_t BodyShare() const;

  const uint64_t max_buffered_bytes_;
  uint64_t limit_;
  uint64_t held_cuts_ = 0;
  uint64_t held_cut_bytes_ = 0;
  HeldLedger held_;
  CoreContext ctx_;
  ConnectionTable conns_;
  std::string stats_json_;
};

}  // namespace http_core

#endif  // HTTP_CORE_ENGINE_H_
