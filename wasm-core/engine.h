// Engine: the connections of one decoder, by id. Reads batches of stream events, routes them to each
// connection's HttpAssembler, and collects the output (`M`/`L` lines) and the counters.
//
// Everything an engine holds is bounded: connections by CoreLimits::maxConnections, each connection
// by CoreLimits, and all kept body bytes together by maxBufferedBytes.
#ifndef TSN_WASM_CORE_ENGINE_H_
#define TSN_WASM_CORE_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core_context.h"
#include "http_assembler.h"

namespace tsn {

struct EngineOptions {
  uint32_t maxBodySize = 65536;
  uint64_t maxBufferedBytes = 134217728;
  std::string_view redactCsv;  // comma-separated header names; matched case-insensitively
  CoreLimits limits;           // maxBodySize above overrides limits.maxBodySize
};

class Engine {
 public:
  explicit Engine(const EngineOptions& options);

  // Consumes one batch. Returns 0, or -1 when the batch's framing broke (the rest is dropped and
  // counted; the events before it took effect).
  int Feed(const uint8_t* batch, size_t len);

  // End of input: every open connection is closed with reason `shutdown` at ts.
  void Finish(int64_t ts);

  OutputBuffer& output() { return ctx_.out; }
  const CoreStats& stats() const { return ctx_.stats; }
  uint64_t bufferedBodyBytes() const { return ctx_.budget.used(); }
  size_t openConnections() const { return conns_.size(); }

  // The counters as one JSON object (valid until the next call).
  const std::string& StatsJson();

 private:
  void Apply(const StreamEvent& ev);

  CoreContext ctx_;
  std::unordered_map<uint64_t, std::unique_ptr<HttpAssembler>> conns_;
  std::string statsJson_;
};

}  // namespace tsn

#endif  // TSN_WASM_CORE_ENGINE_H_
