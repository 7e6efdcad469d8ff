// The state of one replicate: what the step changes. Persons and
// traffickers as structure-of-arrays, the per-region aggregates, and the
// lists the phases keep; each group is labelled with the phases that write
// it. Agents are indices; ids are never reused. What does not change during
// a run is the Model (model.hpp); scratch buffers and observers travel in
// the StepContext (step_context.hpp).
#pragma once

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <iterator>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics.hpp"
#include "params.hpp"
#include "survivor_calendar.hpp"

namespace tipsim {

enum class PersonState : std::uint8_t { Free = 0, Recruited = 1, Exploited = 2, InProtection = 3 };
inline constexpr std::size_t kPersonStates = 4;
// Their labels in run files and tables, in the enum's order.
inline constexpr std::string_view kPersonStateLabels[] = {"FREE", "RECRUITED", "EXPLOITED", "IN_PROTECTION"};

enum class Form : std::uint8_t { Sexual = 0, Labour = 1, DomesticServitude = 2, ForcedCriminality = 3 };
inline constexpr std::size_t kForms = 4;
inline constexpr std::string_view kFormLabels[] = {"SEXUAL", "LABOUR", "DOMESTIC_SERVITUDE",
                                                   "FORCED_CRIMINALITY"};

// A market is a form of exploitation, with the sector for forced labour.
enum class Market : std::uint8_t {
  Sexual = 0,
  LabourAgriculture = 1,
  LabourConstruction = 2,
  LabourManufacturing = 3,
  LabourOther = 4,
  DomesticServitude = 5,
  ForcedCriminality = 6,
};
inline constexpr std::size_t kMarkets = 7;
inline constexpr std::uint8_t kNoMarket = 0xFF;
inline constexpr std::string_view kMarketLabels[] = {
    "SEXUAL",       "LABOUR_AGRICULTURE_FISHING", "LABOUR_CONSTRUCTION", "LABOUR_MANUFACTURING",
    "LABOUR_OTHER", "DOMESTIC_SERVITUDE",         "FORCED_CRIMINALITY"};

constexpr Form form_of(Market m) {
  switch (m) {
    case Market::Sexual:
      return Form::Sexual;
    case Market::DomesticServitude:
      return Form::DomesticServitude;
    case Market::ForcedCriminality:
      return Form::ForcedCriminality;
    default:
      return Form::Labour;
  }
}
// Case type of a prosecution: sex trafficking, or labour trafficking (every
// other form), as the TIP report counts them.
constexpr std::size_t case_type_of(Market m) { return m == Market::Sexual ? 0 : 1; }
constexpr std::size_t case_type_of(Form f) { return f == Form::Sexual ? 0 : 1; }
inline constexpr std::string_view kCaseTypeLabels[] = {"SEXUAL", "LABOUR"};
inline constexpr std::size_t kCaseTypes = std::size(kCaseTypeLabels);

enum class Method : std::uint8_t {
  DeceptiveJobOffer = 0,
  Romance = 1,
  FamilyOrAcquaintance = 2,
  DebtBased = 3,
  Abduction = 4
};
inline constexpr std::size_t kMethods = 5;
inline constexpr std::string_view kMethodLabels[] = {"DECEPTIVE_JOB_OFFER", "ROMANCE",
                                                     "FAMILY_OR_ACQUAINTANCE", "DEBT_BASED", "ABDUCTION"};

enum class Channel : std::uint8_t {
  Police = 0,
  LabourInspection = 1,
  NgoOutreach = 2,
  Hotline = 3,
  PrivateSector = 4,
  BorderScreening = 5,
  Investigation = 6,  // freed when their trafficker is convicted
  SelfReport = 7,     // the victim came forward: from inside, or after escaping
};
inline constexpr std::size_t kChannels = 8;
inline constexpr std::string_view kChannelLabels[] = {
    "POLICE",         "LABOUR_INSPECTION", "NGO_OUTREACH",  "HOTLINE",
    "PRIVATE_SECTOR", "BORDER_SCREENING",  "INVESTIGATION", "SELF_REPORT"};

// People in situations agencies can mistake for trafficking, kept as counts
// per region: none of them is a victim.
enum class Adjacent : std::uint8_t {
  LabourViolation = 0,
  CommercialSex = 1,
  IrregularMigrant = 2,
  Smuggled = 3
};
inline constexpr std::size_t kAdjacentGroups = 4;
inline constexpr std::string_view kAdjacentLabels[] = {"LABOUR_RIGHTS_VIOLATION", "COMMERCIAL_SEX",
                                                       "IRREGULAR_MIGRANT", "SMUGGLED_MIGRANT"};
// The form of exploitation a group resembles: channels meet its people where
// they meet victims of that form.
constexpr Form look_alike_form(Adjacent a) {
  return a == Adjacent::CommercialSex ? Form::Sexual : Form::Labour;
}

// What an agency records a person as when it does not record them as a
// victim of trafficking.
enum class Record : std::uint8_t { Offence = 0, IrregularMigration = 1, LabourDispute = 2 };
inline constexpr std::size_t kRecords = 3;
inline constexpr std::string_view kRecordLabels[] = {"OFFENCE", "IRREGULAR_MIGRATION", "LABOUR_DISPUTE"};

enum class Pillar : std::uint8_t { Prosecution = 0, Protection = 1, Prevention = 2, Partnership = 3 };
inline constexpr std::size_t kPillars = 4;
inline constexpr std::string_view kPillarLabels[] = {"PROSECUTION", "PROTECTION", "PREVENTION",
                                                     "PARTNERSHIP"};
// How a person's trafficking ended: the route by which they became a
// survivor (escaped, let go, sheltered, turned away for lack of a place,
// punished as an offender).
enum class ExitRoute : std::uint8_t {
  Escaped = 0,
  Released = 1,
  Protected = 2,
  TurnedAway = 3,
  Punished = 4
};
inline constexpr std::size_t kExitRoutes = 5;
inline constexpr std::string_view kExitRouteLabels[] = {"ESCAPED", "RELEASED", "PROTECTED", "TURNED_AWAY",
                                                        "PUNISHED"};

// Where a survivor is survivors.followup_years after their trafficking
// ended: trafficked again (whatever happened since), still in protection,
// back home and not recovered, or recovered.
enum class SurvivorOutcome : std::uint8_t {
  Retrafficked = 0,
  InProtection = 1,
  Recovering = 2,
  Recovered = 3
};
inline constexpr std::size_t kSurvivorOutcomes = 4;
// What services' follow-up of the survivors they assisted records at the
// review: still in their services, reached and not recovered, reached and
// recovered, or not reached (re-trafficked, moved, refused contact).
enum class Followup : std::uint8_t { InServices = 0, NotRecovered = 1, Recovered = 2, Lost = 3 };
inline constexpr std::size_t kFollowups = 4;
inline constexpr std::string_view kFollowupLabels[] = {"IN_SERVICES", "NOT_RECOVERED", "RECOVERED",
                                                       "LOST_TO_FOLLOW_UP"};
// A survivor's pathway: how trafficking ended, and the outcome at follow-up
// (route-major, ROUTE:OUTCOME).
inline constexpr std::size_t kPathways = kExitRoutes * kSurvivorOutcomes;
inline constexpr std::string_view kPathwayLabels[] = {
    "ESCAPED:RETRAFFICKED",     "ESCAPED:IN_PROTECTION",     "ESCAPED:RECOVERING",
    "ESCAPED:RECOVERED",        "RELEASED:RETRAFFICKED",     "RELEASED:IN_PROTECTION",
    "RELEASED:RECOVERING",      "RELEASED:RECOVERED",        "PROTECTED:RETRAFFICKED",
    "PROTECTED:IN_PROTECTION",  "PROTECTED:RECOVERING",      "PROTECTED:RECOVERED",
    "TURNED_AWAY:RETRAFFICKED", "TURNED_AWAY:IN_PROTECTION", "TURNED_AWAY:RECOVERING",
    "TURNED_AWAY:RECOVERED",    "PUNISHED:RETRAFFICKED",     "PUNISHED:IN_PROTECTION",
    "PUNISHED:RECOVERING",      "PUNISHED:RECOVERED"};
constexpr std::size_t pathway_of(ExitRoute route, SurvivorOutcome outcome) {
  return static_cast<std::size_t>(route) * kSurvivorOutcomes + static_cast<std::size_t>(outcome);
}

static_assert(std::size(kPersonStateLabels) == kPersonStates && std::size(kFormLabels) == kForms &&
              std::size(kMarketLabels) == kMarkets && std::size(kMethodLabels) == kMethods &&
              std::size(kChannelLabels) == kChannels && std::size(kPillarLabels) == kPillars &&
              std::size(kAdjacentLabels) == kAdjacentGroups && std::size(kRecordLabels) == kRecords &&
              std::size(kExitRouteLabels) == kExitRoutes && std::size(kPathwayLabels) == kPathways &&
              std::size(kFollowupLabels) == kFollowups);

enum class TraffickerState : std::uint8_t { Active = 0, Incarcerated = 1, Desisted = 2 };

// Bits of Persons::flags.
namespace person_flag {
inline constexpr std::uint8_t kFemale = 1 << 0;
inline constexpr std::uint8_t kChild = 1 << 1;
inline constexpr std::uint8_t kConsentedInitially = 1 << 2;  // accepted a deceptive offer at first
inline constexpr std::uint8_t kCrossedBorder = 1 << 3;       // moved outside the home region
inline constexpr std::uint8_t kDebtBonded = 1 << 4;
inline constexpr std::uint8_t kCriminalised = 1 << 5;  // punished instead of protected, ever
inline constexpr std::uint8_t kCooperating = 1 << 6;   // cooperating with prosecution now
inline constexpr std::uint8_t kRecovering = 1
                                            << 7;  // a survivor back home, not recovered: re-trafficking risk
}  // namespace person_flag

// Bits of Persons::survivor: what a person's last exit from trafficking was.
namespace survivor_bits {
inline constexpr std::uint8_t kRouteMask = 0x7;  // ExitRoute + 1 of the last exit; 0: never left trafficking
inline constexpr std::uint8_t kAssisted = 1 << 3;  // has been in protection: services hold a record of them
}  // namespace survivor_bits
inline constexpr std::uint8_t survivor_route_bits(ExitRoute route) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(route) + 1);
}

inline constexpr std::int32_t kNoTrafficker = -1;

// Persons, one slot each, as structure of arrays: one array a field of
// person_fields.def. Persons are sorted by home region: region r owns the
// index range [Model::regions[r].person_begin, person_end).
struct Persons {
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) std::vector<type> name;
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD

  std::size_t size() const { return state.size(); }
  friend bool operator==(const Persons&, const Persons&) = default;
  // n persons as nobody has touched them yet.
  void resize(std::size_t n);
  // Person i's fields as nobody had touched them (a slot left vacant).
  void set_untouched(std::size_t i);
  // One more person as nobody has touched them yet. The arrays grow by a
  // quarter when full, not double, so that an estimate
  // of the memory can count on at most a quarter unused.
  void append_untouched();
  // Calls fn(name, array) for every field, in the table's order.
  template <typename Fn>
  void for_each_field(Fn&& fn) const {
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) fn(#name, name);
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD
  }
  // Memory of one person in bytes, for estimates and benchmarks.
  static constexpr std::size_t bytes_per_person() {
    return 0
#define TIPSIM_PERSON_FIELD(name, type, untouched, meaning) +sizeof(type)
#include "person_fields.def"
#undef TIPSIM_PERSON_FIELD
        ;
  }
};

// Traffickers, one slot each, as structure of arrays: one array a field of
// trafficker_fields.def. New traffickers are appended.
struct Traffickers {
#define TIPSIM_TRAFFICKER_FIELD(name, type, entering, meaning) std::vector<type> name;
#include "trafficker_fields.def"
#undef TIPSIM_TRAFFICKER_FIELD

  // Ids of the traffickers still in the trade (active or in prison) or
  // awaiting a verdict, in order: a trafficker who desisted with no case
  // pending never acts again, so the passes over traffickers cost those who
  // can, not everyone who ever entered. add() appends; prosecution drops
  // the desisted at the end of its phase.
  std::vector<std::int32_t> in_trade;

  std::size_t size() const { return state.size(); }
  friend bool operator==(const Traffickers&, const Traffickers&) = default;
  void reserve(std::size_t n);
  // Takes the desisted with no case pending out of in_trade (one charged
  // before desisting can still be convicted, and go to prison): those kept
  // are gathered in parallel into `buffer`, in order, which is then swapped
  // with in_trade; `offsets` and `cursors` are scratch.
  void drop_desisted(std::vector<std::int32_t>& buffer, std::vector<std::uint32_t>& offsets,
                     std::vector<std::uint32_t>& cursors);
  // in_trade from the states (a checkpoint's traffickers read back).
  void list_in_trade();
  // The fixed slices of in_trade that its parallel passes below count.
  static constexpr std::size_t kInTradeSlice = 8192;
  // The traffickers in the trade that `keep` holds for, grouped by
  // group_of(t) < groups, each group in id order: group g is
  // ids[offsets[g] .. offsets[g + 1]). `cursors` is scratch. A counting
  // sort over fixed slices of in_trade, each counted and placed in
  // parallel: the result is that of one pass, whatever the threads.
  template <typename Keep, typename GroupOf>
  void group_in_trade(std::size_t groups, Keep&& keep, GroupOf&& group_of,
                      std::vector<std::uint32_t>& offsets, std::vector<std::int32_t>& ids,
                      std::vector<std::uint32_t>& cursors) const {
    const std::size_t n = in_trade.size();
    const std::size_t slices = (n + kInTradeSlice - 1) / kInTradeSlice;
    auto each_kept = [&](std::size_t slice, auto&& fn) {
      for (std::size_t x = slice * kInTradeSlice; x < std::min(n, (slice + 1) * kInTradeSlice); ++x) {
        const auto t = static_cast<std::size_t>(in_trade[x]);
        if (keep(t)) fn(group_of(t), in_trade[x]);
      }
    };
    // cursors[slice x groups + g]: the slice's count in group g, then
    // where its first one goes.
    cursors.assign(slices * groups, 0);
    tbb::parallel_for(std::size_t{0}, slices, [&](std::size_t slice) {
      std::uint32_t* count = &cursors[slice * groups];
      each_kept(slice, [&](std::size_t g, std::int32_t) { ++count[g]; });
    });
    offsets.assign(groups + 1, 0);
    std::uint32_t placed = 0;
    for (std::size_t g = 0; g < groups; ++g) {
      offsets[g] = placed;
      for (std::size_t slice = 0; slice < slices; ++slice)
        placed += std::exchange(cursors[slice * groups + g], placed);
    }
    offsets[groups] = placed;
    ids.resize(placed);
    tbb::parallel_for(std::size_t{0}, slices, [&](std::size_t slice) {
      std::uint32_t* cursor = &cursors[slice * groups];
      each_kept(slice, [&](std::size_t g, std::int32_t t) { ids[cursor[g]++] = t; });
    });
  }
  // The traffickers in the trade counted by group_of(t), a group below
  // `groups` or `groups` for none: fixed slices of in_trade counted in
  // parallel, then added.
  template <typename GroupOf>
  std::vector<std::uint32_t> count_in_trade(std::size_t groups, GroupOf&& group_of) const {
    const std::size_t n = in_trade.size();
    const std::size_t slices = (n + kInTradeSlice - 1) / kInTradeSlice;
    std::vector<std::uint32_t> by_slice(slices * (groups + 1), 0);
    tbb::parallel_for(std::size_t{0}, slices, [&](std::size_t slice) {
      std::uint32_t* count = &by_slice[slice * (groups + 1)];
      for (std::size_t x = slice * kInTradeSlice; x < std::min(n, (slice + 1) * kInTradeSlice); ++x)
        ++count[group_of(static_cast<std::size_t>(in_trade[x]))];
    });
    std::vector<std::uint32_t> total(groups, 0);
    for (std::size_t slice = 0; slice < slices; ++slice)
      for (std::size_t g = 0; g < groups; ++g) total[g] += by_slice[slice * (groups + 1) + g];
    return total;
  }
  // Appends a trafficker entering the trade and returns its id.
  std::int32_t add(std::uint8_t region, Method method, Market market, std::int32_t network,
                   std::uint16_t capacity);
  // Calls fn(name, array) for every field, in the table's order.
  template <typename Fn>
  void for_each_field(Fn&& fn) const {
#define TIPSIM_TRAFFICKER_FIELD(name, type, entering, meaning) fn(#name, name);
#include "trafficker_fields.def"
#undef TIPSIM_TRAFFICKER_FIELD
  }
  // Memory of one trafficker in bytes, for estimates and benchmarks: its
  // fields and its place in in_trade.
  static constexpr std::size_t bytes_per_trafficker() {
    return sizeof(std::int32_t)
#define TIPSIM_TRAFFICKER_FIELD(name, type, entering, meaning) +sizeof(type)
#include "trafficker_fields.def"
#undef TIPSIM_TRAFFICKER_FIELD
        ;
  }
};

// People nobody has touched yet, and survivors back home with no review
// pending, when population.untouched_in_strata is on: counts by what the
// model reads of a free person (population.hpp). The traits: person_flag's
// female and child bits, kEmpowered, and the history a survivor brings
// back (docs/model.md, "The population"): the route of their last exit (0:
// never trafficked), whether services assisted them, whether they were
// punished as an offender, and whether they have not recovered yet.
namespace stratum_trait {
inline constexpr std::uint16_t kFemale = person_flag::kFemale;
inline constexpr std::uint16_t kChild = person_flag::kChild;
inline constexpr std::uint16_t kEmpowered = 1 << 2;
inline constexpr std::uint16_t kRouteShift = 3;
inline constexpr std::uint16_t kRouteMask = 0x7 << kRouteShift;  // ExitRoute + 1 of the last exit
inline constexpr std::uint16_t kAssisted = 1 << 6;
inline constexpr std::uint16_t kCriminalised = 1 << 7;
inline constexpr std::uint16_t kRecovering = 1 << 8;  // a survivor who has not recovered
// The person flags a stratum's traits give its people.
inline constexpr std::uint8_t person_flags(std::uint16_t traits) {
  return static_cast<std::uint8_t>((traits & (kFemale | kChild)) |
                                   (traits & kCriminalised ? person_flag::kCriminalised : 0) |
                                   (traits & kRecovering ? person_flag::kRecovering : 0));
}
}  // namespace stratum_trait
// The awareness level of a stratum without a campaign's boost.
inline constexpr std::int32_t kNoBoost = std::numeric_limits<std::int32_t>::min();
struct Stratum {
  std::uint16_t traits = 0;                 // stratum_trait bits
  std::uint8_t vulnerability_bin = 0;       // bin of the region's step-0 vulnerability distribution
  std::int32_t awareness_level = kNoBoost;  // log of the campaign boost referred to step 0, in levels
  std::uint64_t people = 0;                 // agents
  friend bool operator==(const Stratum&, const Stratum&) = default;
};

// A charged case waiting in a region's court: against trafficker `trafficker`
// or, when kNoTrafficker, against someone who is not a trafficker.
struct CourtCase {
  std::int32_t trafficker;
  std::int32_t charged_step;
  std::int32_t ready_step;  // the first step it can be heard, once prepared
  std::uint8_t case_type;
  friend bool operator==(const CourtCase&, const CourtCase&) = default;
};

// What the survivors phase must follow up: a person's trafficking ended
// (route), or they left protection (kLeftServices); `abroad` when this sent
// them home from another region.
struct SurvivorExit {
  static constexpr std::uint8_t kLeftServices = 0xFF;
  std::uint32_t person;
  std::uint8_t route;   // ExitRoute, or kLeftServices
  std::uint8_t region;  // where it happened (where they were exploited, or the shelter's)
  std::uint8_t times;   // times_trafficked then
  bool abroad;          // region is not their home
  friend bool operator==(const SurvivorExit&, const SurvivorExit&) = default;
};

// A region's aggregates and the levers in force this step.
struct RegionState {
  // Written by the policy schedule (phase 1).
  ParamValues levers;                  // regional parameters after interventions and budget, this step
  std::uint32_t shelter_capacity = 0;  // places this step
  // Written by prevention (phase 2).
  double awareness_mean = 0;  // mean awareness of the population (tracked in mean field)
  // Written by prosecution (phase 8).
  // EWMA of convictions per active trafficker per year, by market: the
  // convictions traffickers of a market can see in their base region.
  double perceived_risk[kMarkets] = {};
  // Charged cases waiting for a verdict, oldest first, and the leads against
  // people who are not traffickers (counts, by case type) that
  // investigators may still follow.
  std::deque<CourtCase> court_queue;
  double court_time = 0;  // hearings the courts can hold now
  double suspects[kCaseTypes] = {};
  // Written by initialisation, then read only.
  // Attractiveness at step 0 with all demand unmet and no risk: entry is
  // relative to it.
  double attractiveness_reference = 0;
  // Written by the market (phase 3), from the levers and the market counts.
  double attractiveness_unmet = 0;      // attractiveness if all demand were unmet, undeterred
  double market_demand[kMarkets] = {};  // effective demand this step, in victims
  // For a recruit from here: expected unmet share of demand where they will
  // be exploited (routes applied), and the demand density they face there.
  double market_pull[kMarkets] = {};     // [0, 1]
  double market_density[kMarkets] = {};  // victims per 100 000 population
  double attractiveness = 0;             // expected profit x deterrence, this step
  // Kept by every transition of a person or trafficker (person_ops.hpp, the
  // market phase), so that they always match the agents.
  std::uint32_t market_victims[kMarkets] = {};  // victims (RECRUITED for here or EXPLOITED here) by market
  std::uint32_t shelter_occupied = 0;           // persons IN_PROTECTION here
  // Written by identification and protection: people identified as victims
  // who were not, in a shelter place here (counts: they are not agents).
  std::uint32_t non_victims_sheltered = 0;
  std::uint64_t free_persons = 0;  // FREE persons whose home is here, agents and untouched
  // FREE survivors whose home is here, not recovered: agents and strata.
  std::uint32_t survivors_recovering = 0;
  std::uint32_t traffickers_active = 0;
  friend bool operator==(const RegionState&, const RegionState&) = default;
};

// The changing state of one replicate.
struct State {
  std::uint32_t replicate = 0;  // which replicate: with the model's seed, names its random streams
  std::int32_t step = 0;        // the step being computed (0-based); advanced at the end of the step

  // Every phase moves persons between states through person_ops.hpp;
  // prevention and demography also write the free population's attributes.
  Persons persons;
  // With population.untouched_in_strata: each region's untouched people,
  // sorted by (traits, bin, level), and the persons whose home is each
  // region, in id order between steps (they are agents from the moment
  // something happened to them until, back home with no review pending,
  // they return to a stratum).
  // Both empty otherwise: every person is an agent from the start, and a
  // region's are a range of ids.
  std::vector<std::vector<Stratum>> strata;
  std::vector<std::vector<std::uint32_t>> members;
  // With strata: the slots of survivors who went back to the strata (and
  // of people who became agents for a recruitment that failed), untouched
  // and in no list, the last vacated taken first.
  std::vector<std::uint32_t> vacant;
  // Written by the market (entry, desistance, release), exploitation
  // (profit), prosecution (evidence, sentences) and recruitment (victims).
  Traffickers traffickers;
  std::vector<RegionState> regions;
  std::int32_t networks = 0;  // networks founded so far; the next id (market)

  // Sorted ids of every person not FREE: the people whose state can change
  // outside the sampled passes. Kept sorted so that every pass over it runs
  // in id order. Recruitment adds to it; the step removes the FREE.
  std::vector<std::uint32_t> involved;
  // Survivors' follow-up (phase 10, survivors): a recovery or a review
  // due at a later step.
  SurvivorCalendar survivor_calendar;
  // The exits from trafficking and returns home of this step, in the order
  // they happened; phase 10 follows them up and empties the list, so it is
  // empty between steps.
  std::vector<SurvivorExit> survivor_exits;
  // Traffickers incarcerated in this step (prosecution), replaced by their
  // networks in the next (market).
  std::vector<std::int32_t> newly_incarcerated;

  std::size_t region_count() const { return regions.size(); }
  // Every member the same: what a checkpoint read back must give.
  friend bool operator==(const State&, const State&) = default;
};

// The levers in force in a region this step.
inline const ParamValues& levers(const State& state, std::size_t region) {
  return state.regions[region].levers;
}

}  // namespace tipsim
