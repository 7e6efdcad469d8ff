// A fixed-capacity ring buffer: the newest items of an endless stream (the
// event ticker, recent step times) in bounded memory.
#pragma once

#include <cassert>
#include <cstddef>
#include <vector>

namespace tipsim::viz {

template <typename T>
class RingBuffer {
 public:
  // A buffer that keeps the last `capacity` items pushed (capacity >= 1).
  explicit RingBuffer(std::size_t capacity) : items_(capacity > 0 ? capacity : 1) {}

  // Appends an item; when full, the oldest one is dropped.
  void push(T item) {
    items_[(first_ + size_) % items_.size()] = std::move(item);
    if (size_ < items_.size()) {
      ++size_;
    } else {
      first_ = (first_ + 1) % items_.size();
    }
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return items_.size(); }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == items_.size(); }
  void clear() {
    first_ = 0;
    size_ = 0;
  }

  // The i-th item kept, 0 = the oldest.
  const T& operator[](std::size_t i) const {
    assert(i < size_);
    return items_[(first_ + i) % items_.size()];
  }
  // The i-th item counting back from the newest, 0 = the newest.
  const T& from_newest(std::size_t i) const { return (*this)[size_ - 1 - i]; }

 private:
  std::vector<T> items_;
  std::size_t first_ = 0;  // index of the oldest item
  std::size_t size_ = 0;
};

}  // namespace tipsim::viz
