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
