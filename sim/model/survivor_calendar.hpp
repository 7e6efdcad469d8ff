// The survivors' follow-ups (phase 10) by the step they are due. The next
// kWindow steps are a ring of buckets, one per step, and what is due later
// waits in a heap: scheduling costs a push, and a step costs the events due
// then (a heap of every pending event cost log(pending) cache misses each,
// with hundreds of thousands pending at fine scales). A bucket is a list of
// blocks of kPerBlock events, threaded through one pool of blocks, which a
// taken bucket's blocks return to: a step's events are read a block at a
// time instead of a scattered slot an event, the memory is that of the most
// events ever pending at once (16.5 bytes each, and a part-filled block a
// bucket; buckets of their own would each keep the capacity of the fullest
// step), and once the pool has grown nothing is allocated.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

namespace tipsim {

// A survivor's follow-up due at a step: their recovery (valid while they
// are still in the spell at liberty that began at `since`), or the review
// of where they are survivors.followup_years after their exit.
struct SurvivorEvent {
  enum Kind : std::uint8_t { Recovery = 0, Review = 1 };
  std::int32_t due;
  std::uint32_t person;
  std::uint8_t kind;
  std::uint8_t route;   // ExitRoute of the exit followed up
  std::uint8_t times;   // times_trafficked at the exit (Review)
  std::uint8_t abroad;  // 1: exploited outside their home region (Review)
  std::int32_t since;   // state_since of the spell (Recovery); the exit's step (Review)
  friend bool operator==(const SurvivorEvent&, const SurvivorEvent&) = default;
  // The calendar's order: the earliest due first, then by person and kind
  // (and the rest, so that two follow-ups of one person due together, from
  // two spells, come in one order wherever they waited).
  static bool before(const SurvivorEvent& a, const SurvivorEvent& b) {
    return std::tie(a.due, a.person, a.kind, a.since, a.times, a.route, a.abroad) <
           std::tie(b.due, b.person, b.kind, b.since, b.times, b.route, b.abroad);
  }
};

class SurvivorCalendar {
  static constexpr std::uint32_t kEnd = 0xFFFFFFFFu;  // no block: a list's end
  static constexpr std::uint32_t kPerBlock = 15;      // 248 bytes a block
  struct Block {
    SurvivorEvent events[kPerBlock];
    std::uint32_t count = 0;    // events held
    std::uint32_t next = kEnd;  // the bucket's next (older) block, or the free list's
  };

 public:
  // Memory of a pending event in a full block, for estimates.
  static constexpr double kBytesPerEvent = static_cast<double>(sizeof(Block)) / kPerBlock;
  static constexpr std::int32_t kWindow = 1024;  // steps held in buckets (about 20 years of weeks)

  // Schedules `event`; `next` is the first step not yet taken, when an
  // event due before it is taken.
  void schedule(const SurvivorEvent& event, std::int32_t next);
  // Moves the events due at `step` or before into `due` (emptied first), in
  // the calendar's order. Steps are taken in order, none skipped.
  void take_due(std::int32_t step, std::vector<SurvivorEvent>& due);
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Every pending event, in the calendar's order (checkpoints and tests).
  std::vector<SurvivorEvent> events() const;
  // The same pending events, wherever they wait.
  friend bool operator==(const SurvivorCalendar& a, const SurvivorCalendar& b) {
    return a.size_ == b.size_ && a.events() == b.events();
  }

 private:
  std::vector<Block> pool_;
  std::vector<std::uint32_t> buckets_ = std::vector<std::uint32_t>(kWindow, kEnd);  // each one's newest block
  std::uint32_t free_ = kEnd;                                                       // the first free block
  std::vector<SurvivorEvent> later_;  // due kWindow steps or more after scheduling: a heap
  std::size_t size_ = 0;
};

}  // namespace tipsim
