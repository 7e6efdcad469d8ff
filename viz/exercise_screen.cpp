// The exercise screen: the live run of an exercise with its briefing, the
// news of its injects, its questions (the run waits for the room's answer)
// and, when the run ends, the debrief: the decisions taken against the
// options not taken, the predictions scored, the session saved.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "chart_scale.hpp"
#include "panels.hpp"
#include "scenario_text.hpp"
#include "timeline.hpp"
#include "views.hpp"

namespace tipsim::viz {

namespace {

constexpr ImGuiWindowFlags kOverlayFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                           ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse |
                                           ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoScrollbar;

ImVec4 colour_of(ImU32 c) { return ImGui::ColorConvertU32ToFloat4(c); }

// A figure for people: whole numbers grouped from 100 on, three significant
// digits below, "n/a" where undefined.
std::string figure_text(double v) {
  if (!std::isfinite(v)) return "n/a";
  if (std::abs(v) >= 100) return count_text(std::round(v));
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

// "after week 130": the moment a question is asked (steps done).
std::string moment(std::int32_t steps_done, double step_days) {
  return "after " + step_name(std::max(steps_done - 1, 0), step_days);
}

std::string trend_answer_text(Trend t, double same_within) {
  if (t != Trend::Same) return std::string(trend_name(t));
  return "stay within " + figure_text(same_within * 100) + " %";
}

// What the run showed for a prediction, in words.
std::string outcome_text(const PredictionResult& r, const ExercisePrediction& p) {
  if (!r.scored) return "the run ended before the year it asks about";
  const double change = r.outcome.before != 0 ? (r.outcome.after / r.outcome.before - 1) * 100 : 0;
  std::string out = std::string(r.outcome.trend == Trend::Rise   ? "it rose"
                                : r.outcome.trend == Trend::Fall ? "it fell"
                                                                 : "it stayed about the same") +
                    " (" + figure_text(r.outcome.before) + " before, " + figure_text(r.outcome.after) +
                    " after";
  if (r.outcome.before != 0) out += ", " + std::string(change >= 0 ? "+" : "") + figure_text(change) + " %";
  out += "; \"about the same\" is within " + figure_text(p.same_within * 100) + " %)";
  return out;
}

// One effect of a decision against an untaken option, in words.
std::string effect_text(const EffectSpec& spec, const EffectEstimate& e, double session, std::size_t runs) {
  if (!std::isfinite(e.mean)) return std::string(spec.label) + ": n/a (nothing averted)";
  std::string out = std::string(spec.label) + ": " + figure_text(e.mean) + " " + std::string(spec.units);
  if (runs > 1) out += " (95 % interval " + figure_text(e.ci_low) + " to " + figure_text(e.ci_high) + ")";
  out += "; this run " + figure_text(session);
  return out;
}

class ExerciseScreen : public Screen {
 public:
  ExerciseScreen(std::unique_ptr<ExerciseSession> session, const ExerciseOptions& options, const Fonts& fonts)
      : session_(std::move(session)), options_(options), fonts_(fonts) {
    LiveOptions live;
    live.save_path = options.save_path;
    live.exercise = true;
    live_ = make_live_screen_on(session_->live(), live, fonts);
    step_days_ = session_->exercise().scenario.globals[Param::scenario_step_days];
  }

  // A window closed at the end of the run still leaves the session saved.
  ~ExerciseScreen() override {
    if (debrief_shown_) save_session(session_->debrief().get());
    if (!printed_) print_debrief();
  }

  void prepare_capture_frame(int frame, int frames) override {
    (void)frame;
    (void)frames;
    headless_ = true;
    briefed_ = true;
    LiveSession& live = session_->live();
    if (debrief_shown_) {
      session_->wait_for_debrief();
      return;
    }
    LiveStatus st;
    live.wait_for(
        [&](const LiveStatus& s) {
          st = s;
          return !s.building;
        },
        std::chrono::minutes(5));
    const ExercisePrompt prompt = session_->prompt(st);
    if (prompt.kind != ExercisePrompt::None) {
      if (options_.stop_at >= 0 && st.steps_done >= options_.stop_at) return;  // left on screen
      answer_headless(prompt);
    }
    if (st.finished) return;
    // On to the next question, the step asked for, or the end.
    std::int32_t target = session_->next_stop() >= 0 ? session_->next_stop() : st.steps_total;
    if (options_.stop_at >= 0) target = std::min(target, options_.stop_at);
    if (target > st.steps_done) live.advance(target - st.steps_done);
    live.wait_for([&](const LiveStatus& s) { return s.steps_done >= target || s.finished; },
                  std::chrono::minutes(5));
  }

  void draw(float width, float height) override {
    if (debrief_shown_) {
      draw_debrief(width, height);
      return;
    }
    live_->draw(width, height);
    const LiveView& view = live_->view();
    if (!briefed_) {
      draw_briefing(width, height);
    } else {
      draw_news(width, view);
      draw_prompt(width, height, view);
    }
    // The end of the run: compute the debrief (the session is saved with it).
    if (view.status.finished && view.frames >= session_->exercise().scenario.steps() &&
        !view.status.building) {
      session_->start_debrief(view);
      debrief_shown_ = true;
      if (headless_) session_->wait_for_debrief();
    }
  }

 private:
  void answer_headless(const ExercisePrompt& prompt) {
    const std::string answer = next_answer_ < options_.answers.size() ? options_.answers[next_answer_++] : "";
    if (prompt.kind == ExercisePrompt::Decision) {
      const auto& options = session_->exercise().decisions[prompt.index].options;
      std::size_t chosen = 0;
      if (!answer.empty()) chosen = static_cast<std::size_t>(std::max(1, std::atoi(answer.c_str()))) - 1;
      session_->choose(prompt.index, std::min(chosen, options.size() - 1));
    } else {
      const Trend t = answer == "rise" ? Trend::Rise : answer == "fall" ? Trend::Fall : Trend::Same;
      session_->predict(prompt.index, t);
    }
  }

  // A window centred over the screen, on top of the panels, which are
  // dimmed: the room's attention goes to the question.
  bool begin_overlay(const char* title, float width, float height, float share = 0.46f) {
    ImGui::SetNextWindowPos({0, 0});
    ImGui::SetNextWindowSize({width, height});
    ImGui::PushStyleColor(ImGuiCol_WindowBg, colour_of(IM_COL32(20, 30, 45, 110)));
    ImGui::Begin("dim", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoInputs |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing);
    ImGui::End();
    ImGui::PopStyleColor();
    ImGui::SetNextWindowPos({width * 0.5f, height * 0.42f}, ImGuiCond_Always, {0.5f, 0.5f});
    ImGui::SetNextWindowSizeConstraints({width * share, 0}, {width * share, height * 0.8f});
    ImGui::SetNextWindowFocus();
    return ImGui::Begin(title, nullptr, kOverlayFlags);
  }

  void wrapped(const std::string& text, ImU32 colour = colour::kText) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(colour_of(colour), "%s", text.c_str());
    ImGui::PopTextWrapPos();
  }

  void draw_briefing(float width, float height) {
    const Exercise& e = session_->exercise();
    begin_overlay("Exercise###briefing", width, height);
    ImGui::PushFont(fonts_.title);
    wrapped(e.title);
    ImGui::PopFont();
    ImGui::Spacing();
    wrapped(e.briefing);
    ImGui::Spacing();
    wrapped(std::to_string(e.decisions.size()) + " decisions, " + std::to_string(e.predictions.size()) +
                " predictions and " + std::to_string(e.injects.size()) + " news items over " +
                duration_text(e.scenario.steps() * step_days_) +
                ". The run stops at each question until the room answers.",
            colour::kMutedText);
    ImGui::Spacing();
    if (ImGui::Button("Start the exercise", {fonts_.size * 12, 0})) {
      briefed_ = true;
      session_->live().play();
    }
    ImGui::End();
  }

  // The newest news for a while after it breaks, as a banner over the map.
  void draw_news(float width, const LiveView& view) {
    const auto news = session_->news(view.status.steps_done);
    if (news.empty()) return;
    const ExerciseInject& latest = *news.front();
    const auto steps_per_year = static_cast<std::int32_t>(std::max(1.0, std::round(365.0 / step_days_)));
    if (view.status.steps_done - latest.step > steps_per_year / 2) return;
    const float top = fonts_.size * 4.6f;
    ImGui::SetNextWindowPos({width * 0.5f, top}, ImGuiCond_Always, {0.5f, 0});
    ImGui::SetNextWindowSizeConstraints({width * 0.5f, 0}, {width * 0.5f, fonts_.size * 8});
    ImGui::PushStyleColor(ImGuiCol_WindowBg, colour_of(colour::with_alpha(colour::kSelected, 235)));
    ImGui::Begin("news", nullptr,
                 kOverlayFlags | ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoFocusOnAppearing |
                     ImGuiWindowFlags_NoInputs);
    ImGui::PushFont(fonts_.bold);
    wrapped("NEWS, " + step_name(latest.step - 1, step_days_) + ": " + latest.headline, colour::kPanel);
    ImGui::PopFont();
    if (!latest.text.empty()) wrapped(latest.text, colour::kPanel);
    ImGui::End();
    ImGui::PopStyleColor();
  }

  void draw_prompt(float width, float height, const LiveView& view) {
    const ExercisePrompt prompt = session_->prompt(view.status);
    if (prompt.kind == ExercisePrompt::None) return;
    const Exercise& e = session_->exercise();
    if (prompt.kind == ExercisePrompt::Decision) {
      const ExerciseDecision& d = e.decisions[prompt.index];
      const std::string title =
          "Decision " + std::to_string(prompt.index + 1) + ", " + moment(d.step, step_days_) + "###decision";
      begin_overlay(title.c_str(), width, height);
      ImGui::PushFont(fonts_.bold);
      wrapped(d.question);
      ImGui::PopFont();
      if (!d.text.empty()) wrapped(d.text, colour::kMutedText);
      ImGui::Spacing();
      for (std::size_t o = 0; o < d.options.size(); ++o) {
        ImGui::PushID(static_cast<int>(o));
        const std::string label = std::to_string(o + 1) + ". " + d.options[o].label;
        if (ImGui::Button(label.c_str(), {-1, 0})) {
          session_->choose(prompt.index, o);
          session_->live().play();
        }
        if (!d.options[o].text.empty()) {
          ImGui::PushFont(fonts_.small);
          wrapped(d.options[o].text, colour::kMutedText);
          ImGui::PopFont();
        }
        ImGui::PopID();
      }
      ImGui::End();
      return;
    }
    const ExercisePrediction& p = e.predictions[prompt.index];
    const std::string title = "Prediction " + std::to_string(prompt.index + 1) + ", " +
                              moment(p.step, step_days_) + "###prediction";
    begin_overlay(title.c_str(), width, height);
    ImGui::PushFont(fonts_.bold);
    wrapped(p.question);
    ImGui::PopFont();
    wrapped("Scored against the " + duration_text(p.horizon * step_days_) +
                " before and after: " + std::string(spec(p.metric).long_name) +
                (p.region >= 0 ? " in " + e.scenario.regions[static_cast<std::size_t>(p.region)].name
                               : std::string(", all regions")) +
                ".",
            colour::kMutedText);
    ImGui::Spacing();
    for (Trend t : {Trend::Rise, Trend::Fall, Trend::Same}) {
      ImGui::PushID(static_cast<int>(t));
      const std::string label = "It will " + trend_answer_text(t, p.same_within);
      if (ImGui::Button(label.c_str(), {-1, 0})) {
        session_->predict(prompt.index, t);
        session_->live().play();
      }
      ImGui::PopID();
    }
    ImGui::End();
  }

  // ---- the debrief ------------------------------------------------------------

  void draw_debrief(float width, float height) {
    const auto debrief = session_->debrief();
    const Exercise& e = session_->exercise();
    const LiveView& view = live_->view();
    if (debrief) save_session(debrief.get());
    if (debrief && !printed_) print_debrief();
    // The save's outcome: the session's latest message (its frames are all in `view`).
    const LiveStatus status = session_->live().status();
    ImGui::SetNextWindowPos({0, 0});
    ImGui::SetNextWindowSize({width, height});
    ImGui::Begin("debrief", nullptr,
                 ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
    ImGui::PushFont(fonts_.title);
    ImGui::TextUnformatted("Debrief");
    ImGui::PopFont();
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    ImGui::TextColored(colour_of(colour::kMutedText), "%s", e.title.c_str());
    if (!status.message.empty())
      wrapped(
          status.message + (status.message_is_error ? std::string()
                                                    : "; replay it with tipsim-viewer " + options_.save_path),
          status.message_is_error ? colour::kError : colour::kOk);
    ImGui::Separator();
    if (!debrief) {
      const auto [done, total] = session_->debrief_progress();
      ImGui::TextUnformatted("Running every option the room did not take, in the same world...");
      ImGui::ProgressBar(total > 0 ? static_cast<float>(done) / static_cast<float>(total) : 0.0f,
                         {width * 0.4f, 0});
      ImGui::End();
      return;
    }
    const float left_width = width * 0.48f;
    ImGui::BeginChild("findings", {left_width, 0}, false);
    if (!debrief->error.empty()) wrapped(debrief->error, colour::kError);
    draw_predictions(*debrief);
    draw_decisions(*debrief);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("branches", {0, 0}, false);
    draw_branch_charts(*debrief, view);
    ImGui::EndChild();
    ImGui::End();
  }

  void draw_decisions(const Debrief& debrief) {
    const Exercise& e = session_->exercise();
    ImGui::PushFont(fonts_.title);
    ImGui::TextUnformatted("Decisions");
    ImGui::PopFont();
    wrapped(
        "Each decision taken against each option not taken: the same world, the same random numbers, "
        "every other choice as the room made it; the mean over " +
            std::to_string(debrief.replicates) + " runs with its 95 % interval, and this run alone.",
        colour::kMutedText);
    for (std::size_t d = 0; d < e.decisions.size(); ++d) {
      const ExerciseDecision& decision = e.decisions[d];
      ImGui::Spacing();
      ImGui::PushFont(fonts_.bold);
      wrapped(std::to_string(d + 1) + ". " + moment(decision.step, step_days_) + ": " + decision.question);
      ImGui::PopFont();
      if (!debrief.choices[d]) {
        wrapped("not reached", colour::kMutedText);
        continue;
      }
      wrapped("Chosen: " + decision.options[*debrief.choices[d]].label, colour::kSelected);
      for (const DecisionEffect& effect : debrief.effects) {
        if (effect.decision != d) continue;
        wrapped("Against \"" + decision.options[effect.untaken].label + "\":");
        draw_effect_table(effect, debrief.replicates);
      }
    }
  }

  // The effects of the option taken over one untaken, one row each.
  void draw_effect_table(const DecisionEffect& effect, std::size_t runs) {
    ImGui::PushFont(fonts_.small);
    ImGui::PushID(static_cast<int>(effect.decision * 100 + effect.untaken));
    constexpr ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH |
                                      ImGuiTableFlags_SizingStretchProp | ImGuiTableFlags_PadOuterX;
    if (ImGui::BeginTable("effects", 4, flags)) {
      ImGui::TableSetupColumn("the option taken, against it", ImGuiTableColumnFlags_WidthStretch, 3.0f);
      ImGui::TableSetupColumn(("mean of " + std::to_string(runs) + " runs").c_str(),
                              ImGuiTableColumnFlags_WidthStretch, 1.1f);
      ImGui::TableSetupColumn("95 % interval", ImGuiTableColumnFlags_WidthStretch, 2.0f);
      ImGui::TableSetupColumn("this run", ImGuiTableColumnFlags_WidthStretch, 1.0f);
      ImGui::TableHeadersRow();
      for (std::size_t k = 0; k < effect_table().size() && k < effect.effects.estimate.size(); ++k) {
        const EffectSpec& spec = effect_table()[k];
        const EffectEstimate& e = effect.effects.estimate[k];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        const bool money = std::string_view(spec.units).starts_with("USD");
        ImGui::TextUnformatted(
            (std::string(spec.label) + (money ? " (" + std::string(spec.units) + ")" : std::string()))
                .c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(figure_text(e.mean).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(runs > 1 && std::isfinite(e.ci_low)
                                   ? (figure_text(e.ci_low) + " to " + figure_text(e.ci_high)).c_str()
                                   : "n/a");
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(figure_text(effect.session_values[k]).c_str());
      }
      ImGui::EndTable();
    }
    ImGui::PopID();
    ImGui::PopFont();
  }

  void draw_predictions(const Debrief& debrief) {
    const Exercise& e = session_->exercise();
    ImGui::PushFont(fonts_.title);
    ImGui::TextUnformatted("Predictions");
    ImGui::PopFont();
    std::size_t right = 0, scored = 0;
    for (const PredictionResult& r : debrief.predictions) {
      const ExercisePrediction& p = e.predictions[r.prediction];
      ImGui::Spacing();
      ImGui::PushFont(fonts_.bold);
      wrapped(std::to_string(r.prediction + 1) + ". " + moment(p.step, step_days_) + ": " + p.question);
      ImGui::PopFont();
      wrapped("The room said it would " +
              (r.answer ? trend_answer_text(*r.answer, p.same_within) : std::string("(no answer)")) + "; " +
              outcome_text(r, p) + ".");
      if (r.scored) {
        ++scored;
        if (r.correct()) ++right;
        wrapped(r.correct() ? "Right." : "Not what happened.", r.correct() ? colour::kOk : colour::kError);
      }
    }
    ImGui::Spacing();
    ImGui::PushFont(fonts_.bold);
    ImGui::Text("%zu of %zu predictions right", right, scored);
    ImGui::PopFont();
    ImGui::Spacing();
    ImGui::Separator();
  }

  // The run the room watched, with an untaken branch faint beside it.
  void draw_branch_charts(const Debrief& debrief, const LiveView& view) {
    const Exercise& e = session_->exercise();
    if (debrief.effects.empty()) {
      wrapped("No decision was taken, so there is no other branch to draw.", colour::kMutedText);
      return;
    }
    branch_ = std::min(branch_, debrief.effects.size() - 1);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Beside the run: decision");
    ImGui::SameLine();
    auto branch_label = [&](std::size_t i) {
      const DecisionEffect& eff = debrief.effects[i];
      return std::to_string(eff.decision + 1) + ", had the room chosen \"" +
             e.decisions[eff.decision].options[eff.untaken].label + "\"";
    };
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##branch", branch_label(branch_).c_str())) {
      for (std::size_t i = 0; i < debrief.effects.size(); ++i)
        if (ImGui::Selectable(branch_label(i).c_str(), i == branch_)) branch_ = i;
      ImGui::EndCombo();
    }
    ImGui::TextColored(colour_of(colour::kMutedText),
                       "strong lines: the run the room watched; faint: the other branch");
    // The series change only with the branch chosen.
    if (charts_branch_ != branch_) {
      charts_branch_ = branch_;
      charts_ = ChartsData{};
      charts_.steps = e.scenario.steps();
      charts_.step_days = step_days_;
      for (const ExerciseDecision& d : e.decisions) charts_.markers.push_back(d.step);
      const Series& other = debrief.branches.at(branch_ + 1);
      for (std::size_t i = 0; i < kIndicatorCount; ++i) {
        const auto which = static_cast<Indicator>(i);
        charts_.values[i] =
            indicator_series(view.history, static_cast<std::size_t>(view.frames), which, -1, step_days_);
        charts_.other[i] = indicator_series(other, other.steps(), which, -1, step_days_);
      }
      charts_.other_label = "other branch";
    }
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const ImVec2 size = ImGui::GetContentRegionAvail();
    draw_charts({at.x, at.y, size.x, size.y}, charts_, fonts_);
  }

  // The debrief as text: on the standard output (for the trainer's record
  // and for scripts) and as the saved session's comment.
  std::string debrief_text(const Debrief& debrief) const {
    const Exercise& e = session_->exercise();
    std::string out = "Exercise debrief: " + e.title + "\n";
    if (!debrief.error.empty()) out += "  " + debrief.error + "\n";
    for (std::size_t d = 0; d < e.decisions.size(); ++d) {
      const ExerciseDecision& decision = e.decisions[d];
      out += "Decision " + std::to_string(d + 1) + " (" + moment(decision.step, step_days_) +
             "): " + decision.question + "\n";
      if (!debrief.choices[d]) {
        out += "  not reached\n";
        continue;
      }
      out += "  chosen: " + decision.options[*debrief.choices[d]].label + "\n";
      for (const DecisionEffect& effect : debrief.effects) {
        if (effect.decision != d) continue;
        out += "  against \"" + decision.options[effect.untaken].label + "\", over " +
               std::to_string(debrief.replicates) + " runs:\n";
        for (std::size_t k = 0; k < effect_table().size() && k < effect.effects.estimate.size(); ++k)
          out += "    " +
                 effect_text(effect_table()[k], effect.effects.estimate[k], effect.session_values[k],
                             debrief.replicates) +
                 "\n";
      }
    }
    std::size_t right = 0, scored = 0;
    for (const PredictionResult& r : debrief.predictions) {
      const ExercisePrediction& p = e.predictions[r.prediction];
      out += "Prediction " + std::to_string(r.prediction + 1) + " (" + moment(p.step, step_days_) +
             "): " + p.question + "\n";
      out += "  the room said it would " +
             (r.answer ? trend_answer_text(*r.answer, p.same_within) : std::string("(no answer)")) + "; " +
             outcome_text(r, p) + ": " +
             (!r.scored     ? "not scored"
              : r.correct() ? "right"
                            : "wrong") +
             "\n";
      if (r.scored) {
        ++scored;
        if (r.correct()) ++right;
      }
    }
    out += "Score: " + std::to_string(right) + " of " + std::to_string(scored) + " predictions right\n";
    out += std::string("The branch taken, run again, ") +
           (debrief.session_reproduced ? "reproduces" : "DOES NOT reproduce") + " the session\n";
    return out;
  }

  // Saves the session once, with the debrief (when there is one) as its comment.
  void save_session(const Debrief* debrief) {
    if (saved_) return;
    save_serial_ = session_->live().status().message_serial;
    session_->live().save(options_.save_path, debrief ? debrief_text(*debrief) : std::string());
    saved_ = true;
  }

  // The debrief and where the session was saved, on the standard output.
  void print_debrief() {
    const auto debrief = session_->debrief();
    if (!debrief) return;
    printed_ = true;
    std::fputs(debrief_text(*debrief).c_str(), stdout);
    if (saved_) {
      // The save's outcome, which the session reports when it is done.
      LiveStatus st;
      session_->live().wait_for(
          [&](const LiveStatus& s) {
            st = s;
            return s.message_serial > save_serial_;
          },
          std::chrono::minutes(1));
      std::printf("Session: %s\n", st.message.c_str());
    }
    std::fflush(stdout);
  }

  std::unique_ptr<ExerciseSession> session_;
  ExerciseOptions options_;
  const Fonts& fonts_;
  std::unique_ptr<LiveScreenOn> live_;
  double step_days_ = 7;
  bool headless_ = false;
  bool briefed_ = false;
  bool saved_ = false;
  std::uint64_t save_serial_ = 0;
  bool debrief_shown_ = false;
  bool printed_ = false;
  std::size_t next_answer_ = 0;
  std::size_t branch_ = 0;
  ChartsData charts_;                            // the debrief's charts, for
  std::size_t charts_branch_ = ~std::size_t{0};  // this branch
};

}  // namespace

std::unique_ptr<Screen> make_exercise_screen(std::unique_ptr<ExerciseSession> session,
                                             const ExerciseOptions& options, const Fonts& fonts) {
  return std::make_unique<ExerciseScreen>(std::move(session), options, fonts);
}

}  // namespace tipsim::viz
