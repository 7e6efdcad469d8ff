#include "suggest.hpp"

#include <algorithm>
#include <utility>

namespace tipsim {

namespace {

// A dotted name's path and last part: "a.b.c" is "a.b" and "c"; "c" is ""
// and "c".
std::pair<std::string_view, std::string_view> split_last(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return {{}, name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// A good guess however far the rest is: the same last part under another
// path, or the same path with a shortened or lengthened last part.
bool looks_meant(std::string_view unknown, std::string_view candidate) {
  const auto [unknown_path, unknown_last] = split_last(unknown);
  const auto [path, last] = split_last(candidate);
  if (last == unknown_last) return true;
  return path == unknown_path && !unknown_last.empty() &&
         (last.starts_with(unknown_last) || unknown_last.starts_with(last));
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string_view> near_misses(std::string_view unknown,
                                          std::span<const std::string_view> candidates,
                                          std::size_t max_suggestions) {
  const std::size_t limit = std::max<std::size_t>(2, unknown.size() / 3);
  std::vector<std::pair<std::size_t, std::string_view>> scored;
  for (std::string_view c : candidates) {
    std::size_t d = edit_distance(unknown, c);
    if (looks_meant(unknown, c)) d = std::min<std::size_t>(d, 1);
    if (d <= limit) scored.emplace_back(d, c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string_view> out;
  for (const auto& [d, name] : scored) {
    if (out.size() >= max_suggestions) break;
    out.push_back(name);
  }
  return out;
}

std::vector<std::string> near_misses(std::string_view unknown, const std::vector<std::string>& candidates,
                                     std::size_t max_suggestions) {
  const std::vector<std::string_view> views(candidates.begin(), candidates.end());
  const std::vector<std::string_view> found = near_misses(unknown, views, max_suggestions);
  return {found.begin(), found.end()};
}

std::string did_you_mean(std::span<const std::string> suggestions) {
  if (suggestions.empty()) return "";
  std::string out = "; did you mean ";
  for (std::size_t i = 0; i < suggestions.size(); ++i) {
    if (i > 0) out += i + 1 == suggestions.size() ? " or " : ", ";
    out += "'" + suggestions[i] + "'";
  }
  return out + "?";
}

}  // namespace tipsim
