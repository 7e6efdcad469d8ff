// The event log: what happened to whom, step by step, for analysts who need
// more than the aggregate series (tipsim run --events). Recording is
// observation only: it never draws a random number or changes the state,
// so results are bit-identical with and without it.
//
// Events are recorded only in the serial parts of the phases, which run in
// person-id (or trafficker-id) order, never from inside a parallel loop:
// the log's order is therefore fixed, whatever the number of threads.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string_view>
#include <vector>

#include "model.hpp"
#include "state.hpp"
#include "step_context.hpp"

namespace tipsim {

// Every kind of event, in the order of sim/model/events.def (the stored value).
enum class EventKind : std::uint8_t {
#define TIPSIM_EVENT(id, name, mechanism, doc) id,
#include "events.def"
#undef TIPSIM_EVENT
};

inline constexpr std::size_t kEventKinds = 0
#define TIPSIM_EVENT(id, name, mechanism, doc) +1
#include "events.def"
#undef TIPSIM_EVENT
    ;

// Which levers an event's mechanism reads: the intervention responsible
// for an event is one that changes one of them (see responsible_levers()).
enum class Mechanism : std::uint8_t {
  None,
  Recruitment,
  Channel,  // the levers of the channel that found the victim
  Shelter,
  NonPunishment,
  Services,
  Justice,
  Trial,  // the courts' capacity, and what makes a case: investigators, partnership, corruption
  Entry,
  Sentence,
};

struct EventKindSpec {
  EventKind id;
  std::string_view name;  // e.g. "IDENTIFICATION", the flag meaning in run files
  Mechanism mechanism;
  std::string_view doc;
};
std::span<const EventKindSpec> event_kind_table();
inline const EventKindSpec& spec(EventKind kind) {
  return event_kind_table()[static_cast<std::size_t>(kind)];
}

// The regional levers read by an event of this kind (with this channel, for
// identifications). Empty when no lever drives it.
std::span<const Param> responsible_levers(EventKind kind, std::int8_t channel);

inline constexpr std::int8_t kNoCategory = -1;  // form or channel not applicable
inline constexpr std::int16_t kNoIntervention = -1;

// One event. Ids are indices into the world's persons and traffickers;
// -1 means "not applicable".
struct Event {
  std::int32_t step = 0;
  std::int32_t person = -1;
  std::int32_t trafficker = -1;
  std::int16_t region = -1;        // index into the scenario's regions
  std::int16_t intervention = -1;  // index into the scenario's interventions, or -1
  EventKind kind = EventKind::Recruitment;
  std::int8_t form = kNoCategory;     // Form
  std::int8_t channel = kNoCategory;  // Channel
  friend bool operator==(const Event&, const Event&) = default;
};

// The events of one replicate, in the order they happened. Held in blocks
// (a deque) rather than one array: a log of millions never holds a copy of
// itself while it grows, so it costs its records and little more
// (EventLog::kBytesPerEvent), which the memory estimate counts.
using EventList = std::deque<Event>;

class EventLog {
 public:
  // Appends an event of the world's current step. The responsible
  // intervention is the last one in the scenario's list whose window covers
  // the step, that applies in the event's region, and that changes one of
  // the levers the event's mechanism reads; -1 when there is none.
  void record(const Model& model, const State& state, EventKind kind, std::int32_t person,
              std::int32_t trafficker, std::size_t region, std::int8_t form, std::int8_t channel);

  // libstdc++'s deque keeps 25 events of 20 bytes in a block of 500 (512
  // with malloc's header) and a pointer to each block.
  static constexpr double kBytesPerEvent = (512.0 + 8.0) / 25.0;
  static_assert(sizeof(Event) == 20, "kBytesPerEvent assumes 25 events to a block of 500 bytes");

  const EventList& events() const { return events_; }
  EventList take() { return std::move(events_); }
  void clear() { events_.clear(); }
  // A fork's log starts with the events of the run it continues.
  void restore(EventList past) { events_ = std::move(past); }

 private:
  std::int16_t responsible(const Model& model, const State& state, EventKind kind, std::int8_t channel,
                           std::size_t region);

  EventList events_;
  // Memo of responsible(): (region x kind x channel) for step memo_step_.
  std::int32_t memo_step_ = -1;
  std::vector<std::int16_t> memo_;
};

// ---- recording from the phases ------------------------------------------------------------
// Cheap no-ops when the world records no events (StepContext::events is null).
// Call them before a transition clears what they read (controller, market).

// An event of a person where they are now, with their controller and form.
inline void record_person_event(const Model& model, const State& state, StepContext& ctx, EventKind kind,
                                std::uint32_t person, std::int8_t channel = kNoCategory) {
  if (ctx.events == nullptr) return;
  const auto& p = state.persons;
  const std::int8_t form = p.market[person] == kNoMarket
                               ? kNoCategory
                               : static_cast<std::int8_t>(form_of(static_cast<Market>(p.market[person])));
  ctx.events->record(model, state, kind, static_cast<std::int32_t>(person), p.controller[person],
                     p.current_region[person], form, channel);
}

// An event of a trafficker, in their base region, with the form they supply.
inline void record_trafficker_event(const Model& model, const State& state, StepContext& ctx, EventKind kind,
                                    std::size_t trafficker) {
  if (ctx.events == nullptr) return;
  const auto& t = state.traffickers;
  ctx.events->record(model, state, kind, -1, static_cast<std::int32_t>(trafficker), t.base_region[trafficker],
                     static_cast<std::int8_t>(form_of(static_cast<Market>(t.market[trafficker]))),
                     kNoCategory);
}

}  // namespace tipsim
