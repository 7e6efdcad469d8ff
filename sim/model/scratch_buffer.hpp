// Scratch buffers that a step sizes to the people or traffickers it passes
// over.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace tipsim {

// `buffer` becomes n copies of `value`; when n exceeds its capacity, the
// capacity at least doubles. std::vector::assign reallocates to exactly n,
// so a buffer whose size creeps up a little every step (the involved
// persons of a fine-scaled world) was reallocated every step and its pages
// faulted in again: a quarter of a step at one agent for ten people.
template <typename T>
void fill_buffer(std::vector<T>& buffer, std::size_t n, const T& value) {
  if (n > buffer.capacity()) buffer.reserve(std::max(n, 2 * buffer.capacity()));
  buffer.assign(n, value);
}

// `buffer` sized to n elements, grown as fill_buffer grows it, for a pass
// that writes every element: not filled first, which on a fine-scaled world
// was a serial pass over the whole buffer before the parallel one.
template <typename T>
void size_buffer(std::vector<T>& buffer, std::size_t n) {
  if (n > buffer.capacity()) buffer.reserve(std::max(n, 2 * buffer.capacity()));
  buffer.resize(n);
}

}  // namespace tipsim
