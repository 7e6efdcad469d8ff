#include "views.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "chart_scale.hpp"
#include "layout.hpp"
#include "levers.hpp"
#include "panels.hpp"
#include "plot.hpp"
#include "scenario_text.hpp"
#include "timeline.hpp"

namespace tipsim::viz {

namespace {

constexpr ImGuiWindowFlags kBarFlags = ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoMove |
                                       ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoSavedSettings |
                                       ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoBringToFrontOnFocus;

ImVec4 to_vec(ImU32 c) { return ImGui::ColorConvertU32ToFloat4(c); }

void begin_bar(const Rect& area) {
  ImGui::SetNextWindowPos({area.x, area.y});
  ImGui::SetNextWindowSize({area.w, area.h});
  ImGui::Begin("controls", nullptr, kBarFlags);
}

// "tipsim" and what is shown, at the left of the control bar.
void bar_title(const Fonts& fonts, const std::string& what) {
  ImGui::PushFont(fonts.title);
  ImGui::TextUnformatted("tipsim");
  ImGui::PopFont();
  ImGui::SameLine();
  ImGui::AlignTextToFramePadding();
  ImGui::TextColored(to_vec(colour::kMutedText), "%s", what.c_str());
}

// The steps at which interventions start, for chart markers.
std::vector<std::int64_t> marker_steps(const std::vector<InterventionSpec>& a,
                                       const std::vector<InterventionSpec>& b) {
  std::vector<std::int64_t> out;
  for (const auto* list : {&a, &b})
    for (const InterventionSpec& iv : *list) out.push_back(iv.start_step);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// ---- live ----------------------------------------------------------------------

class LiveScreen : public LiveScreenOn {
 public:
  LiveScreen(std::unique_ptr<LiveSession> session, const LiveOptions& options, const Fonts& fonts)
      : LiveScreen(*session, options, fonts) {
    owned_ = std::move(session);
  }
  // A session owned elsewhere (an exercise's).
  LiveScreen(LiveSession& session, const LiveOptions& options, const Fonts& fonts)
      : session_(&session),
        scenario_(session_->scenario()),
        summary_(describe_scenario(scenario_)),
        fonts_(fonts),
        events_(400),
        start_at_(options.start_at),
        options_(options) {
    std::snprintf(save_path_, sizeof save_path_, "%s", options.save_path.c_str());
    session_->set_speed(speed_);
    if (session_->branch()) requested_ = session_->branch()->steps_done;
    for (const LeverSetting& l : options.levers) session_->set_lever(-1, l.param, l.value);
    if (start_at_ > 0) session_->advance(start_at_);
  }

  void prepare_capture_frame(int frame, int frames) override {
    // Spread the run (or the steps asked for) over the frames, so the
    // picture shows the run as far as it goes.
    const std::int32_t goal = start_at_ > 0 ? std::min(start_at_, scenario_.steps()) : scenario_.steps();
    const std::int32_t from = session_->branch() ? session_->branch()->steps_done : 0;
    const auto target =
        from + static_cast<std::int32_t>(std::ceil(static_cast<double>(goal - from) * (frame + 1) / frames));
    if (frame == 0 && start_at_ > 0) requested_ = start_at_;  // asked for by the constructor
    if (target > requested_) {
      session_->advance(target - requested_);
      requested_ = target;
    }
    session_->wait_for(
        [&](const LiveStatus& s) { return !s.building && (s.steps_done >= target || s.finished); },
        std::chrono::minutes(5));
  }

  // The session as this screen holds it (poll() hands each frame out once).
  const LiveView& view() const override { return view_; }
  const char* save_path() const { return save_path_; }

  void draw(float width, float height) override {
    poll();
    handle_keys();
    const ScreenLayout layout = layout_screen(ViewerMode::Live, width, height);
    draw_controls(layout.controls);

    begin_panel("Scenario", layout.scenario);
    std::vector<std::string> status = {"live session, seed " + std::to_string(view_.status.seed)};
    if (const auto& b = session_->branch())
      status = {"a branch of replicate " + std::to_string(b->replicate + 1) + " of " +
                    std::filesystem::path(b->path).filename().string(),
                "after " + step_name(b->steps_done - 1, scenario_.globals[Param::scenario_step_days])};
    draw_scenario(summary_, status, fonts_);
    end_panel();

    draw_levers(layout.levers);

    {
      const Rect area = begin_panel("Map: where people are trafficked", layout.map);
      MapData map;
      map.scenario = &scenario_;
      map.population = population_now();
      map.flows = view_.status.flows;
      flow_scale_ = std::max(flow_scale_, map.flows.largest_route_total());
      map.flow_scale = flow_scale_;
      map.caption = "People trafficked across borders now, by route";
      const int clicked = draw_map(area, map, selected_region_, fonts_);
      if (clicked >= -1) selected_region_ = clicked;
      end_panel();
    }
    {
      const Rect area = begin_panel("People trafficked, by state and form", layout.population);
      const auto population = population_now();
      for (const RegionPopulation& p : population)
        population_scale_ = std::max(population_scale_, p.trafficked());
      draw_population(area, scenario_, population, population_scale_ * 1.05, selected_region_, fonts_);
      end_panel();
    }
    {
      begin_panel("Over time", layout.charts);
      ImGui::AlignTextToFramePadding();
      ImGui::TextUnformatted("Showing");
      ImGui::SameLine();
      region_selector("##charts region", scenario_, selected_region_, fonts_.size * 11);
      ImGui::SameLine();
      ImGui::TextColored(to_vec(colour::kMutedText), "%s",
                         options_.original ? "faint: the recorded run" : "dashed lines: policy changes");
      const ImVec2 at = ImGui::GetCursorScreenPos();
      const ImVec2 size = ImGui::GetContentRegionAvail();
      draw_charts({at.x, at.y, size.x, size.y}, charts(), fonts_);
      end_panel();
    }
    {
      begin_panel("Notable events", layout.ticker);
      std::vector<const TickerEvent*> newest;
      for (std::size_t i = 0; i < events_.size(); ++i) newest.push_back(&events_.from_newest(i));
      draw_ticker(newest, "", fonts_);
      end_panel();
    }
  }

 private:
  void poll() {
    const std::uint64_t generation = view_.generation;
    session_->poll(view_);
    if (view_.generation != generation) {
      detector_ = std::make_unique<EventDetector>(scenario_);
      events_.clear();
      flow_scale_ = 0;
      population_scale_ = 0;
      charts_frames_ = -1;
    }
    std::vector<TickerEvent> found;
    while (detector_ && detector_->next_step() < view_.frames)
      detector_->observe(view_.history, detector_->next_step(), view_.status.recorded, found);
    for (TickerEvent& e : found) events_.push(std::move(e));
  }

  void handle_keys() {
    if (ImGui::GetIO().WantTextInput) return;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false))
      view_.status.playing ? session_->pause() : session_->play();
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) session_->step_once();
  }

  std::vector<RegionPopulation> population_now() const {
    std::vector<RegionPopulation> out;
    for (std::size_t r = 0; r < scenario_.regions.size(); ++r) {
      if (view_.frames > 0) {
        out.push_back(population_in(view_.history.layout(),
                                    view_.history.frame(static_cast<std::size_t>(view_.frames - 1)), r));
      } else {
        out.push_back(RegionPopulation{});
      }
    }
    return out;
  }

  const ChartsData& charts() {
    if (charts_frames_ != view_.frames || charts_region_ != selected_region_ ||
        charts_changes_ != view_.status.recorded.size()) {
      charts_frames_ = view_.frames;
      charts_region_ = selected_region_;
      charts_changes_ = view_.status.recorded.size();
      charts_ = ChartsData{};
      charts_.steps = scenario_.steps();
      charts_.step_days = scenario_.globals[Param::scenario_step_days];
      charts_.markers = marker_steps(scenario_.interventions, view_.status.recorded);
      if (view_.status.branch_step > 0) charts_.markers.push_back(view_.status.branch_step);
      for (std::size_t i = 0; i < kIndicatorCount; ++i)
        charts_.values[i] = indicator_series(view_.history, static_cast<std::size_t>(view_.frames),
                                             static_cast<Indicator>(i), selected_region_, charts_.step_days);
      if (options_.original) {
        charts_.other_label = "recorded run";
        for (std::size_t i = 0; i < kIndicatorCount; ++i)
          charts_.other[i] =
              options_.original->indicator(options_.original_point, options_.original_replicate,
                                           static_cast<Indicator>(i), selected_region_);
      }
    }
    return charts_;
  }

  void draw_controls(const Rect& area) {
    begin_bar(area);
    const LiveStatus& st = view_.status;
    bar_title(fonts_, (options_.exercise    ? "exercise \xC2\xB7 "
                       : session_->branch() ? "branch \xC2\xB7 "
                                            : "live \xC2\xB7 ") +
                          scenario_.name);
    ImGui::SameLine(0, fonts_.size * 1.5f);
    const float button = fonts_.size * 5;
    if (options_.on_leave) {
      if (ImGui::Button("Back to the recording")) options_.on_leave();
      ImGui::SameLine();
    }
    if (st.playing) {
      if (ImGui::Button("Pause", {button, 0})) session_->pause();
    } else {
      ImGui::BeginDisabled(st.finished || st.building);
      if (ImGui::Button("Play", {button, 0})) session_->play();
      ImGui::EndDisabled();
    }
    ImGui::SameLine();
    ImGui::BeginDisabled(st.playing || st.finished || st.building);
    if (ImGui::Button("Step", {button, 0})) session_->step_once();
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (!options_.exercise &&
        ImGui::Button(session_->branch() ? "Back to the branch point" : "Reset with a new seed"))
      session_->reset_with_new_seed();
    ImGui::SameLine(0, fonts_.size * 1.5f);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Speed");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fonts_.size * 9);
    ImGui::BeginDisabled(unlimited_);
    if (ImGui::SliderFloat("##speed", &speed_, 1, 200, "%.0f steps/s", ImGuiSliderFlags_Logarithmic))
      session_->set_speed(speed_);
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Checkbox("max", &unlimited_)) session_->set_speed(unlimited_ ? 0 : speed_);
    ImGui::SameLine(0, fonts_.size * 1.5f);
    const std::string progress = st.building ? std::string("building the world...")
                                             : progress_text(st.steps_done, st.steps_total,
                                                             scenario_.globals[Param::scenario_step_days]);
    const float fraction = st.steps_total > 0 ? static_cast<float>(st.steps_done) / st.steps_total : 0;
    ImGui::ProgressBar(fraction, {std::max(fonts_.size * 10, ImGui::GetContentRegionAvail().x), 0},
                       progress.c_str());

    // Second row: saving, messages, the keys.
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Save this session as a run file");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fonts_.size * 16);
    ImGui::InputText("##save path", save_path_, sizeof save_path_);
    ImGui::SameLine();
    ImGui::BeginDisabled(st.steps_done == 0);
    if (ImGui::Button("Save")) session_->save(save_path_);
    ImGui::EndDisabled();
    ImGui::SameLine(0, fonts_.size);
    if (!st.message.empty()) {
      ImGui::TextColored(to_vec(st.message_is_error ? colour::kError : colour::kOk), "%s",
                         st.message.c_str());
    } else {
      char speed_text[96];
      std::snprintf(speed_text, sizeof speed_text,
                    "%.0f steps/s now \xC2\xB7 Space: play or pause \xC2\xB7 Right arrow: one step",
                    st.steps_per_second);
      ImGui::TextColored(to_vec(colour::kMutedText), "%s", speed_text);
    }
    ImGui::End();
  }

  // The value a lever's slider shows for the chosen region: a change
  // waiting for the next step, else the value in force (the mean over
  // regions for "all regions"; `mixed` when they differ).
  double lever_value(Param p, bool& mixed) const {
    mixed = false;
    const LiveStatus& st = view_.status;
    for (auto it = st.recorded.rbegin(); it != st.recorded.rend(); ++it) {
      if (it->start_step < st.steps_done) break;
      if (it->changes[0].param == p && (it->region == lever_region_ || it->region == -1))
        return it->changes[0].value;
    }
    auto value_in = [&](std::size_t r) {
      return r < st.levers.size() ? st.levers[r][p] : scenario_.regions[r].values[p];
    };
    if (lever_region_ >= 0) return value_in(static_cast<std::size_t>(lever_region_));
    double sum = 0, lo = 1e300, hi = -1e300;
    for (std::size_t r = 0; r < scenario_.regions.size(); ++r) {
      const double v = value_in(r);
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    mixed = hi > lo;
    return sum / static_cast<double>(std::max<std::size_t>(1, scenario_.regions.size()));
  }

  void draw_levers(const Rect& area) {
    begin_panel("Policy levers", area);
    const LiveStatus& st = view_.status;
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Change for");
    ImGui::SameLine();
    region_selector("##lever region", scenario_, lever_region_, ImGui::GetContentRegionAvail().x);
    ImGui::PushFont(fonts_.small);
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(
        to_vec(colour::kMutedText),
        "A change starts at the next step and is recorded as an intervention of this session.");
    ImGui::PopTextWrapPos();
    ImGui::PopFont();
    ImGui::BeginDisabled(st.building);
    // Labels in one column as wide as the widest, within reason.
    float widest = 0;
    for (const Lever& l : policy_levers()) widest = std::max(widest, ImGui::CalcTextSize(l.label.c_str()).x);
    const float label_width = std::min(widest + fonts_.size * 0.8f, ImGui::GetContentRegionAvail().x * 0.62f);
    ImGui::BeginChild("levers", {0, 0}, false);
    for (Pillar pillar : {Pillar::Prosecution, Pillar::Protection, Pillar::Prevention, Pillar::Partnership}) {
      ImGui::Spacing();
      ImGui::PushFont(fonts_.bold);
      ImGui::TextUnformatted(std::string(pillar_title(pillar)).c_str());
      ImGui::PopFont();
      for (const Lever* lever : levers_of(pillar)) {
        const ParamSpec& ps = spec(lever->param);
        ImGui::PushID(static_cast<int>(lever->param));
        bool mixed = false;
        const double value = lever_value(lever->param, mixed);
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted(lever->label.c_str());
        if (ImGui::IsItemHovered())
          ImGui::SetTooltip("%s\nUnit: %s\nKey: %s", std::string(ps.doc).c_str(),
                            std::string(ps.unit).c_str(), std::string(ps.key).c_str());
        ImGui::SameLine(label_width);
        ImGui::SetNextItemWidth(-1);
        if (lever->is_switch) {
          bool on = value >= 0.5;
          if (ImGui::Checkbox(mixed ? "mixed" : (on ? "on" : "off"), &on))
            session_->set_lever(lever_region_, lever->param, on ? 1 : 0);
        } else {
          const SliderRange range = slider_range(ps, largest_value(scenario_, lever->param));
          auto edit = editing_.find(lever->param);
          float shown = edit != editing_.end() ? edit->second : static_cast<float>(value);
          const char* format = mixed ? "mean %.3g" : "%.3g";
          ImGui::SliderFloat("##v", &shown, static_cast<float>(range.lo), static_cast<float>(range.hi),
                             format);
          // The model sees the value when the slider is let go, not every
          // position it passes through.
          if (ImGui::IsItemActive()) editing_[lever->param] = shown;
          if (ImGui::IsItemDeactivatedAfterEdit()) session_->set_lever(lever_region_, lever->param, shown);
          if (!ImGui::IsItemActive()) editing_.erase(lever->param);
        }
        ImGui::PopID();
      }
    }
    if (!st.recorded.empty()) {
      ImGui::Spacing();
      ImGui::PushFont(fonts_.bold);
      ImGui::TextUnformatted("Your changes");
      ImGui::PopFont();
      ImGui::PushFont(fonts_.small);
      ImGui::PushTextWrapPos(0);
      for (const InterventionSpec& iv : st.recorded)
        ImGui::BulletText(
            "%s: %s %s",
            step_name(static_cast<std::int32_t>(iv.start_step), scenario_.globals[Param::scenario_step_days])
                .c_str(),
            changes_text(iv).c_str(), where_text(scenario_, iv.region).c_str());
      ImGui::PopTextWrapPos();
      ImGui::PopFont();
    }
    ImGui::EndChild();
    ImGui::EndDisabled();
    end_panel();
  }

  std::unique_ptr<LiveSession> owned_;
  LiveSession* session_;
  const Scenario& scenario_;
  const ScenarioSummary summary_;
  const Fonts& fonts_;
  LiveView view_;
  std::unique_ptr<EventDetector> detector_;
  RingBuffer<TickerEvent> events_;
  std::int32_t start_at_;
  LiveOptions options_;
  std::int32_t requested_ = 0;
  int selected_region_ = -1;
  int lever_region_ = -1;
  float speed_ = 10;
  bool unlimited_ = false;
  char save_path_[512] = {};
  double flow_scale_ = 0;
  double population_scale_ = 0;
  std::map<Param, float> editing_;
  ChartsData charts_;
  std::int32_t charts_frames_ = -1;
  int charts_region_ = -2;
  std::size_t charts_changes_ = 0;
};

// ---- replay ---------------------------------------------------------------------

// What one run shows for the current selection, recomputed only when the
// selection or the step changes.
struct RunPanels {
  ReplayRun* run = nullptr;
  std::string label;  // "A" or "B" in compare mode
  ChartsData charts;
  std::vector<TickerEvent> events;
  double population_scale = 1;
  double flow_scale = 1;
  std::int32_t frame_step = -1;
  std::vector<RegionPopulation> population;
  RouteFlows flows;
};

class ReplayScreen : public Screen {
 public:
  ReplayScreen(std::vector<std::unique_ptr<ReplayRun>> runs, const ReplayOptions& options, const Fonts& fonts)
      : runs_(std::move(runs)), fonts_(fonts) {
    for (std::size_t i = 0; i < runs_.size(); ++i) {
      RunPanels p;
      p.run = runs_[i].get();
      p.label = runs_.size() > 1 ? std::string(1, static_cast<char>('A' + i)) : std::string();
      panels_.push_back(std::move(p));
    }
    for (const auto& r : runs_) {
      steps_ = std::max(steps_, r->steps());
      points_ = std::max(points_, r->points());
      replicates_ = std::max(replicates_, r->replicates());
    }
    replicate_ = replicates_ > 1 ? -1 : 0;
    cursor_ = options.start_at >= 0 ? std::min(options.start_at, steps_ - 1) : steps_ - 1;
    refresh_selection();
    if (options.branch) start_branch(options.levers);
  }

  void prepare_capture_frame(int frame, int frames) override {
    if (branch_) branch_->prepare_capture_frame(frame, frames);
  }

  void draw(float width, float height) override {
    if (leave_branch_) {
      branch_.reset();
      leave_branch_ = false;
    }
    if (branch_) {
      branch_->draw(width, height);
      return;
    }
    const double dt = ImGui::GetIO().DeltaTime;
    if (playing_) {
      cursor_ = advance_playhead(cursor_, steps_, speed_, dt, carry_);
      if (cursor_ >= steps_ - 1) playing_ = false;
    }
    handle_keys();
    const bool compare = runs_.size() > 1;
    const ScreenLayout layout =
        layout_screen(compare ? ViewerMode::Compare : ViewerMode::Replay, width, height);
    draw_controls(layout.controls);
    for (RunPanels& p : panels_) refresh_frame(p);

    if (!compare) {
      RunPanels& p = panels_[0];
      begin_panel("Scenario", layout.scenario);
      std::vector<std::string> status = {"run file " + p.run->path()};
      status.push_back(std::to_string(p.run->replicates()) +
                       (p.run->replicates() == 1 ? " replicate" : " replicates") +
                       (p.run->points() > 1 ? ", " + std::to_string(p.run->points()) + " sweep points" : ""));
      if (!p.run->created().empty()) status.push_back("written " + p.run->created());
      draw_scenario(describe_scenario(p.run->scenario(point_for(*p.run))), status, fonts_);
      end_panel();

      begin_panel("Notable events", layout.ticker);
      std::vector<const TickerEvent*> newest;
      for (auto it = p.events.rbegin(); it != p.events.rend(); ++it)
        if (it->step <= cursor_) newest.push_back(&*it);
      draw_ticker(newest,
                  replicate_ < 0 ? "Events of replicate 1, up to the step shown" : "Up to the step shown",
                  fonts_);
      end_panel();
      draw_run(p, layout.map, layout.population, layout.charts);
    } else {
      draw_run(panels_[0], layout.map, layout.population, layout.charts);
      draw_run(panels_[1], layout.map_b, layout.population_b, layout.charts_b);
    }
  }

 private:
  std::size_t point_for(const ReplayRun& run) const { return std::min(point_, run.points() - 1); }

  // A live session that continues the replicate shown (the first when all
  // are) after the step shown, the recorded run drawn beside it.
  void start_branch(const std::vector<LeverSetting>& levers) {
    const ReplayRun& run = *runs_[0];
    BranchPoint at;
    at.path = run.path();
    at.point = point_for(run);
    at.replicate = static_cast<std::size_t>(std::max(replicate_for(run), 0));
    at.steps_done = std::min(cursor_ + 1, run.steps() - 1);
    LiveOptions live;
    live.save_path = "runs/" + std::filesystem::path(run.path()).stem().string() + "-branch-" +
                     std::to_string(at.steps_done) + ".h5";
    live.original = &run;
    live.original_point = at.point;
    live.original_replicate = at.replicate;
    live.on_leave = [this] { leave_branch_ = true; };
    live.levers = levers;
    const std::string command_line =
        "tipsim-viewer " + run.path() + " --step " + std::to_string(cursor_) + " --branch";
    branch_ = make_live_screen(std::make_unique<LiveSession>(run.scenario(at.point), command_line, at), live,
                               fonts_);
    playing_ = false;
  }
  int replicate_for(const ReplayRun& run) const {
    if (replicate_ < 0) return run.replicates() > 1 ? -1 : 0;
    return std::min(replicate_, static_cast<int>(run.replicates()) - 1);
  }

  void handle_keys() {
    if (ImGui::GetIO().WantTextInput) return;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false)) toggle_play();
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow)))
      cursor_ = std::min(cursor_ + 1, steps_ - 1);
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) cursor_ = std::max(cursor_ - 1, 0);
  }

  void toggle_play() {
    if (!playing_ && cursor_ >= steps_ - 1) cursor_ = 0;
    playing_ = !playing_;
    carry_ = 0;
  }

  // Charts and events for the selected point, replicate and region.
  void refresh_selection() {
    for (RunPanels& p : panels_) {
      const ReplayRun& run = *p.run;
      const std::size_t point = point_for(run);
      const int replicate = replicate_for(run);
      ChartsData c;
      c.steps = run.steps();
      c.step_days = run.step_days();
      c.markers = marker_steps(run.scenario(point).interventions, {});
      for (std::size_t i = 0; i < kIndicatorCount; ++i) {
        const auto which = static_cast<Indicator>(i);
        if (replicate < 0) {
          Band band = run.indicator_band(point, which, region_);
          c.values[i] = std::move(band.median);
          c.low[i] = std::move(band.low);
          c.high[i] = std::move(band.high);
        } else {
          c.values[i] = run.indicator(point, static_cast<std::size_t>(replicate), which, region_);
        }
      }
      p.charts = std::move(c);
      p.events = detect_events(run.scenario(point),
                               run.series(point, static_cast<std::size_t>(std::max(replicate, 0))),
                               static_cast<std::size_t>(run.steps()));
      // Fixed scales over the whole run, so bars and arrows can be compared
      // while scrubbing.
      p.population_scale = 1;
      p.flow_scale = 1e-9;
      for (std::size_t r = 0; r < run.replicates(); ++r) {
        if (replicate >= 0 && static_cast<int>(r) != replicate) continue;
        const Series& s = run.series(point, r);
        for (std::int32_t t = 0; t < run.steps(); ++t) {
          for (std::size_t g = 0; g < run.regions(); ++g)
            p.population_scale =
                std::max(p.population_scale,
                         population_in(s.layout(), s.frame(static_cast<std::size_t>(t)), g).trafficked());
          p.flow_scale =
              std::max(p.flow_scale, run.route_flows(point, static_cast<int>(r), t).largest_route_total());
        }
      }
      p.frame_step = -1;
    }
    // Two runs compared on one scale per chart, or the eye compares axes.
    if (panels_.size() > 1) {
      std::array<ValueRange, 4> shared = chart_ranges(panels_[0].charts);
      for (std::size_t i = 1; i < panels_.size(); ++i) {
        const auto other = chart_ranges(panels_[i].charts);
        for (std::size_t c = 0; c < 4; ++c) shared[c] = merge(shared[c], other[c]);
      }
      for (RunPanels& p : panels_)
        for (std::size_t c = 0; c < 4; ++c) p.charts.y_ranges[c] = shared[c];
    }
  }

  // The map and bars at the cursor.
  void refresh_frame(RunPanels& p) {
    const ReplayRun& run = *p.run;
    const std::int32_t step = std::min(cursor_, run.steps() - 1);
    if (p.frame_step == step) return;
    p.frame_step = step;
    const std::size_t point = point_for(run);
    const int replicate = replicate_for(run);
    const std::vector<double> frame = run.frame(point, replicate, step);
    const FrameLayout& layout = run.series(point, 0).layout();
    p.population.clear();
    for (std::size_t r = 0; r < run.regions(); ++r) p.population.push_back(population_in(layout, frame, r));
    p.flows = run.route_flows(point, replicate, step);
  }

  void draw_run(RunPanels& p, const Rect& map_area, const Rect& population_area, const Rect& charts_area) {
    const ReplayRun& run = *p.run;
    const Scenario& scenario = run.scenario(point_for(run));
    const std::string prefix = p.label.empty() ? ""
                                               : p.label + ": " + scenario.name + " (" +
                                                     std::filesystem::path(run.path()).filename().string() +
                                                     ") \xC2\xB7 ";
    const std::string which = replicate_for(run) < 0
                                  ? "median of " + std::to_string(run.replicates()) + " replicates"
                                  : "replicate " + std::to_string(replicate_for(run) + 1);
    {
      const std::string title =
          prefix + "Map at " + step_name(p.frame_step, run.step_days()) + "###map" + p.label;
      const Rect area = begin_panel(title.c_str(), map_area);
      MapData map;
      map.scenario = &scenario;
      map.population = p.population;
      map.flows = p.flows;
      map.flow_scale = p.flow_scale;
      map.caption = "People exploited across borders, by route (estimated), " + which;
      const int clicked = draw_map(area, map, region_, fonts_);
      if (clicked >= -1 && clicked != region_) {
        region_ = clicked;
        refresh_selection();
      }
      end_panel();
    }
    {
      const std::string title = p.label.empty()
                                    ? std::string("People trafficked, by state and form###population")
                                    : p.label + ": people trafficked###population" + p.label;
      const Rect area = begin_panel(title.c_str(), population_area);
      draw_population(area, scenario, p.population, p.population_scale * 1.05, region_, fonts_);
      end_panel();
    }
    {
      const std::string title = prefix + "Over time###charts" + p.label;
      begin_panel(title.c_str(), charts_area);
      ImGui::AlignTextToFramePadding();
      ImGui::TextUnformatted("Showing");
      ImGui::SameLine();
      const std::string id = "##charts region" + p.label;
      if (region_selector(id.c_str(), scenario, region_, fonts_.size * 11)) refresh_selection();
      ImGui::SameLine();
      ImGui::TextColored(to_vec(colour::kMutedText), "%s",
                         replicate_for(run) < 0 ? "lines: median, shading: 10-90 %" : which.c_str());
      const ImVec2 at = ImGui::GetCursorScreenPos();
      const ImVec2 size = ImGui::GetContentRegionAvail();
      p.charts.cursor = std::min(cursor_, run.steps() - 1);
      draw_charts({at.x, at.y, size.x, size.y}, p.charts, fonts_);
      end_panel();
    }
  }

  void draw_controls(const Rect& area) {
    begin_bar(area);
    // The files are named in the panels; the bar keeps its room for controls.
    bar_title(fonts_, runs_.size() > 1 ? "compare" : "replay");
    ImGui::SameLine(0, fonts_.size * 1.5f);
    const float button = fonts_.size * 5;
    if (ImGui::Button(playing_ ? "Pause" : "Play", {button, 0})) toggle_play();
    ImGui::SameLine();
    if (ImGui::ArrowButton("##back", ImGuiDir_Left)) cursor_ = std::max(cursor_ - 1, 0);
    ImGui::SameLine();
    if (ImGui::ArrowButton("##forward", ImGuiDir_Right)) cursor_ = std::min(cursor_ + 1, steps_ - 1);
    ImGui::SameLine(0, fonts_.size);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Speed");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fonts_.size * 8);
    ImGui::SliderFloat("##speed", &speed_, 1, 200, "%.0f steps/s", ImGuiSliderFlags_Logarithmic);
    ImGui::SameLine(0, fonts_.size * 1.5f);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Replicates");
    ImGui::SameLine();
    const std::string current =
        replicate_ < 0 ? "all (median, 10-90 %)" : "replicate " + std::to_string(replicate_ + 1);
    ImGui::SetNextItemWidth(fonts_.size * 14);
    if (ImGui::BeginCombo("##replicate", current.c_str())) {
      if (replicates_ > 1 && ImGui::Selectable("all (median, 10-90 %)", replicate_ < 0)) {
        replicate_ = -1;
        refresh_selection();
      }
      for (std::size_t r = 0; r < replicates_; ++r) {
        const std::string label = "replicate " + std::to_string(r + 1);
        if (ImGui::Selectable(label.c_str(), replicate_ == static_cast<int>(r))) {
          replicate_ = static_cast<int>(r);
          refresh_selection();
        }
      }
      ImGui::EndCombo();
    }
    ImGui::SameLine(0, fonts_.size);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Point");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(fonts_.size * 6);
    ImGui::BeginDisabled(points_ <= 1);
    const std::string point_text = std::to_string(point_ + 1) + " of " + std::to_string(points_);
    if (ImGui::BeginCombo("##point", point_text.c_str())) {
      for (std::size_t p = 0; p < points_; ++p) {
        const std::string label = "point " + std::to_string(p + 1);
        if (ImGui::Selectable(label.c_str(), point_ == p)) {
          point_ = p;
          refresh_selection();
        }
      }
      ImGui::EndCombo();
    }
    ImGui::EndDisabled();
    ImGui::SameLine(0, fonts_.size);
    ImGui::AlignTextToFramePadding();
    const double days = runs_[0]->step_days();
    ImGui::TextUnformatted(progress_text(cursor_ + 1, steps_, days).c_str());
    if (runs_.size() == 1) {
      ImGui::SameLine(0, fonts_.size);
      ImGui::BeginDisabled(cursor_ + 1 >= steps_);
      if (ImGui::Button("Branch here")) start_branch({});
      ImGui::EndDisabled();
      if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip(
            "Continue this run live from the step shown, with the same levers,\n"
            "and see what moving a lever would have changed");
    }

    draw_timeline();
    ImGui::End();
  }

  // The scrubber: a track over the whole run, the part up to the step
  // shown filled, ticks at each year and at interventions, a handle to drag.
  void draw_timeline() {
    const float height = fonts_.size * 1.3f;
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x;
    ImGui::InvisibleButton("timeline", {width, height});
    const float pad = height * 0.5f;
    const Timeline timeline(steps_, at.x + pad, at.x + width - pad);
    if (ImGui::IsItemActive()) {
      cursor_ = timeline.step_at(ImGui::GetIO().MousePos.x);
      playing_ = false;
    }
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float mid = at.y + height / 2;
    const float track = height * 0.28f;
    draw->AddRectFilled({at.x + pad, mid - track / 2}, {at.x + width - pad, mid + track / 2}, colour::kGrid,
                        track / 2);
    const float x = timeline.x_of(cursor_);
    draw->AddRectFilled({at.x + pad, mid - track / 2}, {x, mid + track / 2},
                        colour::with_alpha(colour::kSelected, 150), track / 2);
    const double days = runs_[0]->step_days();
    const auto steps_per_year = static_cast<std::int32_t>(std::max(1.0, std::round(365.0 / days)));
    for (std::int32_t s = steps_per_year - 1; s < steps_; s += steps_per_year) {
      const float tx = timeline.x_of(s);
      draw->AddLine({tx, mid - track}, {tx, mid + track}, colour::kAxis, 1);
    }
    for (const auto& run : runs_)
      for (const InterventionSpec& iv : run->scenario(point_for(*run)).interventions) {
        const float ix = timeline.x_of(static_cast<std::int32_t>(iv.start_step));
        draw->AddTriangleFilled({ix, mid - track / 2 - 2}, {ix - height * 0.25f, mid - height / 2},
                                {ix + height * 0.25f, mid - height / 2}, colour::kMarker);
      }
    draw->AddCircleFilled({x, mid}, height * 0.38f, colour::kSelected);
    draw->AddCircle({x, mid}, height * 0.38f, colour::kPanel, 0, 2);
  }

  std::vector<std::unique_ptr<ReplayRun>> runs_;
  std::vector<RunPanels> panels_;
  const Fonts& fonts_;
  std::int32_t steps_ = 1;
  std::size_t points_ = 1;
  std::size_t replicates_ = 1;
  std::size_t point_ = 0;
  int replicate_ = 0;  // -1: all replicates as a band
  int region_ = -1;
  std::int32_t cursor_ = 0;
  bool playing_ = false;
  float speed_ = 20;
  double carry_ = 0;
  std::unique_ptr<Screen> branch_;  // a live branch shown instead of the replay
  bool leave_branch_ = false;
};

}  // namespace

std::unique_ptr<Screen> make_live_screen(std::unique_ptr<LiveSession> session, const LiveOptions& options,
                                         const Fonts& fonts) {
  return std::make_unique<LiveScreen>(std::move(session), options, fonts);
}

std::unique_ptr<LiveScreenOn> make_live_screen_on(LiveSession& session, const LiveOptions& options,
                                                  const Fonts& fonts) {
  return std::make_unique<LiveScreen>(session, options, fonts);
}

std::unique_ptr<Screen> make_replay_screen(std::vector<std::unique_ptr<ReplayRun>> runs,
                                           const ReplayOptions& options, const Fonts& fonts) {
  return std::make_unique<ReplayScreen>(std::move(runs), options, fonts);
}

}  // namespace tipsim::viz
