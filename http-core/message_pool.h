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

class MessagePool {
 public:
  static constexpr size_t kMaxSpare = 64;

  std::unique_ptr<Message> Take() {
    if (spare_.empty()) return std::make_unique<Message>();
    std::unique_ptr<Message> m = std::move(spare_.back());
    spare_.pop_back();
    return m;
  }

  // REQUIRES: m's body bytes were given back to the BodyBudget.
  void Give(std::unique_ptr<Message> m) {
    if (spare_.size() >= kMaxSpare) return;  // freed here
    m->ReleaseLargeBuffers();
    spare_.push_back(std::move(m));
  }

  size_t spare() const { return spare_.size(); }

  // REQUIRES (Give): w holds no Message.
  std::unique_ptr<ParserWork> TakeWork() {
    if (spare_work_.empty()) return std::make_unique<ParserWork>();
    std::unique_ptr<ParserWork> w = std::move(spare_work_.back());
    spare_work_.pop_back();
    return w;
  }
  void GiveWork(std::unique_ptr<ParserWork> w) {
    if (spare_work_.size() < kMaxSpare) spare_work_.push_back(std::move(w));
  }
  size_t spare_work() const { return spare_work_.size(); }

 private:
  std::vector<std::unique_ptr<Message>> spare_;
  std::vector<std::unique_ptr<ParserWork>> spare_work_;
};

}  // namespace http_core

#endif  // HTTP_CORE_MESSAGE_POOL_H_
