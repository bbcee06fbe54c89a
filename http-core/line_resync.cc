#include "line_resync.h"

#include <cstring>
#include <utility>

#include "start_line.h"

namespace http_core {

void LineResync::Begin(bool at_line_start) {
  if (!carry_.empty()) {
    Skip(reinterpret_cast<const uint8_t*>(carry_.data()), carry_.size());
    carry_.clear();
  }
  // A long line's storage goes back at once: the budget counts what is carried, not kept capacity.
  if (carry_.capacity() > 1024) std::string().swap(carry_);
  at_line_start_ = at_line_start;
}

void LineResync::Hold(const uint8_t* data, size_t len, int64_t ts) {
  if (carry_.empty()) carry_ts_ = ts;
  carry_.append(reinterpret_cast<const char*>(data), len);
}

LineResync::Result LineResync::Scan(bool is_client, bool look_for_preface, const uint8_t* data,
                                    size_t len, int64_t ts, size_t max_line) {
  size_t i = 0;
  while (i < len) {
    const auto* nl = static_cast<const uint8_t*>(std::memchr(data + i, '\n', len - i));
    const size_t end = nl ? static_cast<size_t>(nl - data) + 1 : len;
    if (!at_line_start_) {
      Skip(data + i, end - i);
      i = end;
      if (nl) at_line_start_ = true;
      continue;
    }
    const uint8_t first = carry_.empty() ? data[i] : static_cast<uint8_t>(carry_[0]);
    if (!CouldStartLine(is_client, first) || carry_.size() + (end - i) > max_line) {
      Skip(reinterpret_cast<const uint8_t*>(carry_.data()), carry_.size());
      Skip(data + i, end - i);
      carry_.clear();
      i = end;
      at_line_start_ = nl != nullptr;
      continue;
    }
    if (!nl) {  // a line that may still become a start line: keep it for the next bytes
      Hold(data + i, len - i, ts);
      return Result{Found::kNothing, len};
    }
    const uint8_t* line = data + i;
    size_t line_len = end - i;
    if (!carry_.empty()) {
      carry_.append(reinterpret_cast<const char*>(data + i), end - i);
      line = reinterpret_cast<const uint8_t*>(carry_.data());
      line_len = carry_.size();
    }
    if (look_for_preface && IsHttp2Preface(line, line_len)) {
      carry_.resize(carry_.size() - (line == data + i ? 0 : end - i));  // carried: only what came before
      return Result{Found::kHttp2Preface, i};
    }
    const bool start = is_client ? LooksLikeRequestLine(line, line_len)
                                : LooksLikeStatusLine(line, line_len);
    if (start) {
      tail_len_ = 0;  // the bytes skipped next are not next to these
      if (carry_.empty()) return Result{Found::kStartHere, i};
      return Result{Found::kStartCarried, end};
    }
    Skip(line, line_len);
    carry_.clear();
    i = end;
  }
  return Result{Found::kNothing, len};
}

std::string LineResync::TakeLine() {
  std::string line;
  line.swap(carry_);
  return line;
}

void LineResync::Recycle(std::string&& storage) {
  if (carry_.empty() && storage.capacity() <= 1024) {
    storage.clear();
    carry_.swap(storage);  // keep the storage for the next resynchronisation
  }
}

void LineResync::Drop() {
  Skip(reinterpret_cast<const uint8_t*>(carry_.data()), carry_.size());
  std::string().swap(carry_);
}

bool LineResync::TakeSkippedVersion() {
  const bool seen = skipped_version_;
  skipped_version_ = false;
  return seen;
}

namespace {
constexpr char kVersion[] = "HTTP/";
constexpr size_t kVersionLen = sizeof kVersion - 1;

bool HoldsVersion(const uint8_t* p, size_t n) {
  for (size_t i = 0; i + kVersionLen <= n; ++i) {
    const auto* h = static_cast<const uint8_t*>(std::memchr(p + i, 'H', n - kVersionLen + 1 - i));
    if (h == nullptr) return false;
    i = static_cast<size_t>(h - p);
    if (std::memcmp(h, kVersion, kVersionLen) == 0) return true;
  }
  return false;
}
}  // namespace

void LineResync::Skip(const uint8_t* p, size_t n) {
  skipped_ += n;
  if (skipped_version_ || n == 0) return;
  // The last bytes skipped before these, so that "HTTP/" split between two pieces is seen too.
  uint8_t joint[2 * kTail];
  const size_t head = n < kTail ? n : kTail;
  std::memcpy(joint, tail_, tail_len_);
  std::memcpy(joint + tail_len_, p, head);
  if (HoldsVersion(joint, tail_len_ + head) || HoldsVersion(p, n)) {
    skipped_version_ = true;
    return;
  }
  if (n >= kTail) {
    std::memcpy(tail_, p + n - kTail, kTail);
    tail_len_ = kTail;
  } else {
    const size_t keep = tail_len_ + n < kTail ? tail_len_ + n : kTail;
    std::memcpy(tail_, joint + tail_len_ + n - keep, keep);
    tail_len_ = static_cast<uint8_t>(keep);
  }
}

}  // namespace http_core
