// ChunkResync: after bytes were lost inside a chunked body, where the chunk framing resumes, and
// then the framing followed to the body's end.
//
// Contract:
// - A chunk boundary is a size line (1–15 hex digits, an optional `;` extension, CRLF) at the first
//   byte after the hole or right after a CRLF. It is believed only once its sizes chain: its data,
//   CRLF, and two more size lines where the sizes put them, or the last chunk and its trailer
//   section ("0" CRLF, trailer lines with a colon, CRLF). When the hole fell inside one chunk's
//   data and that chunk's size says how many bytes are still due, that framing is a candidate too,
//   believed at the next size line, and while it stands no other candidate is believed.
// - The owner looks for a start line in the same bytes, up to the point Search returns: whichever
//   comes first wins (ChunkResync itself never looks for start lines).
// - Split-invariant: the same bytes cut into any events give the same answers at the same offsets.
// - Bounded: at most kMaxChains candidates at once (a candidate beyond that is not considered);
//   extensions ≤ kMaxLine bytes, trailer lines ≤ kMaxLine bytes and ≤ kMaxTrailers of them.
#ifndef HTTP_CORE_CHUNK_RESYNC_H_
#define HTTP_CORE_CHUNK_RESYNC_H_

#include <cstddef>
#include <cstdint>

namespace http_core {

class ChunkResync {
 public:
  static constexpr uint64_t kUnknown = ~0ull;
  static constexpr int kMaxChains = 16;
  static constexpr uint32_t kMaxLine = 4096;
  static constexpr uint32_t kMaxTrailers = 64;

  // Starts a search after a hole. known_remaining: data bytes of the chunk the hole fell in that
  // are still due after it, or kUnknown.
  void Begin(uint64_t known_remaining);

  // Searches data[0..len). Returns the offset just past the byte at which a chain was believed
  // (following() is then true), or len.
  size_t Search(const uint8_t* data, size_t len);

  struct FollowResult {
    size_t used;
    bool ended;   // the body's last byte is data[used - 1]
    bool broken;  // the bytes at data[used] do not fit the framing
  };
  // REQUIRES: following().
  FollowResult Follow(const uint8_t* data, size_t len);

  // Another hole while following: true when it fell inside a chunk's data with at least as many
  // bytes still due (the framing goes on); otherwise the caller starts a new search.
  bool FitGap(uint64_t lost);

  bool following() const { return following_; }
  // The framing of the chunk the first hole fell in, followed to the body's end (every later hole
  // inside a chunk's data): the holes held no message boundary.
  bool proved_remainder() const { return following_ && chains_[0].known && chains_[0].state == kEnded; }
  // The last byte a believed chain read (the owner resynchronises after a broken chain).
  uint8_t last_byte() const { return last_; }
  // Body bytes after the first hole that a believed chain proved to be data.
  uint64_t body_bytes() const { return proven_ + (following_ ? chains_[0].data : 0); }

 private:
  enum State : uint8_t {
    kSize, kExt, kSizeLf, kData, kDataCr, kDataLf, kTrailerStart, kTrailer, kTrailerLf, kEndLf,
    kDead, kEnded,
  };
  struct Chain {
    uint64_t remaining = 0;  // kData: bytes still due; kSize: the size so far
    uint64_t data = 0;       // data bytes it has read
    uint64_t death = 0;      // Search: offset in this event at which it died
    uint32_t line = 0;       // bytes of the size digits, extension or trailer line so far
    uint32_t trailers = 0;
    uint8_t sizes_left = 0;  // size lines still to read before it is believed
    State state = kSize;
    bool colon = false;
    bool known = false;
    bool ripe() const { return sizes_left == 0 || state == kEnded; }
  };

  static void StepByte(Chain& c, uint8_t b);
  // Runs c over p[from, to); stops where it dies or, once ripe, at the first offset ≥ confirm_from.
  static size_t Run(Chain& c, const uint8_t* p, size_t from, size_t to, size_t confirm_from,
                    bool* confirmed);
  bool SpawnsAt(const uint8_t* data, size_t s) const;

  Chain chains_[kMaxChains];  // following: chains_[0] is the believed chain
  int count_ = 0;
  uint64_t proven_ = 0;  // data bytes of chains followed before a later hole
  uint64_t pos_ = 0;     // searched bytes since the hole
  uint8_t prev_ = 0;     // the two bytes before the current event
  uint8_t prev2_ = 0;
  uint8_t last_ = 0;
  bool following_ = false;
};

}  // namespace http_core

#endif  // HTTP_CORE_CHUNK_RESYNC_H_
