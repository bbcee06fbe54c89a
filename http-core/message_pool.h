// MessagePool: the Message objects (with their arena, header list and body storage) and the
// ParserWork objects (llhttp's state) of one engine.
//
// A direction holds a Message only while a message is open, and a ParserWork only while it parses;
// an idle keep-alive connection holds neither. Given-back messages keep their small buffers for the
// next one that begins anywhere in the engine, so assembling a message still allocates nothing in the
// steady state. At most kMaxSpare of each are kept; large buffers are released before a message is
// kept.
#ifndef HTTP_CORE_MESSAGE_POOL_H_
#define HTTP_CORE_MESSAGE_POOL_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "message.h"
#include "parser_work.h"

namespace http_core {

// Up to kMaxSpare given-back objects of one kind, handed out again before any new one is made.
template <typename T>
class Spares {
 public:
  static constexpr size_t kMaxSpare = 64;

  std::unique_ptr<T> Take() {
    if (spare_.empty()) return std::make_unique<T>();
    std::unique_ptr<T> x = std::move(spare_.back());
    spare_.pop_back();
    return x;
  }
  bool full() const { return spare_.size() >= kMaxSpare; }
  // REQUIRES: !full().
  void Keep(std::unique_ptr<T> x) { spare_.push_back(std::move(x)); }
  size_t size() const { return spare_.size(); }

 private:
  std::vector<std::unique_ptr<T>> spare_;
};

class MessagePool {
 public:
  static constexpr size_t kMaxSpare = Spares<Message>::kMaxSpare;

  std::unique_ptr<Message> Take() { return messages_.Take(); }

  // REQUIRES: m's body bytes were given back to the BodyBudget.
  void Give(std::unique_ptr<Message> m) {
    if (messages_.full()) return;  // freed here
    m->ReleaseLargeBuffers();
    messages_.Keep(std::move(m));
  }

  size_t spare() const { return messages_.size(); }

  // REQUIRES (Give): w holds no Message.
  std::unique_ptr<ParserWork> TakeWork() { return work_.Take(); }
  void GiveWork(std::unique_ptr<ParserWork> w) {
    if (!work_.full()) work_.Keep(std::move(w));
  }
  size_t spare_work() const { return work_.size(); }

 private:
  Spares<Message> messages_;
  Spares<ParserWork> work_;
};

}  // namespace http_core

#endif  // HTTP_CORE_MESSAGE_POOL_H_
