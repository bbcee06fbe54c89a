// BodyBudget: one limit over the body bytes that all unfinished messages keep: the part of the core's
// share of max_buffered_bytes that the rest of what it holds leaves (held_ledger.h).
//
// Every message that keeps body bytes is a BodyHolder linked into the budget. When a new chunk would
// go past the limit, the budget cuts the largest holders first: a cut holder releases what it kept and
// keeps nothing more (its message ends with body_truncated). The requester itself may be the one
// cut.
#ifndef HTTP_CORE_BODY_BUDGET_H_
#define HTTP_CORE_BODY_BUDGET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace http_core {

class BodyBudget;

// The kept prefix of a message body. While a body's bytes come in one piece, they are not copied:
// the holder points at them where the parser read them (`view`) until they are settled into
// `stored` (BodyBudget::Settle), which the parser does before that input goes away. A message
// whose body arrived in one data event is written from its input and its bytes are never stored.
struct BodyHolder {
  std::string_view bytes() const { return view ? std::string_view(view, view_len) : std::string_view(stored); }
  size_t size() const { return view ? view_len : stored.size(); }

  std::string stored;
  const char* view = nullptr;  // the bytes, not yet stored (stored is then empty)
  size_t view_len = 0;
  bool cut = false;  // the budget took this holder's bytes away
  BodyHolder* prev = nullptr;
  BodyHolder* next = nullptr;
  bool linked = false;
};

class BodyBudget {
 public:
  explicit BodyBudget(uint64_t max_bytes) : max_(max_bytes) {}

  // Appends len bytes of data to the holder's bytes unless the budget has cut it (or must cut it to
  // make room). Returns the number of bytes kept (0 or len). The first bytes of an empty holder are
  // only pointed at. REQUIRES: data stays valid until Settle(holder) or Release(holder).
  size_t Keep(BodyHolder* holder, const uint8_t* data, size_t len);

  // Copies the bytes a holder points at into its own storage (what the budget counts is unchanged).
  void Settle(BodyHolder* holder) {
    if (holder->view == nullptr) return;
    holder->stored.assign(holder->view, holder->view_len);
    holder->view = nullptr;
    holder->view_len = 0;
  }

  // Releases the holder's bytes and unlinks it (message emitted or discarded).
  void Release(BodyHolder* holder);

  // Cuts the largest holder (its message goes on, truncated). Returns the bytes it released.
  uint64_t CutLargest();

  // The limit is what the core's share of maxBufferedBytes leaves after everything else it holds
  // (Engine::BodyShare, set before each data event); a lower one applies from the next Keep.
  void set_max(uint64_t max_bytes) { max_ = max_bytes; }
  uint64_t used() const { return used_; }
  uint64_t cuts() const { return cuts_; }
  uint64_t cut_bytes() const { return cut_bytes_; }

 private:
  void Cut(BodyHolder* holder);
  BodyHolder* Largest() const;

  uint64_t max_;
  uint64_t used_ = 0;
  uint64_t cuts_ = 0;
  uint64_t cut_bytes_ = 0;
  BodyHolder* head_ = nullptr;
};

}  // namespace http_core

#endif  // HTTP_CORE_BODY_BUDGET_H_
