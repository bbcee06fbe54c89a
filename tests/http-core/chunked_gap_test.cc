// Lost bytes inside a chunked body: the message resumes at the next chunk boundary whose sizes
// chain, ends at its real end (`incomplete`, counted in chunkedRecoveries), and every exchange after
// it comes out whole and paired with its own request. Each response echoes its request's path.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "decode_helpers.h"

namespace http_core::test {
namespace {

// A chunked body made of `chunks` chunks of 16 data bytes ("ABCDEFGHIJKLMNOP"-like, never hex)
// and a last chunk with a trailer. `data` gets the number of data bytes.
std::string ChunkedBody(int chunks, uint64_t* data) {
  std::string body;
  *data = 0;
  for (int k = 0; k < chunks; ++k) {
    body += "10;k=" + std::to_string(k) + "\r\n";
    for (int j = 0; j < 16; ++j) body += static_cast<char>('g' + (k + j) % 20);
    body += "\r\n";
    *data += 16;
  }
  return body + "0\r\nX-Trailer: t\r\n\r\n";
}

std::string Response(const std::string& path, const std::string& chunked_body) {
  return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Path: " + path + "\r\n\r\n" + chunked_body;
}

struct Damage {
  const char* name;
  size_t from;  // offset of the first lost byte in the damaged response's chunked body
  size_t lost;
  bool recovered;  // a chunk chain follows the hole (else the next start line ends the message)
  // The hole was no longer than the body still needed at least (the rest of its chunk's data, CRLF,
  // "0" CRLF CRLF): it held no byte of the next responses, so they keep their pairing. A longer
  // hole may have held the body's end and the next response's start line (the chain found after it
  // would then be that response's body): the responses after it are unpaired.
  bool paired_after;
};

// Chunk k (k < 10) takes 26 bytes: its size line "10;k=K\r\n" at 26 * k, 16 data bytes 8 bytes
// later, then CRLF. The last chunk and its trailer section begin at 26 * 8.
const Damage kDamages[] = {
    {"inside one chunk's data", 26 * 2 + 8 + 3, 5, true, true},
    {"from data through the next size line", 26 * 2 + 8 + 10, 20, true, false},
    {"one byte of a size line", 26 * 3, 1, true, true},
    {"a whole chunk", 26 * 4, 26, true, false},
    {"across the last chunk", 26 * 7 + 8 + 4, 26 + 5, false, false},
};

std::vector<Step> Stream(const Damage& d, uint64_t* seen_data_min, uint64_t* seen_data_max) {
  std::string requests, before, after;
  for (int i = 1; i <= 6; ++i) requests += "GET /c" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  uint64_t data = 0;
  for (int i = 1; i <= 6; ++i) {
    const std::string response = Response("/c" + std::to_string(i), ChunkedBody(8, &data));
    if (i < 3) before += response;
    if (i > 3) after += response;
  }
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Path: /c3\r\n\r\n";
  const std::string body = ChunkedBody(8, &data);
  // Data bytes before the hole, and data bytes of the chunks wholly after it.
  const size_t in_chunk = d.from % 26;
  const uint64_t data_before = (d.from / 26) * 16 + (in_chunk > 8 ? std::min<size_t>(in_chunk - 8, 16) : 0);
  const size_t end = d.from + d.lost;
  const uint64_t whole_after = end >= 26 * 8 ? 0 : (8 - (end + 25) / 26) * 16;
  *seen_data_min = data_before + (d.recovered ? whole_after : 0);
  uint64_t lost_data = 0;
  for (size_t k = d.from; k < end && k < 26 * 8; ++k) lost_data += k % 26 >= 8 && k % 26 < 24 ? 1 : 0;
  *seen_data_max = d.recovered ? data - lost_data : data_before;
  return {Client(requests), Server(before + head + body.substr(0, d.from)),
          GapOf(Direction::kServerToClient, d.lost), Server(body.substr(end) + after), CloseWith()};
}

void CheckDamage(const Damage& d, const DecodeResult& r, uint64_t seen_min, uint64_t seen_max) {
  ASSERT_EQ(r.messages.size(), 12u) << d.name;
  for (size_t i = 6; i < 12; ++i) {
    const auto& m = r.messages[i];
    const int64_t exchange = static_cast<int64_t>(i - 5);
    EXPECT_EQ(m.at("headers").as_object().at("x-path").as_string(), "/c" + std::to_string(exchange)) << d.name;
    if (exchange > 3 && !d.paired_after) {
      EXPECT_TRUE(m.at("unpaired").as_bool()) << d.name;
      EXPECT_GT(m.at("exchange").as_int64(), 6) << d.name;
    } else {
      EXPECT_EQ(m.at("exchange").as_int64(), exchange) << d.name;
    }
    if (exchange == 3) {
      EXPECT_TRUE(m.contains("incomplete")) << d.name;
      EXPECT_GE(m.at("bodySize").as_int64(), static_cast<int64_t>(seen_min)) << d.name;
      EXPECT_LE(m.at("bodySize").as_int64(), static_cast<int64_t>(seen_max)) << d.name;
    } else {
      EXPECT_FALSE(m.contains("incomplete")) << d.name << " exchange " << exchange;
      EXPECT_EQ(m.at("bodySize").as_int64(), 8 * 16) << d.name;
    }
  }
  EXPECT_EQ(r.stats.at("chunkedRecoveries").as_int64(), d.recovered ? 1 : 0) << d.name;
  EXPECT_EQ(r.stats.at("pairingLost").as_int64(), d.paired_after ? 0 : 1) << d.name;
  if (d.recovered) EXPECT_EQ(r.stats.at("skippedBytes").as_int64(), 0) << d.name;
}

TEST(ChunkedGap, ResumesAtTheNextChunkBoundaryAndTheFollowingExchangesAreIntact) {
  for (const Damage& d : kDamages) {
    uint64_t seen_min = 0, seen_max = 0;
    const std::vector<Step> steps = Stream(d, &seen_min, &seen_max);
    const DecodeResult r = Decode(steps);
    CheckDamage(d, r, seen_min, seen_max);
    // The same bytes one per event: the same messages.
    EXPECT_EQ(Decode(SplitEveryByte(steps)).output, r.output) << d.name;
  }
}

// A hole of `lost` bytes in a chunked request body, 4 data bytes before the end of a chunk.
DecodeResult RequestBodyHole(size_t lost) {
  std::string body;
  for (int k = 0; k < 6; ++k) body += "8\r\nVWXYZvwx\r\n";
  body += "0\r\n\r\n";
  const std::string head = "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  return Decode({Client(head + body.substr(0, 20)), GapOf(Direction::kClientToServer, lost),
                 Client(body.substr(20 + lost) + "GET /after HTTP/1.1\r\n\r\n"),
                 Server("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                 CloseWith()});
}

// 11 bytes: the chunk's last 4 data bytes, CRLF and "0" CRLF CRLF at least were still due, so no
// request can have begun in the hole and /after keeps its pairing.
TEST(ChunkedGap, ARequestBodyResumesToo) {
  auto r = RequestBodyHole(11);
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[0]["path"].as_string(), "/up");
  EXPECT_TRUE(r.messages[0]["incomplete"].as_bool());
  EXPECT_GE(r.messages[0]["bodySize"].as_int64(), 8 + 3 * 8);
  EXPECT_EQ(r.messages[1]["path"].as_string(), "/after");
  EXPECT_EQ(r.messages[1]["exchange"].as_int64(), 2);
  EXPECT_EQ(r.messages[3]["exchange"].as_int64(), 2);
  EXPECT_EQ(r.stats["chunkedRecoveries"].as_int64(), 1);
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 0);
}

// 13 bytes could have held the body's end and the start of a request whose answer would then be
// taken for /after's: /after and the answers after /up's are unpaired.
TEST(ChunkedGap, ARequestBodyHoleThatMayHoldARequestEndsPairing) {
  auto r = RequestBodyHole(13);
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[0]["path"].as_string(), "/up");
  EXPECT_EQ(r.messages[1]["path"].as_string(), "/after");
  EXPECT_TRUE(r.messages[1]["unpaired"].as_bool());
  EXPECT_EQ(r.messages[2]["exchange"].as_int64(), 1);  // /up's answer: /up waited before the hole
  EXPECT_TRUE(r.messages[3]["unpaired"].as_bool());
  EXPECT_EQ(r.stats["chunkedRecoveries"].as_int64(), 1);
  EXPECT_EQ(r.stats["pairingLost"].as_int64(), 1);
}

// Chunk data full of lines that look like chunk sizes ("\r\n12\r\n" then 18 bytes then "\r\n13\r\n"
// chains once) does not fool the search while the size of the chunk the hole fell in is known.
TEST(ChunkedGap, HexLookingLinesInTheDataDoNotConfirmAChain) {
  std::string data;
  for (int k = 0; k < 12; ++k) data += "\r\n" + std::to_string(10 + k) + "\r\n";  // 6 bytes each
  std::string body = "40\r\n" + data.substr(0, 64) + "\r\n" + "5\r\nhello\r\n0\r\n\r\n";
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  auto r = Decode({Client("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), Server(head + body.substr(0, 10)),
                   GapOf(Direction::kServerToClient, 4), Server(body.substr(14)),
                   Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), CloseWith()});
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[2]["exchange"].as_int64(), 1);
  EXPECT_EQ(r.messages[2]["bodySize"].as_int64(), 64 - 4 + 5);
  EXPECT_EQ(r.messages[3]["exchange"].as_int64(), 2);
  EXPECT_EQ(r.messages[3]["body"].as_string(), "ok");
}

}  // namespace
}  // namespace http_core::test
