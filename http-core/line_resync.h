// LineResync: one direction's search for the next message start, line by line.
//
// Contract:
// - Only a whole line that begins at a line boundary can be a start line (a request line
//   client→server, a status line server→client, see start_line.h); everything else is passed over
//   and counted in skipped(); whether it held "HTTP/" is remembered (TakeSkippedVersion).
// - A line that may still become a start line but has not ended yet is carried over to the next
//   bytes (at most max_line bytes; a longer one is passed over), with the time of its first byte.
// - The HTTP/2 connection preface is reported as such when asked for (the owner decides what it
//   means for the connection).
// - Holds no memory while it is not carrying a line, except a small buffer kept for the next one.
#ifndef HTTP_CORE_LINE_RESYNC_H_
#define HTTP_CORE_LINE_RESYNC_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace http_core {

class LineResync {
 public:
  enum class Found : uint8_t {
    kNothing,       // every byte was consumed (skipped or carried)
    kStartHere,     // a start line begins at data + used (nothing carried)
    kStartCarried,  // the carried line, completed by data[0..used), is a start line: TakeLine()
    kHttp2Preface,  // the preface begins at data + used, after carried() (left for the owner)
  };
  struct Result {
    Found found;
    size_t used;
  };

  // Starts a search; a carried line is dropped (counted as skipped).
  void Begin(bool at_line_start);

  // REQUIRES: len > 0.
  Result Scan(bool is_client, bool look_for_preface, const uint8_t* data, size_t len, int64_t ts,
              size_t max_line);

  // Holds bytes that begin a line before Scan sees them (the first bytes of a direction).
  void Hold(const uint8_t* data, size_t len, int64_t ts);
  const std::string& carried() const { return carry_; }
  int64_t carried_ts() const { return carry_ts_; }

  // After kStartCarried: the whole start line. Give the storage back with Recycle().
  std::string TakeLine();
  void Recycle(std::string&& storage);

  // Drops the carried bytes: counted as skipped (Drop) or not (Discard: counted elsewhere).
  void Drop();
  void Discard() { std::string().swap(carry_); }

  uint64_t skipped() const { return skipped_; }
  // Whether bytes passed over since the last call held "HTTP/" (a status line begins with it, a
  // request line ends with it), so that a message start may have been among them. Clears it.
  bool TakeSkippedVersion();

 private:
  static constexpr size_t kTail = 4;  // "HTTP/" less one byte
  void Skip(const uint8_t* p, size_t n);

  std::string carry_;  // the current partial line, when it began at a line boundary
  int64_t carry_ts_ = -1;
  uint64_t skipped_ = 0;
  uint8_t tail_[kTail] = {};  // the last bytes passed over, until a start line is found
  uint8_t tail_len_ = 0;
  bool skipped_version_ = false;
  bool at_line_start_ = true;
};

}  // namespace http_core

#endif  // HTTP_CORE_LINE_RESYNC_H_
