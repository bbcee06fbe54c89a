#include "pattern_program.h"

#include <cstring>

namespace http_core {
namespace {

uint32_t ReadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

bool PatternProgram::Load(const uint8_t* bytes, size_t len) {
  insts_.clear();
  classes_.clear();
  if (bytes == nullptr || len < 4 || len % 4 != 0) return false;
  const size_t words = len / 4;
  const uint32_t n = ReadU32(bytes);
  if (n == 0 || n > kMaxInstructions || words < 1 + 3 * static_cast<size_t>(n)) return false;
  const size_t class_words = words - 1 - 3 * static_cast<size_t>(n);
  if (class_words % 8 != 0) return false;
  const size_t class_count = class_words / 8;
  std::vector<Inst> insts(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t* w = bytes + 4 + 12 * static_cast<size_t>(i);
    Inst inst{ReadU32(w), ReadU32(w + 4), ReadU32(w + 8)};
    switch (inst.op) {
      case kMatch: case kAny: case kBegin: case kEnd:
        break;
      case kByte:
        if (inst.x > 0xFF) return false;
        break;
      case kClass:
        if (inst.x >= class_count) return false;
        break;
      case kSplit:
        if (inst.x >= n || inst.y >= n) return false;
        break;
      case kJump:
        if (inst.x >= n) return false;
        break;
      default:
        return false;
    }
    // A byte-reading instruction falls through to i + 1, which must exist.
    if ((inst.op == kByte || inst.op == kAny || inst.op == kClass || inst.op == kBegin ||
         inst.op == kEnd) && i + 1 >= n) {
      return false;
    }
    insts[i] = inst;
  }
  std::vector<uint64_t> classes(class_count * 4);
  const uint8_t* c = bytes + 4 + 12 * static_cast<size_t>(n);
  for (size_t k = 0; k < class_count * 4; ++k) {
    classes[k] = static_cast<uint64_t>(ReadU32(c + 8 * k)) |
                 static_cast<uint64_t>(ReadU32(c + 8 * k + 4)) << 32;
  }
  insts_ = std::move(insts);
  classes_ = std::move(classes);
  for (ThreadSet* s : {&current_, &next_}) {
    s->dense.assign(n, 0);
    s->sparse.assign(n, 0);
    s->size = 0;
  }
  stack_.assign(n, 0);
  return true;
}

bool PatternProgram::ByteMatches(const Inst& inst, uint8_t c) const {
  switch (inst.op) {
    case kByte: return c == inst.x;
    case kAny: return true;
    case kClass: return (classes_[inst.x * 4 + c / 64] >> (c % 64)) & 1;
    default: return false;
  }
}

bool PatternProgram::AddThread(ThreadSet& set, uint32_t pc, size_t pos, size_t len) {
  // Each instruction enters the set once per position, so the stack never holds more than N.
  if (set.Has(pc)) return false;
  set.Insert(pc);
  size_t top = 0;
  stack_[top++] = pc;
  while (top > 0) {
    const uint32_t at = stack_[--top];
    const Inst& inst = insts_[at];
    uint32_t follow[2];
    int count = 0;
    switch (inst.op) {
      case kMatch: return true;
      case kSplit: follow[count++] = inst.x; follow[count++] = inst.y; break;
      case kJump: follow[count++] = inst.x; break;
      case kBegin: if (pos == 0) follow[count++] = at + 1; break;
      case kEnd: if (pos == len) follow[count++] = at + 1; break;
      default: break;  // reads a byte: stays in the set for the step
    }
    for (int k = 0; k < count; ++k) {
      if (set.Has(follow[k])) continue;
      set.Insert(follow[k]);
      stack_[top++] = follow[k];
    }
  }
  return false;
}

bool PatternProgram::Search(std::string_view text, bool fold_case) {
  const size_t len = text.size();
  // A pattern that starts with ^ can only begin at 0: no thread is seeded after it.
  const bool anchored = insts_[0].op == kBegin;
  current_.size = 0;
  for (size_t pos = 0;; ++pos) {
    if ((pos == 0 || !anchored) && AddThread(current_, 0, pos, len)) return true;
    if (pos == len || (anchored && current_.size == 0)) return false;
    uint8_t c = static_cast<uint8_t>(text[pos]);
    if (fold_case && c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c - 'A' + 'a');
    next_.size = 0;
    for (uint32_t k = 0; k < current_.size; ++k) {
      const Inst& inst = insts_[current_.dense[k]];
      if (ByteMatches(inst, c) && AddThread(next_, current_.dense[k] + 1, pos + 1, len)) return true;
    }
    std::swap(current_, next_);
  }
}

}  // namespace http_core
