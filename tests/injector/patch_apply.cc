#include "patch_apply.h"

#include <vector>

namespace injector::testing {
namespace json = boost::json;
namespace {

std::string UnescapeToken(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size()) {
      out.push_back(token[i + 1] == '1' ? '/' : '~');
      ++i;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

std::optional<std::size_t> ArrayIndex(const std::string& token) {
  if (token.empty() || token.size() > 9 || token.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoul(token);
}

}  // namespace

std::optional<std::string> Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string ApplyAdd(json::value& doc, const std::string& path, const json::value& value) {
  if (path.empty() || path.front() != '/') return "path must start with /: " + path;
  std::vector<std::string> tokens;
  std::size_t start = 1;
  while (true) {
    std::size_t slash = path.find('/', start);
    tokens.push_back(UnescapeToken(std::string_view(path).substr(start, slash == std::string::npos ? std::string::npos : slash - start)));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  json::value* parent = &doc;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (parent->is_object()) {
      parent = parent->get_object().if_contains(tokens[i]);
    } else if (parent->is_array()) {
      auto index = ArrayIndex(tokens[i]);
      parent = index && *index < parent->get_array().size() ? &parent->get_array()[*index] : nullptr;
    } else {
      parent = nullptr;
    }
    if (parent == nullptr) return "no parent for " + path;
  }
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    parent->get_object()[last] = value;
    return "";
  }
  if (!parent->is_array()) return "parent is neither object nor array: " + path;
  auto& array = parent->get_array();
  if (last == "-") {
    array.push_back(value);
    return "";
  }
  auto index = ArrayIndex(last);
  if (!index || *index > array.size()) return "array index out of range: " + path;
  array.insert(array.begin() + static_cast<std::ptrdiff_t>(*index), value);
  return "";
}

}  // namespace injector::testing
