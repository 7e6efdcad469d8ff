#include "ticker.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "chart_scale.hpp"
#include "indicators.hpp"
#include "levers.hpp"
#include "timeline.hpp"

namespace tipsim::viz {

namespace {

double mean_of(const RingBuffer<double>& b) {
  if (b.empty()) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < b.size(); ++i) sum += b[i];
  return sum / static_cast<double>(b.size());
}

std::string plural(double n, const std::string& one, const std::string& many) {
  return count_text(n) + " " + (std::llround(n) == 1 ? one : many);
}

std::string short_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

std::string where_text(const Scenario& scenario, std::int32_t region) {
  if (region < 0 || static_cast<std::size_t>(region) >= scenario.regions.size()) return "in all regions";
  return "in " + scenario.regions[static_cast<std::size_t>(region)].name;
}

std::string changes_text(const InterventionSpec& intervention) {
  std::string out;
  for (const LeverChange& c : intervention.changes) {
    if (!out.empty()) out += ", ";
    const ParamSpec& s = spec(c.param);
    std::string label = lever_label(s.key);
    label[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(label[0])));
    if (c.op == LeverOp::Scale) {
      out += label + " x" + short_number(c.value);
    } else if (s.kind == ParamKind::Boolean) {
      out += label + (c.value != 0 ? " on" : " off");
    } else {
      out += label + " = " + short_number(c.value);
    }
  }
  return out;
}

EventDetector::EventDetector(const Scenario& scenario)
    : scenario_(&scenario), regions_(scenario.regions.size()) {}

bool EventDetector::is_spike(double count, double recent_mean, double minimum) {
  if (count < minimum) return false;
  // Roughly two Poisson standard deviations above the recent mean, and at
  // least double it.
  return count >= std::max(2 * recent_mean, recent_mean + 2 * std::sqrt(recent_mean));
}

void EventDetector::announce_interventions(std::span<const InterventionSpec> interventions, std::int32_t step,
                                           std::vector<TickerEvent>& out) const {
  const double days = scenario_->globals[Param::scenario_step_days];
  for (const InterventionSpec& iv : interventions) {
    if (iv.start_step == step) {
      out.push_back(
          {step, iv.region, TickerKind::InterventionStarts, 0,
           step_name(step, days) + ": " + changes_text(iv) + " " + where_text(*scenario_, iv.region)});
    }
    // An intervention that lasts to the end of the run has no end to announce.
    if (iv.end_step == step && iv.end_step < scenario_->steps()) {
      out.push_back({step, iv.region, TickerKind::InterventionEnds, 0,
                     step_name(step, days) + ": " + iv.name + " ends " + where_text(*scenario_, iv.region)});
    }
  }
}

void EventDetector::observe(const Series& series, std::int32_t step, std::span<const InterventionSpec> extra,
                            std::vector<TickerEvent>& out) {
  next_step_ = step + 1;
  const double days = scenario_->globals[Param::scenario_step_days];
  const std::string when = step_name(step, days) + ": ";
  announce_interventions(scenario_->interventions, step, out);
  announce_interventions(extra, step, out);

  const FrameLayout& layout = series.layout();
  const auto frame = series.frame(static_cast<std::size_t>(step));
  for (std::size_t r = 0; r < regions_.size() && r < layout.regions(); ++r) {
    RegionMemory& memory = regions_[r];
    const int region = static_cast<int>(r);
    const std::string& name = scenario_->regions[r].name;

    const double convictions = frame_value(layout, frame, Metric::convictions, region);
    if (convictions > 0 && !memory.convicted_before) {
      out.push_back({step, region, TickerKind::Convictions, convictions,
                     when +
                         (convictions == 1 ? std::string("first conviction")
                                           : "first convictions (" + count_text(convictions) + ")") +
                         " in " + name});
    } else if (is_spike(convictions, mean_of(memory.convictions), 1)) {
      out.push_back({step, region, TickerKind::Convictions, convictions,
                     when + plural(convictions, "conviction", "convictions") + " in " + name});
    }
    memory.convicted_before = memory.convicted_before || convictions > 0;
    memory.convictions.push(convictions);

    const double identified = frame_value(layout, frame, Metric::identified_by_form, region);
    if (is_spike(identified, mean_of(memory.identifications), 3)) {
      out.push_back({step, region, TickerKind::Identifications, identified,
                     when + plural(identified, "victim", "victims") + " identified in " + name});
    }
    memory.identifications.push(identified);

    const double replaced = frame_value(layout, frame, Metric::traffickers_replacing, region);
    if (is_spike(replaced, mean_of(memory.replacements), 2)) {
      out.push_back({step, region, TickerKind::NetworkReplacements, replaced,
                     when + "networks replaced " +
                         plural(replaced, "jailed trafficker", "jailed traffickers") + " in " + name});
    }
    memory.replacements.push(replaced);

    const double places = frame_value(layout, frame, Metric::shelter_capacity, region);
    const double sheltered = frame_value(layout, frame, Metric::persons_by_state, region,
                                         static_cast<int>(PersonState::InProtection));
    const double turned_away = frame_value(layout, frame, Metric::protection_turned_away, region);
    // Full when every place is taken or someone is turned away. A region
    // with a handful of places fills and empties all the time, so "full"
    // is news at most every half year, and "room again" only after four
    // steps below 90 %.
    const bool full_now = places > 0 && (sheltered >= places || turned_away > 0);
    if (full_now) {
      memory.steps_with_room = 0;
      if (!memory.shelters_full) {
        memory.shelters_full = true;
        if (step - memory.full_announced_at >= 26) {
          memory.full_announced_at = step;
          memory.room_pending = true;
          std::string text =
              when + "shelters full in " + name + " (" + plural(places, "place", "places") + ")";
          if (turned_away > 0) text += ", " + plural(turned_away, "victim", "victims") + " turned away";
          out.push_back({step, region, TickerKind::SheltersFull, sheltered, text});
        }
      }
    } else if (memory.shelters_full) {
      memory.steps_with_room = sheltered < 0.9 * places ? memory.steps_with_room + 1 : 0;
      if (memory.steps_with_room >= 4) {
        memory.shelters_full = false;
        memory.steps_with_room = 0;
        if (memory.room_pending) {
          memory.room_pending = false;
          out.push_back({step, region, TickerKind::SheltersRoom, sheltered,
                         when + "shelters in " + name + " have room again"});
        }
      }
    }
  }
}

std::vector<TickerEvent> detect_events(const Scenario& scenario, const Series& series, std::size_t steps) {
  EventDetector detector(scenario);
  std::vector<TickerEvent> out;
  for (std::size_t s = 0; s < steps && s < series.steps(); ++s)
    detector.observe(series, static_cast<std::int32_t>(s), {}, out);
  return out;
}

}  // namespace tipsim::viz
