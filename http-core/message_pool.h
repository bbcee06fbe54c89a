// MessagePool: the Message objects (with their arena, header list and body storage) of one engine.
//
// A direction holds a Message only while a message is open; an idle keep-alive connection holds
// none. Given-back messages keep their small buffers for the next one that begins anywhere in the
// engine, so assembling a message still allocates nothing in the steady state. At most kMaxSpare
// are kept; large buffers are released before a message is kept.
#ifndef HTTP_CORE_MESSAGE_POOL_H_
#define HTTP_CORE_MESSAGE_POOL_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "message.h"

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

 private:
  std::vector<std::unique_ptr<Message>> spare_;
};

}  // namespace http_core

#endif  // HTTP_CORE_MESSAGE_POOL_H_
