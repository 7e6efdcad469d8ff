// What agencies record (observation.cpp, and the screening in phase 7):
// each channel recognises the victims it meets with its sensitivity and
// records the others as something else; people in adjacent situations are
// taken for victims with one minus its specificity and hold shelter places;
// arrested victims are screened; some forms are recorded as forced labour.
// And the observed layer is written only from agencies' records.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "test_paths.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

namespace fs = std::filesystem;
using test::set_param;
using test::World;

double channel_total(const World& w, Metric m, Channel c) {
  return test::frame_total(w, m, static_cast<std::size_t>(c));
}
double record_total(const World& w, Metric m, Record r) {
  return test::frame_total(w, m, static_cast<std::size_t>(r));
}

// A quiet world with every channel off and agencies that see truly, so that
// each test turns on the channel and the measurement it checks.
Scenario unlit_scenario(std::uint32_t persons, std::size_t regions = 1) {
  Scenario s = test::quiet_scenario(persons, regions);
  test::no_identification(s);
  set_param(s, Param::institutions_corruption, 0);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  return s;
}

std::int32_t exploit_in(World& w, std::uint32_t first, std::uint32_t count, Market market,
                        std::size_t where) {
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, market, 60000);
  for (std::uint32_t i = first; i < first + count; ++i) test::make_exploited(w, i, t, where);
  return t;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ObservedLayer, OnlyAgenciesRecordsWriteTheObservedSeries) {
  // Every observed series is written in observation.cpp, whose functions
  // take records (what an agency knows), never the state; no other file of
  // the model names an observed series. Summaries (metrics.cpp) only read
  // finished series.
  const fs::path model_dir = fs::path(test_paths::source_dir) / "sim" / "model";
  const std::string observation = read_text(model_dir / "observation.cpp");
  const std::string interface = read_text(model_dir / "observation.hpp");
  std::size_t observed = 0;
  for (const MetricSpec& m : metric_table()) {
    if (m.layer != Layer::Observed) continue;
    ++observed;
    const std::string name = "Metric::" + std::string(m.name);
    EXPECT_NE(observation.find(name + ","), std::string::npos)
        << m.name << " is not written by observation.cpp";
    for (const auto& entry : fs::directory_iterator(model_dir)) {
      const std::string file = entry.path().filename().string();
      if (file == "observation.cpp" || file == "metrics.cpp") continue;
      const std::string text = read_text(entry.path());
      for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
        const char next = at + name.size() < text.size() ? text[at + name.size()] : ' ';
        // A longer identifier that starts the same (Metric::identified_by_form_x) is another series.
        if (std::isalnum(static_cast<unsigned char>(next)) || next == '_') continue;
        ADD_FAILURE() << file << " names the observed series " << m.name;
      }
    }
  }
  EXPECT_GE(observed, 10u);
  // The recording functions cannot reach the truth: no state, no persons,
  // no traffickers, no model in their file or their interface.
  for (const std::string* text : {&observation, &interface})
    for (const char* truth : {"State&", "persons", "traffickers", "Model&"})
      EXPECT_EQ(text->find(truth), std::string::npos) << "observation reads " << truth;
}

TEST(Screening, AChannelRecognisesTheVictimsItMeetsWithItsSensitivity) {
  // Inspectors meet a labour victim with probability p and recognise them
  // with probability 0.4; the others are recorded as labour disputes and
  // stay where they are.
  constexpr std::uint32_t kVictims = 20000;
  Scenario s = unlit_scenario(25000);
  set_param(s, Param::policy_protection_labour_inspectors_per_100k, 1e4);
  set_param(s, Param::identification_inspection_rate_per_year, 30.0);
  set_param(s, Param::identification_inspection_sensitivity, 0.4);
  World w = test::make_world(s);
  exploit_in(w, 0, kVictims, Market::LabourConstruction, 0);
  w.step = 1;
  run_identification(w);
  const double p = -std::expm1(-30.0 * w.step_years);
  const double recognised = channel_total(w, Metric::identifications_by_channel, Channel::LabourInspection);
  const double unrecognised = channel_total(w, Metric::victims_unrecognised, Channel::LabourInspection);
  EXPECT_NEAR(recognised, kVictims * p * 0.4, test::binomial_tolerance(kVictims, p * 0.4));
  EXPECT_NEAR(unrecognised, kVictims * p * 0.6, test::binomial_tolerance(kVictims, p * 0.6));
  EXPECT_EQ(record_total(w, Metric::other_cases, Record::LabourDispute), unrecognised);
  EXPECT_EQ(record_total(w, Metric::victims_in_other_cases, Record::LabourDispute), unrecognised);
  EXPECT_EQ(static_cast<double>(test::count_in(w, PersonState::Exploited)), kVictims - recognised);
  EXPECT_EQ(test::frame_total(w, Metric::false_identifications), 0.0) << "nobody else is there";
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(Screening, PoliceRecordVictimsTheyDoNotRecogniseAsOffendersOrIrregularMigrants) {
  // Police at sensitivity 0.5 meet sexual-exploitation victims at home
  // (unrecognised: arrested for selling sex with the region's share, 0.6)
  // and abroad (unrecognised: recorded as irregular migrants).
  constexpr std::uint32_t kEach = 10000;
  Scenario s = unlit_scenario(40000, 2);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 30.0);
  set_param(s, Param::identification_police_sensitivity, 0.5);
  set_param(s, Param::adjacent_selling_sex_arrest_share, 0.6);
  World w = test::make_world(s);
  std::vector<std::uint32_t> home, abroad;
  for (std::uint32_t i = 0; i < w.persons.size() && (home.size() < kEach || abroad.size() < kEach); ++i)
    (w.persons.home_region[i] == 0 ? home : abroad).push_back(i);
  ASSERT_GE(home.size(), kEach);
  ASSERT_GE(abroad.size(), kEach);
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 60000);
  for (std::uint32_t k = 0; k < kEach; ++k) {
    test::make_exploited(w, home[k], t, 0);
    test::make_exploited(w, abroad[k], t, 0);
  }
  w.step = 1;
  run_identification(w);
  const double p = -std::expm1(-30.0 * w.step_years);
  const double unrecognised = channel_total(w, Metric::victims_unrecognised, Channel::Police);
  EXPECT_NEAR(unrecognised, 2 * kEach * p * 0.5, test::binomial_tolerance(2 * kEach, p * 0.5));
  const double migrants = record_total(w, Metric::other_cases, Record::IrregularMigration);
  const double offences = record_total(w, Metric::other_cases, Record::Offence);
  EXPECT_NEAR(migrants, kEach * p * 0.5, test::binomial_tolerance(kEach, p * 0.5));
  EXPECT_NEAR(offences, kEach * p * 0.5 * 0.6, test::binomial_tolerance(kEach, p * 0.5 * 0.6));
  // Every record is of a victim here; the arrested for selling sex stay.
  EXPECT_EQ(record_total(w, Metric::victims_in_other_cases, Record::IrregularMigration), migrants);
  EXPECT_EQ(record_total(w, Metric::victims_in_other_cases, Record::Offence), offences);
  EXPECT_EQ(test::frame_total(w, Metric::victims_punished), 0.0);
  EXPECT_EQ(static_cast<double>(test::count_in(w, PersonState::Exploited)),
            2 * kEach - channel_total(w, Metric::identifications_by_channel, Channel::Police));
}

TEST(Screening, PeopleInAdjacentSituationsAreTakenForVictimsByOneMinusTheSpecificity) {
  // No victim anywhere. 2 000 people per 100 000 sell sex, 1 000 are
  // irregular migrants; police meet them where they meet sexual
  // exploitation (sex sellers) and forced labour (migrants), twice as often
  // as the hidden victims, at specificity 0.9. Counts are Poisson: 4.5
  // standard deviations.
  Scenario s = unlit_scenario(100000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 50.0);
  set_param(s, Param::adjacent_visibility_factor, 2.0);  // met twice as often as hidden victims
  set_param(s, Param::identification_visibility_labour, 0.5);
  set_param(s, Param::identification_police_specificity, 0.9);
  set_param(s, Param::adjacent_commercial_sex_per_100k, 2000);
  set_param(s, Param::adjacent_irregular_migrants_per_100k, 1000);
  set_param(s, Param::adjacent_selling_sex_arrest_share, 0.5);
  World w = test::make_world(s);
  const auto before = w.persons.state;
  w.step = 1;
  run_identification(w);
  const double p_sex = -std::expm1(-100.0 * w.step_years);
  const double p_migrant = -std::expm1(-100.0 * 0.5 * w.step_years);
  const auto within = [](double observed, double mean, const char* what) {
    EXPECT_NEAR(observed, mean, 4.5 * std::sqrt(mean)) << what;
  };
  const double taken = channel_total(w, Metric::identifications_by_channel, Channel::Police);
  within(test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(Form::Sexual)),
         2000 * p_sex * 0.1, "sex sellers taken for victims of sexual exploitation");
  within(test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(Form::Labour)),
         1000 * p_migrant * 0.1, "migrants taken for victims of forced labour");
  within(test::frame_total(w, Metric::identified_abroad), 1000 * p_migrant * 0.1, "the migrants are foreign");
  within(record_total(w, Metric::other_cases, Record::Offence), 2000 * p_sex * 0.9 * 0.5,
         "sex sellers arrested");
  within(record_total(w, Metric::other_cases, Record::IrregularMigration), 1000 * p_migrant * 0.9,
         "migrants recorded as such");
  // All of them false: the true layer knows, the observed does not.
  EXPECT_EQ(channel_total(w, Metric::false_identifications, Channel::Police), taken);
  EXPECT_EQ(test::frame_total(w, Metric::victims_in_other_cases), 0.0);
  EXPECT_NEAR(test::frame_total(w, Metric::identified_female),
              test::frame_total(w, Metric::identified_by_form, 0) *
                      s.get(Param::adjacent_female_share_commercial_sex) +
                  test::frame_total(w, Metric::identified_by_form, 1) *
                      s.get(Param::adjacent_female_share_irregular_migrants),
              test::binomial_tolerance(taken, 0.5));
  EXPECT_EQ(test::frame_total(w, Metric::identified_children), 0.0);
  // They hold shelter places; no agent changed.
  EXPECT_EQ(test::frame_total(w, Metric::protection_entries), taken);
  EXPECT_EQ(static_cast<double>(w.regions[0].non_victims_sheltered), taken);
  EXPECT_EQ(w.persons.state, before);
  // Each points investigators at someone who is no trafficker, in the case
  // type of the form it was taken for.
  const double per = s.get(Param::prosecution_suspects_per_false_identification);
  EXPECT_DOUBLE_EQ(w.regions[0].suspects[0], per * test::frame_total(w, Metric::identified_by_form,
                                                                     static_cast<std::size_t>(Form::Sexual)));
  EXPECT_DOUBLE_EQ(w.regions[0].suspects[1], per * test::frame_total(w, Metric::identified_by_form,
                                                                     static_cast<std::size_t>(Form::Labour)));
}

TEST(Screening, BorderScreeningTakesSomeSmuggledMigrantsForVictims) {
  // 50 000 smuggled a year per 100 000 people, 14 days in transit: 1 918
  // in transit at any moment; full screening at 40 a year, specificity 0.8.
  Scenario s = unlit_scenario(100000);
  set_param(s, Param::policy_protection_border_screening, 1.0);
  set_param(s, Param::identification_border_detection_rate_per_year, 40.0);
  set_param(s, Param::identification_border_specificity, 0.8);
  set_param(s, Param::adjacent_smuggled_per_100k_per_year, 50000);
  World w = test::make_world(s);
  w.step = 1;
  run_identification(w);
  const double in_transit = 50000 * 14.0 / 365.0;
  const double p = -std::expm1(-40.0 * w.step_years);
  const double taken = channel_total(w, Metric::identifications_by_channel, Channel::BorderScreening);
  EXPECT_NEAR(taken, in_transit * p * 0.2, 4.5 * std::sqrt(in_transit * p * 0.2));
  EXPECT_EQ(channel_total(w, Metric::false_identifications, Channel::BorderScreening), taken);
  EXPECT_EQ(test::frame_total(w, Metric::identified_abroad), taken);
  const double recorded = record_total(w, Metric::other_cases, Record::IrregularMigration);
  EXPECT_NEAR(recorded, in_transit * p * 0.8, 4.5 * std::sqrt(in_transit * p * 0.8));
  EXPECT_EQ(test::frame_total(w, Metric::identifications_by_channel), taken) << "no other channel met them";
}

TEST(Screening, PeopleWronglyIdentifiedHoldShelterPlacesForTheServiceTimeOnAverage) {
  // 4 000 people sheltered wrongly, a service time of 10 weeks: each leaves
  // with probability 1/10 a step; services are paid for every one of them.
  Scenario s = unlit_scenario(10000);
  set_param(s, Param::policy_protection_service_years, test::weeks(10));
  World w = test::make_world(s);
  w.regions[0].non_victims_sheltered = 4000;
  w.step = 1;
  run_protection(w);
  const double left = test::frame_total(w, Metric::reintegrations);
  EXPECT_NEAR(left, 400, test::binomial_tolerance(4000, 0.1));
  EXPECT_EQ(static_cast<double>(w.regions[0].non_victims_sheltered), 4000 - left);
  const double per_person = s.get(Param::policy_protection_service_quality) *
                            s.get(Param::cost_services_usd_per_person_year) *
                            levers(w, 0)[Param::cost_price_level] * w.step_years * w.model.population_scale;
  EXPECT_NEAR(w.metric(Metric::spending, 0, static_cast<std::size_t>(Pillar::Protection)), 4000 * per_person,
              1e-6 * 4000 * per_person);
  // A full shelter turns the next person away, victim or not.
  w.regions[0].shelter_capacity = w.regions[0].non_victims_sheltered;
  EXPECT_FALSE(shelter_place_free(w.regions[0]));
}

TEST(Screening, ArrestedVictimsAreScreenedWithTheSensitivityTheLawGives) {
  // Victims of forced criminality arrested at 8 a year; under a
  // non-punishment law 30 % are recognised (identified, protected), the
  // rest punished as offenders with no evidence against anyone; without
  // the law 10 %, identified and then punished all the same.
  for (const bool law : {true, false}) {
    SCOPED_TRACE(law ? "non-punishment" : "no non-punishment");
    constexpr std::uint32_t kVictims = 10000;
    Scenario s = unlit_scenario(12000);
    set_param(s, Param::exploitation_criminality_arrest_per_year, 8.0);
    set_param(s, Param::identification_arrest_screening_sensitivity, 0.3);
    set_param(s, Param::identification_arrest_screening_sensitivity_without_law, 0.1);
    set_param(s, Param::policy_protection_non_punishment, law ? 1 : 0);
    World w = test::make_world(s);
    const std::int32_t t = exploit_in(w, 0, kVictims, Market::ForcedCriminality, 0);
    w.step = 1;
    run_identification(w);
    const double p = -std::expm1(-8.0 * w.step_years);
    const double share = law ? 0.3 : 0.1;
    const double arrests = record_total(w, Metric::other_cases, Record::Offence);
    const double identified = channel_total(w, Metric::identifications_by_channel, Channel::Police);
    EXPECT_NEAR(arrests, kVictims * p, test::binomial_tolerance(kVictims, p));
    EXPECT_NEAR(identified, kVictims * p * share, test::binomial_tolerance(kVictims, p * share));
    EXPECT_EQ(channel_total(w, Metric::victims_unrecognised, Channel::Police), arrests - identified);
    EXPECT_EQ(record_total(w, Metric::victims_in_other_cases, Record::Offence), arrests);
    if (law) {
      EXPECT_EQ(test::frame_total(w, Metric::victims_punished), arrests - identified);
      EXPECT_EQ(static_cast<double>(test::count_in(w, PersonState::InProtection)), identified);
      // Only the recognised are evidence against the trafficker.
      EXPECT_NEAR(
          w.traffickers.evidence[static_cast<std::size_t>(t)],
          identified * s.get(Param::prosecution_evidence_per_identification) +
              w.metric(Metric::victims_cooperating, 0) * s.get(Param::prosecution_evidence_per_cooperation),
          1e-3);
    } else {
      EXPECT_EQ(test::frame_total(w, Metric::victims_punished), arrests);
      EXPECT_EQ(test::frame_total(w, Metric::identified_victims_punished), identified);
      EXPECT_EQ(test::count_in(w, PersonState::InProtection), 0u);
    }
    EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
  }
}

TEST(Screening, AgenciesRecordSomeDomesticServitudeAndForcedCriminalityAsForcedLabour) {
  // NGO outreach finds every form alike here; 30 % of domestic servitude
  // and 50 % of forced criminality are recorded as forced labour.
  constexpr std::uint32_t kEach = 10000;
  Scenario s = unlit_scenario(30000);
  set_param(s, Param::policy_protection_outreach_workers_per_100k, 1e4);
  set_param(s, Param::identification_ngo_rate_per_year, 30.0);
  for (Param v : {Param::identification_visibility_domestic, Param::identification_visibility_criminality})
    set_param(s, v, 1.0);
  set_param(s, Param::identification_domestic_recorded_as_labour, 0.3);
  set_param(s, Param::identification_criminality_recorded_as_labour, 0.5);
  World w = test::make_world(s);
  exploit_in(w, 0, kEach, Market::DomesticServitude, 0);
  exploit_in(w, kEach, kEach, Market::ForcedCriminality, 0);
  w.step = 1;
  run_identification(w);
  std::size_t domestic = 0, criminality = 0;
  for (std::uint32_t i = 0; i < 2 * kEach; ++i)
    if (w.persons.state[i] == static_cast<std::uint8_t>(PersonState::InProtection))
      ++(i < kEach ? domestic : criminality);
  const auto as_form = [&](Form f) {
    return test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(f));
  };
  const double d = static_cast<double>(domestic), c = static_cast<double>(criminality);
  EXPECT_NEAR(as_form(Form::DomesticServitude), d * 0.7, test::binomial_tolerance(d, 0.7));
  EXPECT_NEAR(as_form(Form::ForcedCriminality), c * 0.5, test::binomial_tolerance(c, 0.5));
  EXPECT_EQ(as_form(Form::Labour),
            d + c - as_form(Form::DomesticServitude) - as_form(Form::ForcedCriminality));
  EXPECT_EQ(as_form(Form::Sexual), 0.0);
  // The true layer keeps the forms they were trafficked for.
  const auto truly = [&](Form f) {
    return test::frame_total(w, Metric::victims_identified_by_form, static_cast<std::size_t>(f));
  };
  EXPECT_EQ(truly(Form::DomesticServitude), d);
  EXPECT_EQ(truly(Form::ForcedCriminality), c);
  EXPECT_EQ(truly(Form::Labour), 0.0);
}

}  // namespace
}  // namespace tipsim
