#include "header_text.h"

namespace tsn {

void LowerAscii(char* p, size_t len) {
  for (size_t k = 0; k < len; ++k) {
    if (p[k] >= 'A' && p[k] <= 'Z') p[k] = static_cast<char>(p[k] - 'A' + 'a');
  }
}

size_t NormalizeHeaderValue(char* p, size_t len) {
  for (size_t k = 0; k < len; ++k) {
    if (p[k] == '\r' || p[k] == '\n') p[k] = ' ';
  }
  while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) --len;
  return len;
}

}  // namespace tsn
