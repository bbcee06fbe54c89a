#include "header_groups.h"

#include <algorithm>
#include <string_view>

namespace http_core {

// Line indices sorted by (name, index): equal names end up side by side in message order, so one
// pass over the sorted indices links each line to the next of its name. std::sort's
// O(n log n) comparisons hold for any names (no hash a client could aim collisions at).
void HeaderGroups::Build(const Message& msg) {
  const size_t n = msg.headers.size();
  if (n > kInline) {
    heap_.reset(new uint32_t[2 * n]);
    next_ = heap_.get();
    first_ = heap_.get() + n;
  }
  uint32_t* order = first_;  // the sorted indices, before first_ takes its own values
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  uint64_t comparisons = 0;
  std::sort(order, order + n, [&msg, &comparisons](uint32_t a, uint32_t b) {
    ++comparisons;
    const int c = msg.Text(msg.headers[a].name).compare(msg.Text(msg.headers[b].name));
    return c < 0 || (c == 0 && a < b);
  });
  // next_ first, from the order; then first_ (which held the order) from next_.
  for (size_t k = 0; k < n; ++k) {
    const uint32_t i = order[k];
    const bool same = k + 1 < n &&
                      msg.Text(msg.headers[i].name) == msg.Text(msg.headers[order[k + 1]].name);
    next_[i] = same ? order[k + 1] : kEnd;
  }
  comparisons_ = comparisons + n;
  for (size_t i = 0; i < n; ++i) first_[i] = 1;
  for (size_t i = 0; i < n; ++i) {
    if (next_[i] != kEnd) first_[next_[i]] = 0;
  }
}

}  // namespace http_core
