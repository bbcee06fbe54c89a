#include "chunk_resync.h"

#include <cstring>

namespace http_core {
namespace {

int HexValue(uint8_t b) {
  if (b >= '0' && b <= '9') return b - '0';
  if (b >= 'a' && b <= 'f') return b - 'a' + 10;
  if (b >= 'A' && b <= 'F') return b - 'A' + 10;
  return -1;
}

bool IsLineText(uint8_t b) { return b == '\t' || (b >= 0x20 && b < 0x7F); }

bool IsNameStart(uint8_t b) {
  return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-';
}

}  // namespace

void ChunkResync::Begin(uint64_t known_remaining) {
  count_ = 0;
  following_ = false;
  pos_ = 0;
  prev_ = prev2_ = 0;
  if (known_remaining == kUnknown) return;
  Chain& c = chains_[count_++];
  c = Chain{};
  c.known = true;
  c.sizes_left = 1;
  c.remaining = known_remaining;
  c.state = known_remaining > 0 ? kData : kDataCr;
}

void ChunkResync::StepByte(Chain& c, uint8_t b) {
  switch (c.state) {
    case kSize: {
      const int v = HexValue(b);
      if (v >= 0 && c.line < 15) {
        c.remaining = c.remaining * 16 + static_cast<uint64_t>(v);
        ++c.line;
      } else if (c.line > 0 && (b == ';' || b == ' ' || b == '\t')) {
        c.state = kExt;
        c.line = 0;
      } else if (c.line > 0 && b == '\r') {
        c.state = kSizeLf;
      } else {
        c.state = kDead;
      }
      return;
    }
    case kExt:
      if (b == '\r') c.state = kSizeLf;
      else if (!IsLineText(b) || ++c.line > kMaxLine) c.state = kDead;
      return;
    case kSizeLf:
      if (b != '\n') {
        c.state = kDead;
        return;
      }
      if (c.sizes_left > 0) --c.sizes_left;
      c.line = 0;
      c.state = c.remaining > 0 ? kData : kTrailerStart;
      return;
    case kDataCr:
      c.state = b == '\r' ? kDataLf : kDead;
      return;
    case kDataLf:
      c.state = b == '\n' ? kSize : kDead;
      c.remaining = 0;
      c.line = 0;
      return;
    case kTrailerStart:
      if (b == '\r') {
        c.state = kEndLf;
      } else if (IsNameStart(b) && ++c.trailers <= kMaxTrailers) {
        c.state = kTrailer;
        c.line = 1;
        c.colon = false;
      } else {
        c.state = kDead;
      }
      return;
    case kTrailer:
      if (b == '\r') c.state = c.colon ? kTrailerLf : kDead;
      else if (!IsLineText(b) || ++c.line > kMaxLine) c.state = kDead;
      else if (b == ':') c.colon = true;
      return;
    case kTrailerLf:
      c.state = b == '\n' ? kTrailerStart : kDead;
      return;
    case kEndLf:
      c.state = b == '\n' ? kEnded : kDead;
      return;
    case kData:
    case kDead:
    case kEnded:
      return;
  }
}

size_t ChunkResync::Run(Chain& c, const uint8_t* p, size_t from, size_t to, size_t confirm_from,
                        bool* confirmed) {
  *confirmed = false;
  size_t i = from;
  while (true) {
    if (c.ripe() && i >= confirm_from) {
      *confirmed = true;
      return i;
    }
    // An ended chain that may not be believed yet (the known one still stands) cannot wait: the
    // bytes after it would be the next message's.
    if (c.state == kEnded || i >= to) {
      if (c.state == kEnded) {
        c.state = kDead;
        c.death = i;
      }
      return i;
    }
    if (c.state == kData) {
      uint64_t n = c.remaining < to - i ? c.remaining : to - i;
      if (c.ripe() && confirm_from - i < n) n = confirm_from - i;
      c.remaining -= n;
      c.data += n;
      i += static_cast<size_t>(n);
      if (c.remaining == 0) c.state = kDataCr;
      continue;
    }
    StepByte(c, p[i++]);
    if (c.state == kDead) {
      c.death = i;
      return i;
    }
  }
}

bool ChunkResync::SpawnsAt(const uint8_t* data, size_t s) const {
  const uint64_t at = pos_ + s;
  if (at == 0) return true;  // a size line may begin right after the hole
  const uint8_t b1 = s >= 1 ? data[s - 1] : prev_;
  if (b1 != '\n') return false;
  if (at == 1) return true;  // the hole took the CR
  const uint8_t b2 = s >= 2 ? data[s - 2] : (s == 1 ? prev_ : prev2_);
  return b2 == '\r';
}

size_t ChunkResync::Search(const uint8_t* data, size_t len) {
  bool found = false;
  size_t best = len;
  int best_index = -1;
  auto consider = [&](int k, size_t at, bool confirmed) {
    if (confirmed && (!found || at < best)) {
      found = true;
      best = at;
      best_index = k;
    }
  };
  // While the known framing stands, no other candidate is believed.
  size_t others_from = 0;
  bool known_won = false;
  int k = 0;
  if (count_ > 0 && chains_[0].known) {
    bool confirmed = false;
    const size_t at = Run(chains_[0], data, 0, len, 0, &confirmed);
    consider(0, at, confirmed);
    known_won = confirmed;
    others_from = chains_[0].state == kDead ? at : static_cast<size_t>(-1);
    k = 1;
  }
  for (; k < count_ && !known_won; ++k) {
    bool confirmed = false;
    const size_t at = Run(chains_[k], data, 0, len, others_from, &confirmed);
    consider(k, at, confirmed);
  }
  size_t s = 0;
  while (s < len && !known_won && !(found && s >= best)) {
    if (SpawnsAt(data, s)) {
      // A slot is free when unused or its chain died at or before s.
      int slot = -1;
      for (int j = 0; j < count_ && slot < 0; ++j) {
        if (chains_[j].state == kDead && chains_[j].death <= s && j != best_index) slot = j;
      }
      if (slot < 0 && count_ < kMaxChains) slot = count_++;
      if (slot >= 0) {
        Chain& c = chains_[slot];
        c = Chain{};
        c.sizes_left = 3;
        bool confirmed = false;
        const size_t at = Run(c, data, s, len, others_from > s ? others_from : s, &confirmed);
        consider(slot, at, confirmed);
      }
    }
    const void* nl = std::memchr(data + s, '\n', len - s);
    if (nl == nullptr) break;
    s = static_cast<size_t>(static_cast<const uint8_t*>(nl) - data) + 1;
  }
  if (found) {
    if (best_index != 0) chains_[0] = chains_[best_index];
    count_ = 1;
    following_ = true;
    last_ = best > 0 ? data[best - 1] : prev_;
    return best;
  }
  int live = 0;
  for (int j = 0; j < count_; ++j) {
    if (chains_[j].state != kDead) chains_[live++] = chains_[j];
  }
  count_ = live;
  if (len > 0) {
    prev2_ = len >= 2 ? data[len - 2] : prev_;
    prev_ = data[len - 1];
  }
  pos_ += len;
  return len;
}

ChunkResync::FollowResult ChunkResync::Follow(const uint8_t* data, size_t len) {
  Chain& c = chains_[0];
  size_t i = 0;
  while (c.state != kEnded && i < len) {
    if (c.state == kData) {
      const uint64_t n = c.remaining < len - i ? c.remaining : len - i;
      c.remaining -= n;
      c.data += n;
      i += static_cast<size_t>(n);
      if (c.remaining == 0) c.state = kDataCr;
      last_ = data[i - 1];
      continue;
    }
    StepByte(c, data[i]);
    if (c.state == kDead) return FollowResult{i, false, true};
    last_ = data[i++];
  }
  return FollowResult{i, c.state == kEnded, false};
}

bool ChunkResync::FitGap(uint64_t lost) {
  if (following_) {
    Chain& c = chains_[0];
    if (c.state == kData && c.remaining >= lost) {
      c.remaining -= lost;
      if (c.remaining == 0) c.state = kDataCr;
      return true;
    }
    proven_ += c.data;
  }
  return false;
}

}  // namespace http_core
