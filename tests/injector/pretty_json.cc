#include "pretty_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace injector::testing {
namespace json = boost::json;
namespace {

void Write(const json::value& v, std::string& out, int indent) {
  std::string pad(static_cast<std::size_t>(indent) + 2, ' ');
  std::string close_pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::value(kv.key())) + ": ";
      Write(kv.value(), out, indent + 2);
    }
    out += "\n" + close_pad + "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& item : v.get_array()) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      Write(item, out, indent + 2);
    }
    out += "\n" + close_pad + "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string PrettyJson(const json::value& value) {
  std::string out;
  Write(value, out, 0);
  out += "\n";
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json::value ReadJsonFile(const std::string& path) {
  boost::system::error_code ec;
  json::value v = json::parse(ReadFile(path), ec);
  EXPECT_FALSE(ec) << path << " is not JSON: " << ec.message();
  return v;
}

}  // namespace injector::testing
