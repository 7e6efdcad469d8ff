// "Did you mean ...?": the one ranking of near-miss names that every
// message about an unknown name uses (scenario keys, --set and --vary keys,
// region names, route and intervention fields).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tipsim {

// Levenshtein distance: single-character insertions, deletions and
// substitutions that turn a into b.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidates close enough to `unknown` to be what was meant, best first
// (ties in the candidates' order), at most `max_suggestions` of them. A
// candidate is as far as its edit distance, but at most 1 away when it has
// the same last dotted part under another path ("awareness_reach" for
// "policy.prevention.awareness_reach") or the same path with a shortened
// or lengthened last part ("start" for "start_step",
// "policy.protection.shelter" for "policy.protection.shelter_beds_per_100k");
// it is close enough at max(2, |unknown| / 3) or less.
std::vector<std::string_view> near_misses(std::string_view unknown,
                                          std::span<const std::string_view> candidates,
                                          std::size_t max_suggestions = 3);
std::vector<std::string> near_misses(std::string_view unknown, const std::vector<std::string>& candidates,
                                     std::size_t max_suggestions = 3);

// "; did you mean 'a', 'b' or 'c'?", or nothing when there is no suggestion.
std::string did_you_mean(std::span<const std::string> suggestions);

}  // namespace tipsim
