#include "survivor_calendar.hpp"

#include <tbb/parallel_sort.h>

#include <algorithm>
#include <stdexcept>

namespace tipsim {

namespace {

// The heap's comparison: the root is the earliest.
bool later(const SurvivorEvent& a, const SurvivorEvent& b) { return SurvivorEvent::before(b, a); }

}  // namespace

void SurvivorCalendar::schedule(const SurvivorEvent& event, std::int32_t next) {
  ++size_;
  const std::int32_t at = std::max(event.due, next);
  if (at - next < kWindow) {
    std::uint32_t& newest = buckets_[static_cast<std::size_t>(at % kWindow)];
    if (newest == kEnd || pool_[newest].count == kPerBlock) {
      std::uint32_t block = free_;
      if (block != kEnd) {
        free_ = pool_[block].next;
      } else {
        if (pool_.size() >= kEnd)
          throw std::length_error("more than 4 294 967 294 blocks of survivors' follow-ups pending");
        block = static_cast<std::uint32_t>(pool_.size());
        pool_.emplace_back();
      }
      pool_[block].count = 0;
      pool_[block].next = newest;
      newest = block;
    }
    Block& b = pool_[newest];
    b.events[b.count++] = event;
    return;
  }
  later_.push_back(event);
  std::push_heap(later_.begin(), later_.end(), later);
}

void SurvivorCalendar::take_due(std::int32_t step, std::vector<SurvivorEvent>& due) {
  // The bucket's events are all due at `step` (scheduled less than a window
  // before); its blocks go back to the free list.
  due.clear();
  std::uint32_t& newest = buckets_[static_cast<std::size_t>(step % kWindow)];
  while (newest != kEnd) {
    Block& b = pool_[newest];
    due.insert(due.end(), b.events, b.events + b.count);
    const std::uint32_t taken = newest;
    newest = b.next;
    b.next = free_;
    free_ = taken;
  }
  while (!later_.empty() && later_.front().due <= step) {
    std::pop_heap(later_.begin(), later_.end(), later);
    due.push_back(later_.back());
    later_.pop_back();
  }
  // The order is total over every field, so any sort gives it.
  tbb::parallel_sort(due.begin(), due.end(), SurvivorEvent::before);
  size_ -= due.size();
}

std::vector<SurvivorEvent> SurvivorCalendar::events() const {
  std::vector<SurvivorEvent> all;
  all.reserve(size_);
  for (std::uint32_t newest : buckets_)
    for (std::uint32_t block = newest; block != kEnd; block = pool_[block].next)
      all.insert(all.end(), pool_[block].events, pool_[block].events + pool_[block].count);
  all.insert(all.end(), later_.begin(), later_.end());
  std::sort(all.begin(), all.end(), SurvivorEvent::before);
  return all;
}

}  // namespace tipsim
