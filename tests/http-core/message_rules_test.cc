// The message rules beyond header names, through a whole Engine: filters drop an exchange before its
// JSON is written and count it; query and body redaction change only the written text.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "batch_writer.h"
#include "decode_helpers.h"
#include "engine.h"
#include "pattern_program.h"

namespace http_core {
namespace {

using Option = Engine::Option;
const uint8_t kIp[4] = {10, 0, 0, 1};

// ^/api/ as a program (pattern_program.h layout).
std::vector<uint8_t> ApiPrefixProgram() {
  std::vector<uint32_t> words{7, PatternProgram::kBegin, 0, 0};
  for (char c : std::string("/api/")) words.insert(words.end(), {PatternProgram::kByte, static_cast<uint8_t>(c), 0});
  words.insert(words.end(), {PatternProgram::kMatch, 0, 0});
  std::vector<uint8_t> out;
  for (uint32_t w : words) {
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<uint8_t>(w >> (8 * k)));
  }
  return out;
}

bool Configure(Engine& e, Option o, std::string_view v) {
  return e.Configure(static_cast<uint32_t>(o), reinterpret_cast<const uint8_t*>(v.data()), v.size());
}

test::DecodeResult RunTraffic(Engine& engine, const std::string& client, const std::string& server) {
  BatchWriter w;
  w.Open(1, kIp, 40000, kIp, 80);
  w.Data(1, Direction::kClientToServer, client, 1);
  w.Data(1, Direction::kServerToClient, server, 2);
  w.Close(1, CloseReason::kFin, 3);
  EXPECT_EQ(engine.Feed(w.bytes().data(), w.bytes().size()), 0);
  test::DecodeResult r;
  test::ParseOutput(engine, &r);
  r.stats = boost::json::parse(engine.StatsJson()).as_object();
  return r;
}

const std::string kTwoRequests =
    "GET /api/users?token=abc HTTP/1.1\r\nHost: a\r\n\r\n"
    "POST /health HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
const std::string kThreeResponses =
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 204 No Content\r\n\r\n";

TEST(MessageRules, AUrlFilterDropsTheRequestAndEveryResponseToItAndCountsThem) {
  Engine engine(test::TestOptions());
  const std::vector<uint8_t> program = ApiPrefixProgram();
  ASSERT_TRUE(engine.Configure(static_cast<uint32_t>(Option::kAllowUrl), program.data(), program.size()));
  test::DecodeResult r = RunTraffic(engine, kTwoRequests, kThreeResponses);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0]["path"].as_string(), "/api/users?token=abc");
  EXPECT_EQ(r.messages[1]["statusCode"].as_int64(), 200);
  EXPECT_EQ(r.stats.at("exchangesFiltered").as_int64(), 1);
  EXPECT_EQ(r.stats.at("messagesFiltered").as_int64(), 3);  // the POST, its 100 and its 204
  EXPECT_EQ(r.stats.at("requests").as_int64(), 1);
  EXPECT_EQ(r.stats.at("responses").as_int64(), 1);
}

TEST(MessageRules, DisallowAndMethodAndHostRules) {
  {
    Engine engine(test::TestOptions());
    const std::vector<uint8_t> program = ApiPrefixProgram();
    ASSERT_TRUE(engine.Configure(static_cast<uint32_t>(Option::kDisallowUrl), program.data(), program.size()));
    test::DecodeResult r = RunTraffic(engine, kTwoRequests, kThreeResponses);
    ASSERT_EQ(r.messages.size(), 3u);
    EXPECT_EQ(r.messages[0]["path"].as_string(), "/health");
    EXPECT_EQ(r.stats.at("exchangesFiltered").as_int64(), 1);
  }
  {
    Engine engine(test::TestOptions());
    ASSERT_TRUE(Configure(engine, Option::kAllowMethods, "POST,PUT"));
    test::DecodeResult r = RunTraffic(engine, kTwoRequests, kThreeResponses);
    ASSERT_EQ(r.messages.size(), 3u);
    EXPECT_EQ(r.messages[0]["method"].as_string(), "POST");
    EXPECT_EQ(r.stats.at("messagesFiltered").as_int64(), 2);
  }
  {
    // Host "A" is read lower-cased against ^/api/… no: against a host program for "b".
    Engine engine(test::TestOptions());
    std::vector<uint8_t> b_only;
    for (uint32_t w : {2u, uint32_t{PatternProgram::kByte}, uint32_t{'b'}, 0u, uint32_t{PatternProgram::kMatch}, 0u, 0u}) {
      for (int k = 0; k < 4; ++k) b_only.push_back(static_cast<uint8_t>(w >> (8 * k)));
    }
    ASSERT_TRUE(engine.Configure(static_cast<uint32_t>(Option::kAllowHost), b_only.data(), b_only.size()));
    test::DecodeResult r = RunTraffic(engine, "GET / HTTP/1.1\r\nHost: B.example\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                                     "HTTP/1.1 204 No\r\n\r\nHTTP/1.1 204 No\r\n\r\n");
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0]["exchange"].as_int64(), 1);
    EXPECT_EQ(r.messages[1]["exchange"].as_int64(), 1);
    EXPECT_EQ(r.stats.at("exchangesFiltered").as_int64(), 1);
  }
}

TEST(MessageRules, ARequestCutBeforeItsHeadersIsJudgedOnItsStartLine) {
  Engine engine(test::TestOptions());
  const std::vector<uint8_t> program = ApiPrefixProgram();
  ASSERT_TRUE(engine.Configure(static_cast<uint32_t>(Option::kAllowUrl), program.data(), program.size()));
  test::DecodeResult r = RunTraffic(engine, "GET /other HTTP/1.1\r\nHost: a\r\nX-Half", "");
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.stats.at("exchangesFiltered").as_int64(), 1);
}

TEST(MessageRules, QueryValuesAreRedactedInPathRefererAndLocation) {
  Engine engine(test::TestOptions());
  ASSERT_TRUE(Configure(engine, Option::kRedactQueryParams, "token,code"));
  test::DecodeResult r = RunTraffic(
      engine, "GET /cb?code=123&state=s HTTP/1.1\r\nReferer: https://x/?Token=t1&a=b\r\n\r\n",
      "HTTP/1.1 302 Found\r\nLocation: /next?token=t2\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].at("path").as_string(), "/cb?code=[REDACTED]&state=s");
  EXPECT_EQ(r.messages[0].at("headers").at("referer").as_string(), "https://x/?Token=[REDACTED]&a=b");
  EXPECT_EQ(r.messages[1].at("headers").at("location").as_string(), "/next?token=[REDACTED]");
  EXPECT_EQ(r.stats.at("urlsRedacted").as_int64(), 2);
}

std::string Post(std::string_view type, std::string_view body, std::string_view extra = "") {
  return "POST /login HTTP/1.1\r\nContent-Type: " + std::string(type) + "\r\n" + std::string(extra) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(MessageRules, JsonAndFormBodiesAreRedactedAndBodySizeStaysTheWireSize) {
  Engine engine(test::TestOptions());
  ASSERT_TRUE(Configure(engine, Option::kRedactBodyFields, "password,token"));
  const std::string json = R"({"user":"ann","password":"hunter2"})";
  const std::string form = "user=ann&password=hunter2";
  test::DecodeResult r = RunTraffic(
      engine, Post("application/json; charset=utf-8", json) + Post("application/x-www-form-urlencoded", form) +
                  Post("application/vnd.api+json", R"({"token":1})") + Post("text/plain", "password=hunter2") +
                  Post("application/json", "{\"password\":", "Content-Encoding: gzip\r\n") +
                  Post("application/json", "{\"password\" 1}"),
      "");
  ASSERT_EQ(r.messages.size(), 6u);
  EXPECT_EQ(r.messages[0].at("body").as_string(), R"({"user":"ann","password":"[REDACTED]"})");
  EXPECT_EQ(r.messages[0].at("bodySize").as_int64(), static_cast<int64_t>(json.size()));
  EXPECT_FALSE(r.messages[0].at("bodyTruncated").as_bool());
  EXPECT_EQ(r.messages[1].at("body").as_string(), "user=ann&password=[REDACTED]");
  EXPECT_EQ(r.messages[2].at("body").as_string(), R"({"token":"[REDACTED]"})");
  EXPECT_EQ(r.messages[3].at("body").as_string(), "password=hunter2");  // not a form
  EXPECT_EQ(r.messages[4].at("body").as_string(), "{\"password\":");   // encoded: not read
  EXPECT_EQ(r.messages[5].at("body").as_string(), "{\"password\" 1}");  // malformed: as it was
  EXPECT_EQ(r.stats.at("bodiesRedacted").as_int64(), 3);
  EXPECT_EQ(r.stats.at("bodiesEncoded").as_int64(), 1);
  EXPECT_EQ(r.stats.at("bodiesUnparsed").as_int64(), 1);
  EXPECT_EQ(r.stats.at("bufferedBodyBytes").as_int64(), 0);
}

TEST(MessageRules, ABodyCutByMaxBodySizeIsRedactedToItsEndAndIsNotCountedUnparsed) {
  EngineOptions options = test::TestOptions();
  options.limits.max_body_size = 20;
  Engine engine(options);
  ASSERT_TRUE(Configure(engine, Option::kRedactBodyFields, "password"));
  test::DecodeResult r = RunTraffic(engine, Post("application/json", R"({"a":1,"password":"0123456789abcdef"})"), "");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].at("body").as_string(), R"({"a":1,"password":"[REDACTED]")");
  EXPECT_TRUE(r.messages[0].at("bodyTruncated").as_bool());
  EXPECT_EQ(r.stats.at("bodiesUnparsed").as_int64(), 0);
}

TEST(MessageRules, NonUtf8FormBodiesAreRedactedBeforeBase64) {
  Engine engine(test::TestOptions());
  ASSERT_TRUE(Configure(engine, Option::kRedactBodyFields, "password"));
  test::DecodeResult r = RunTraffic(engine, Post("application/x-www-form-urlencoded", "a=\xff&password=\xfe\xfd"), "");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].at("bodyEncoding").as_string(), "base64");
  EXPECT_EQ(r.messages[0].at("body").as_string(), "YT3/JnBhc3N3b3JkPVtSRURBQ1RFRF0=");  // a=\xff&password=[REDACTED]
}

TEST(MessageRules, RefusedValuesTurnTheOptionOff) {
  Engine engine(test::TestOptions());
  const uint8_t junk[8] = {1, 0, 0, 0, 9, 9, 9, 9};
  EXPECT_FALSE(engine.Configure(static_cast<uint32_t>(Option::kAllowUrl), junk, sizeof junk));
  EXPECT_FALSE(Configure(engine, Option::kRedactBodyFields, std::string(200, 'x')));
  EXPECT_FALSE(engine.Configure(77, junk, sizeof junk));
  test::DecodeResult r = RunTraffic(engine, kTwoRequests, kThreeResponses);
  EXPECT_EQ(r.messages.size(), 5u);
  EXPECT_EQ(r.stats.at("exchangesFiltered").as_int64(), 0);
}

}  // namespace
}  // namespace http_core
