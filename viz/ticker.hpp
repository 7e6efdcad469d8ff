// The event ticker: notable moments picked out of the per-step metrics,
// in words a trainer can read aloud ("week 131: 4 convictions in Borvia",
// "week 80: shelters full in Corland").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "metrics.hpp"
#include "params.hpp"
#include "ring_buffer.hpp"

namespace tipsim::viz {

enum class TickerKind : std::uint8_t {
  Convictions,          // a spike in convictions in a region (or its first)
  Identifications,      // a spike in victims identified
  NetworkReplacements,  // networks replaced members sent to prison (the hydra effect)
  SheltersFull,         // every shelter place in a region taken
  SheltersRoom,         // places free again after being full
  InterventionStarts,   // a scenario intervention or a slider change comes into force
  InterventionEnds,
};

struct TickerEvent {
  std::int32_t step = 0;     // 0-based index of the step it happened in
  std::int32_t region = -1;  // -1: every region or none
  TickerKind kind = TickerKind::Convictions;
  double count = 0;
  std::string text;  // "week 131: 4 convictions in Borvia"
};

// Watches a run step by step and reports what stands out. Spikes are
// judged against each region's own recent past (the mean of the last half
// year), so a big region's routine does not flood the ticker and a small
// region's first conviction is still news.
class EventDetector {
 public:
  // `scenario` supplies region names, the step length and its own
  // interventions; it must outlive the detector.
  explicit EventDetector(const Scenario& scenario);

  // Looks at step `step` of `series` (steps must come in order, from 0)
  // and appends its events to `out`. `extra` are interventions added
  // during the session (slider changes), announced like the scenario's.
  void observe(const Series& series, std::int32_t step, std::span<const InterventionSpec> extra,
               std::vector<TickerEvent>& out);
  std::int32_t next_step() const { return next_step_; }

 private:
  // A count this step against its recent mean: news when clearly above
  // what chance would give around that mean.
  static bool is_spike(double count, double recent_mean, double minimum);
  void announce_interventions(std::span<const InterventionSpec> interventions, std::int32_t step,
                              std::vector<TickerEvent>& out) const;

  const Scenario* scenario_;
  std::int32_t next_step_ = 0;
  struct RegionMemory {
    RingBuffer<double> convictions{26};
    RingBuffer<double> identifications{26};
    RingBuffer<double> replacements{26};
    bool convicted_before = false;
    bool shelters_full = false;
    std::int32_t full_announced_at = -1000;  // step of the last "shelters full"
    bool room_pending = false;               // "full" was announced: "room again" may follow
    int steps_with_room = 0;                 // consecutive steps below 90 % since full
  };
  std::vector<RegionMemory> regions_;
};

// Every event of a whole run, steps [0, steps).
std::vector<TickerEvent> detect_events(const Scenario& scenario, const Series& series, std::size_t steps);

// "in all regions" or "in Borvia", for an intervention's region.
std::string where_text(const Scenario& scenario, std::int32_t region);
// What an intervention changes: "investigators per 100k x3, shelter beds per 100k = 40".
std::string changes_text(const InterventionSpec& intervention);

}  // namespace tipsim::viz
