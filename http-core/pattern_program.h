// PatternProgram: a compiled regular expression (the operator's --http-allow-url and the like) run
// against untrusted text (request-targets, Host values) in time linear in the text.
//
// Patterns are parsed and compiled by the TS layer (ts/src/url-pattern.ts), which is also where a bad
// pattern is reported; the core receives the program and checks its shape, so a malformed program is
// refused here and never executed. The matcher is a Thompson NFA simulation (every thread advances
// in lock step over the text, each instruction at most once per position): no backtracking, so no
// input can make it slow beyond len(text) × instructions, and no memory is allocated per match.
//
// Program layout, little-endian u32 words: N (1 ≤ N ≤ kMaxInstructions), then N instructions of three
// words [op, x, y], then the character classes, eight words (a 256-bit set) each.
#ifndef HTTP_CORE_PATTERN_PROGRAM_H_
#define HTTP_CORE_PATTERN_PROGRAM_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace http_core {

class PatternProgram {
 public:
  static constexpr uint32_t kMaxInstructions = 2000;
  enum Op : uint32_t {
    kMatch = 0,
    kByte = 1,   // x: the byte
    kAny = 2,    // any byte
    kClass = 3,  // x: class index
    kSplit = 4,  // continue at x and at y
    kJump = 5,   // continue at x
    kBegin = 6,  // asserts the start of the text
    kEnd = 7,    // asserts the end of the text
  };

  // Replaces the program. Returns false (and holds no program) when the words break the layout:
  // a count out of range, an unknown op, a target or class index out of range.
  bool Load(const uint8_t* bytes, size_t len);
  bool loaded() const { return !insts_.empty(); }

  // Whether the pattern matches anywhere in text (use ^ and $ in the pattern to anchor it). With
  // fold_case, ASCII upper-case bytes of text are read as lower-case.
  // REQUIRES: loaded().
  bool Search(std::string_view text, bool fold_case);

 private:
  struct Inst {
    uint32_t op, x, y;
  };
  // The threads at one position: a sparse set of instruction indices.
  struct ThreadSet {
    std::vector<uint32_t> dense, sparse;
    uint32_t size = 0;
    bool Has(uint32_t pc) const { return sparse[pc] < size && dense[sparse[pc]] == pc; }
    void Insert(uint32_t pc) {
      sparse[pc] = size;
      dense[size++] = pc;
    }
  };
  // Adds pc and everything reachable from it without reading a byte; true when that reaches kMatch.
  bool AddThread(ThreadSet& set, uint32_t pc, size_t pos, size_t len);
  bool ByteMatches(const Inst& inst, uint8_t c) const;

  std::vector<Inst> insts_;
  std::vector<uint64_t> classes_;  // four words per class
  ThreadSet current_, next_;
  std::vector<uint32_t> stack_;
};

}  // namespace http_core

#endif  // HTTP_CORE_PATTERN_PROGRAM_H_
