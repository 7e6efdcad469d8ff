// Agent snapshots (snapshots.cpp): taken at the end of every K-th step,
// holding exactly the persons' fields as the world has them then.
#include "snapshots.hpp"

#include <gtest/gtest.h>

#include "person_ops.hpp"
#include "simulation.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

TEST(Snapshots, DueAtTheEndOfEveryKthStep) {
  EXPECT_FALSE(snapshot_due(0, 0));
  EXPECT_TRUE(snapshot_due(0, 1));
  EXPECT_FALSE(snapshot_due(0, 3));
  EXPECT_TRUE(snapshot_due(2, 3));
  EXPECT_TRUE(snapshot_due(5, 3));
  EXPECT_EQ(snapshot_count(10, 3), 3u);  // after steps 2, 5 and 8
  EXPECT_EQ(snapshot_count(10, 0), 0u);
  EXPECT_EQ(snapshot_count(2, 5), 0u);
}

TEST(Snapshots, HoldThePersonsAsTheWorldHasThem) {
  Scenario s = test::tiny_scenario(3000, 2, 9);
  test::set_param(s, Param::traffickers_initial_per_100k, 500);
  test::set_param(s, Param::policy_prevention_awareness_reach, 0.8);
  Recording recording;
  recording.snapshot_every = 4;
  Simulation simulation(s, 1, recording);
  std::size_t taken = 0;
  while (!simulation.finished()) {
    simulation.step();
    const Snapshots& snap = simulation.snapshots();
    if (snap.count() == taken) continue;
    ASSERT_EQ(snap.count(), taken + 1);
    const State& w = simulation.state();
    const auto& p = w.persons;
    const std::size_t n = p.size(), base = taken * n;
    EXPECT_EQ(snap.persons, n);
    EXPECT_EQ(snap.steps.back(), w.step - 1);
    for (std::uint32_t i = 0; i < n; ++i) {
      ASSERT_EQ(snap.state[base + i], p.state[i]) << i;
      ASSERT_EQ(snap.region[base + i], p.current_region[i]) << i;
      ASSERT_EQ(snap.home_region[base + i], p.home_region[i]) << i;
      ASSERT_EQ(snap.market[base + i], p.market[i]) << i;
      ASSERT_EQ(snap.flags[base + i], p.flags[i]) << i;
      ASSERT_EQ(snap.vulnerability[base + i], p.vulnerability[i]) << i;
      ASSERT_EQ(snap.awareness[base + i], static_cast<float>(awareness_now(simulation.model(), w, i))) << i;
      ASSERT_EQ(snap.controller[base + i], p.controller[i]) << i;
      ASSERT_EQ(snap.debt[base + i], p.debt[i]) << i;
      ASSERT_EQ(snap.times_trafficked[base + i], p.times_trafficked[i]) << i;
    }
    ++taken;
  }
  EXPECT_EQ(taken, 2u);  // after steps 3 and 7
  EXPECT_EQ(simulation.snapshots().steps, (std::vector<std::int32_t>{3, 7}));
  EXPECT_EQ(simulation.snapshots().state.size(), 2 * simulation.state().persons.size());
}

}  // namespace
}  // namespace tipsim
