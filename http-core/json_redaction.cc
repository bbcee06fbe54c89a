#include "json_redaction.h"

#include "word_bits.h"

namespace http_core {
namespace {

constexpr std::string_view kRedactedJson = "\"[REDACTED]\"";

enum class Scan : uint8_t { kOk, kCut, kBad };

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the first flagged byte is the lowest (wasm32, x86-64, arm64)");

// Non-zero when some byte of w ends or escapes a string, or may not appear in one: '"', '\\', < 0x20.
inline uint64_t StringStopBits(uint64_t w) {
  return ((w - kOnes * 0x20) & ~w & kHighBits) | ByteMatchBits(w, '"') | ByteMatchBits(w, '\\');
}

class Scanner {
 public:
  Scanner(std::string_view text, const NameList& keys) : t_(text), keys_(keys) {}
  JsonRedaction Run(std::string& out);

 private:
  enum class State : uint8_t { kValue, kObjectStart, kArrayStart, kKey, kAfterValue };

  bool AtEnd() const { return i_ >= t_.size(); }
  void SkipSpace() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
  }
  // REQUIRES: t_[i_] == '"'. With is_key, *listed tells whether the decoded key is one of keys_.
  Scan String(bool* listed);
  Scan Number();
  Scan Literal();
  Scan Scalar();
  // Any value; a container is skipped with a nesting counter only (its content is replaced anyway).
  Scan SkipValue();
  bool Push(bool is_object) {
    if (depth_ >= kMaxJsonDepth) return false;
    const uint64_t bit = uint64_t{1} << (depth_ % 64);
    if (is_object) objects_[depth_ / 64] |= bit;
    else objects_[depth_ / 64] &= ~bit;
    ++depth_;
    return true;
  }
  bool TopIsObject() const { return (objects_[(depth_ - 1) / 64] >> ((depth_ - 1) % 64)) & 1; }

  std::string_view t_;
  const NameList& keys_;
  size_t i_ = 0;
  size_t depth_ = 0;
  uint64_t objects_[kMaxJsonDepth / 64] = {};  // bit d: the container at depth d is an object
};

Scan Scanner::String(bool* listed) {
  ++i_;
  char key[NameList::kMaxNameBytes];
  size_t key_len = 0;
  bool fits = true;
  for (;;) {
    // Values are mostly long runs of plain text: those are skipped eight bytes at a time, and the
    // first byte that stops the run is found from the word's lowest flag (exact: a false flag can
    // only sit above a true one).
    if (listed == nullptr) {
      while (i_ + 8 <= t_.size()) {
        const uint64_t stop = StringStopBits(Load64(t_.data() + i_));
        if (stop != 0) {
          i_ += static_cast<size_t>(__builtin_ctzll(stop)) / 8;
          break;
        }
        i_ += 8;
      }
    }
    if (AtEnd()) return Scan::kCut;
    const uint8_t c = static_cast<uint8_t>(t_[i_]);
    uint32_t decoded = c;
    if (c == '"') {
      ++i_;
      if (listed != nullptr) *listed = fits && keys_.Contains(std::string_view(key, key_len));
      return Scan::kOk;
    }
    if (c < 0x20) return Scan::kBad;
    if (c == '\\') {
      if (i_ + 1 >= t_.size()) return Scan::kCut;
      switch (t_[i_ + 1]) {
        case '"': case '\\': case '/': decoded = static_cast<uint8_t>(t_[i_ + 1]); break;
        case 'b': decoded = '\b'; break;
        case 'f': decoded = '\f'; break;
        case 'n': decoded = '\n'; break;
        case 'r': decoded = '\r'; break;
        case 't': decoded = '\t'; break;
        case 'u': {
          decoded = 0;
          for (size_t k = 0; k < 4; ++k) {
            if (i_ + 2 + k >= t_.size()) return Scan::kCut;
            const int h = HexDigit(t_[i_ + 2 + k]);
            if (h < 0) return Scan::kBad;
            decoded = decoded * 16 + static_cast<uint32_t>(h);
          }
          i_ += 4;
          break;
        }
        default:
          return Scan::kBad;
      }
      i_ += 2;
    } else {
      ++i_;
    }
    if (listed == nullptr) continue;
    // Listed names are ASCII: a key with anything else, or longer than any name, is not listed.
    if (decoded >= 0x80 || key_len >= sizeof key) {
      fits = false;
    } else {
      key[key_len++] = decoded >= 'A' && decoded <= 'Z' ? static_cast<char>(decoded - 'A' + 'a')
                                                       : static_cast<char>(decoded);
    }
  }
}

Scan Scanner::Number() {
  if (t_[i_] == '-') ++i_;
  if (AtEnd()) return Scan::kCut;
  if (t_[i_] == '0') {
    ++i_;
  } else if (IsDigit(t_[i_])) {
    while (!AtEnd() && IsDigit(t_[i_])) ++i_;
  } else {
    return Scan::kBad;
  }
  if (!AtEnd() && t_[i_] == '.') {
    ++i_;
    if (AtEnd()) return Scan::kCut;
    if (!IsDigit(t_[i_])) return Scan::kBad;
    while (!AtEnd() && IsDigit(t_[i_])) ++i_;
  }
  if (!AtEnd() && (t_[i_] == 'e' || t_[i_] == 'E')) {
    ++i_;
    if (!AtEnd() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
    if (AtEnd()) return Scan::kCut;
    if (!IsDigit(t_[i_])) return Scan::kBad;
    while (!AtEnd() && IsDigit(t_[i_])) ++i_;
  }
  return Scan::kOk;
}

Scan Scanner::Literal() {
  const std::string_view word = t_[i_] == 't' ? "true" : t_[i_] == 'f' ? "false" : "null";
  for (size_t k = 0; k < word.size(); ++k) {
    if (i_ + k >= t_.size()) return Scan::kCut;
    if (t_[i_ + k] != word[k]) return Scan::kBad;
  }
  i_ += word.size();
  return Scan::kOk;
}

Scan Scanner::Scalar() {
  const char c = t_[i_];
  if (c == '"') return String(nullptr);
  if (c == '-' || IsDigit(c)) return Number();
  if (c == 't' || c == 'f' || c == 'n') return Literal();
  return Scan::kBad;
}

Scan Scanner::SkipValue() {
  if (t_[i_] != '{' && t_[i_] != '[') return Scalar();
  uint64_t nesting = 0;
  for (;;) {
    if (AtEnd()) return Scan::kCut;
    const char c = t_[i_];
    if (c == '"') {
      const Scan s = String(nullptr);
      if (s != Scan::kOk) return s;
      continue;
    }
    if (c == '{' || c == '[') {
      ++nesting;
    } else if (c == '}' || c == ']') {
      if (--nesting == 0) {
        ++i_;
        return Scan::kOk;
      }
    }
    ++i_;
  }
}

JsonRedaction Scanner::Run(std::string& out) {
  JsonRedaction r;
  size_t copied = 0;
  auto finish = [&](JsonRedaction::End end) {
    r.end = end;
    if (r.values > 0) out.append(t_.substr(copied));
    return r;
  };
  State st = State::kValue;
  for (;;) {
    SkipSpace();
    if (AtEnd()) {
      const bool between_values = depth_ == 0 && (st == State::kValue || st == State::kAfterValue);
      return finish(between_values ? JsonRedaction::End::kComplete : JsonRedaction::End::kCut);
    }
    const char c = t_[i_];
    switch (st) {
      case State::kValue: {
        if (c == '{' || c == '[') {
          if (!Push(c == '{')) return finish(JsonRedaction::End::kTooDeep);
          ++i_;
          st = c == '{' ? State::kObjectStart : State::kArrayStart;
          continue;
        }
        const Scan s = Scalar();
        if (s == Scan::kCut) return finish(JsonRedaction::End::kCut);
        if (s == Scan::kBad) return finish(JsonRedaction::End::kMalformed);
        st = State::kAfterValue;
        continue;
      }
      case State::kObjectStart:
      case State::kArrayStart:
        if (c == (st == State::kObjectStart ? '}' : ']')) {
          --depth_;
          ++i_;
          st = State::kAfterValue;
        } else {
          st = st == State::kObjectStart ? State::kKey : State::kValue;
        }
        continue;
      case State::kAfterValue:
        if (depth_ == 0) {  // the next value of a sequence (JSON lines)
          st = State::kValue;
        } else if (c == ',') {
          ++i_;
          st = TopIsObject() ? State::kKey : State::kValue;
        } else if (c == (TopIsObject() ? '}' : ']')) {
          --depth_;
          ++i_;
        } else {
          return finish(JsonRedaction::End::kMalformed);
        }
        continue;
      case State::kKey: {
        if (c != '"') return finish(JsonRedaction::End::kMalformed);
        bool listed = false;
        Scan s = String(&listed);
        if (s == Scan::kBad) return finish(JsonRedaction::End::kMalformed);
        if (s == Scan::kCut) return finish(JsonRedaction::End::kCut);
        SkipSpace();
        if (AtEnd()) return finish(JsonRedaction::End::kCut);
        if (t_[i_] != ':') return finish(JsonRedaction::End::kMalformed);
        ++i_;
        st = State::kValue;
        if (!listed) continue;
        SkipSpace();
        if (AtEnd()) return finish(JsonRedaction::End::kCut);
        const size_t value_start = i_;
        s = SkipValue();
        if (s == Scan::kBad) return finish(JsonRedaction::End::kMalformed);
        out.append(t_.substr(copied, value_start - copied));
        out.append(kRedactedJson);
        ++r.values;
        copied = s == Scan::kCut ? t_.size() : i_;
        if (s == Scan::kCut) return finish(JsonRedaction::End::kCut);
        st = State::kAfterValue;
        continue;
      }
    }
  }
}

}  // namespace

JsonRedaction RedactJson(std::string_view text, const NameList& keys, std::string& out) {
  if (keys.empty()) return JsonRedaction{JsonRedaction::End::kComplete, 0};
  Scanner scanner(text, keys);
  return scanner.Run(out);
}

}  // namespace http_core
