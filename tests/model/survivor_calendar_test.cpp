// The survivors' calendar gives back every event at its due step, in
// (due, person, kind) order, whether it waited in the window's buckets or
// beyond it, and whatever the order it was scheduled in.
#include "survivor_calendar.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace tipsim {
namespace {

SurvivorEvent event(std::int32_t due, std::uint32_t person, std::uint8_t kind) {
  return SurvivorEvent{
      .due = due, .person = person, .kind = kind, .route = 0, .times = 0, .abroad = 0, .since = 0};
}

TEST(SurvivorCalendar, EveryEventComesBackAtItsStepInOrder) {
  constexpr std::int32_t kSteps = 5 * SurvivorCalendar::kWindow;
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::int32_t> delay(1, 3 * SurvivorCalendar::kWindow);
  std::uniform_int_distribution<std::uint32_t> person(0, 50);
  SurvivorCalendar calendar;
  std::vector<SurvivorEvent> expected, taken, due;
  for (std::int32_t step = 0; step < kSteps; ++step) {
    calendar.take_due(step, due);
    for (const SurvivorEvent& e : due) EXPECT_EQ(e.due, step);
    EXPECT_TRUE(std::is_sorted(due.begin(), due.end(), SurvivorEvent::before));
    taken.insert(taken.end(), due.begin(), due.end());
    // Near and far (beyond the window) follow-ups, scheduled out of order.
    for (int k = 0; k < 3 && step < kSteps - 3 * SurvivorCalendar::kWindow; ++k) {
      const SurvivorEvent e = event(step + delay(rng), person(rng), static_cast<std::uint8_t>(k % 2));
      calendar.schedule(e, step + 1);
      expected.push_back(e);
    }
  }
  EXPECT_TRUE(calendar.empty());
  std::stable_sort(expected.begin(), expected.end(), SurvivorEvent::before);
  ASSERT_EQ(taken.size(), expected.size());
  EXPECT_TRUE(taken == expected);
}

// A step's events lie in blocks of fifteen: a busy step (1 000 due
// together, scheduled in shuffled order among others) comes back whole and
// in order, and the blocks it frees serve the next busy step.
TEST(SurvivorCalendar, ABusyStepComesBackWholeAndItsBlocksServeTheNext) {
  std::mt19937 rng(11);
  SurvivorCalendar calendar;
  std::vector<SurvivorEvent> due;
  for (std::int32_t busy : {5, 40}) {
    std::vector<SurvivorEvent> expected;
    for (std::uint32_t person = 0; person < 1000; ++person)
      expected.push_back(event(busy, person, static_cast<std::uint8_t>(person % 2)));
    std::vector<SurvivorEvent> order = expected;
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t k = 0; k < order.size(); ++k) {
      calendar.schedule(order[k], busy - 4);
      calendar.schedule(event(busy + 1 + static_cast<std::int32_t>(k % 3), 7, SurvivorEvent::Review),
                        busy - 4);
    }
    for (std::int32_t step = busy - 4; step < busy; ++step) {
      calendar.take_due(step, due);
      EXPECT_TRUE(due.empty());
    }
    calendar.take_due(busy, due);
    EXPECT_TRUE(due == expected) << due.size() << " of " << expected.size() << " at step " << busy;
    for (std::int32_t step = busy + 1; step <= busy + 3; ++step) {
      calendar.take_due(step, due);
      EXPECT_EQ(due.size(), step == busy + 1 ? 334u : 333u) << "step " << step;
    }
    EXPECT_TRUE(calendar.empty());
  }
}

TEST(SurvivorCalendar, AnEventAlreadyDueIsTakenAtTheNextStep) {
  SurvivorCalendar calendar;
  calendar.schedule(event(3, 1, SurvivorEvent::Review), 10);
  calendar.schedule(event(10, 0, SurvivorEvent::Recovery), 10);
  std::vector<SurvivorEvent> due;
  calendar.take_due(10, due);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].due, 3);
  EXPECT_EQ(due[1].due, 10);
  EXPECT_TRUE(calendar.empty());
}

TEST(SurvivorCalendar, CalendarsWithTheSameEventsAreEqualWhereverTheyWait) {
  SurvivorCalendar early, late;
  const SurvivorEvent far = event(5000, 2, SurvivorEvent::Recovery);
  early.schedule(far, 1);    // beyond the window: waits in the heap
  late.schedule(far, 4990);  // within it: in a bucket
  EXPECT_TRUE(early == late);
  EXPECT_EQ(early.events(), std::vector<SurvivorEvent>{far});
  late.schedule(event(5000, 1, SurvivorEvent::Review), 4990);
  EXPECT_FALSE(early == late);
}

}  // namespace
}  // namespace tipsim
