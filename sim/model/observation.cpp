#include "observation.hpp"

namespace tipsim {

void record_identified(StepContext& ctx, const VictimRecord& record) {
  const std::size_t r = record.region;
  ctx.recorded(Metric::identifications_by_channel, r, static_cast<std::size_t>(record.channel)) += 1;
  ctx.recorded(Metric::identified_by_form, r, static_cast<std::size_t>(record.form)) += 1;
  if (record.female) ctx.recorded(Metric::identified_female, r) += 1;
  if (record.child) ctx.recorded(Metric::identified_children, r) += 1;
  if (record.foreign) ctx.recorded(Metric::identified_abroad, r) += 1;
  if (record.assisted_before) ctx.recorded(Metric::identified_previously_assisted, r) += 1;
  if (record.criminal_record) ctx.recorded(Metric::identified_with_record, r) += 1;
}

void record_other_cases(StepContext& ctx, std::size_t region, Record kind, double count) {
  ctx.recorded(Metric::other_cases, region, static_cast<std::size_t>(kind)) += count;
}

void record_identified_punished(StepContext& ctx, std::size_t region) {
  ctx.recorded(Metric::identified_victims_punished, region) += 1;
}
void record_protection_entry(StepContext& ctx, std::size_t region) {
  ctx.recorded(Metric::protection_entries, region) += 1;
}
void record_turned_away(StepContext& ctx, std::size_t region) {
  ctx.recorded(Metric::protection_turned_away, region) += 1;
}
void record_cooperating(StepContext& ctx, std::size_t region) {
  ctx.recorded(Metric::victims_cooperating, region) += 1;
}
void record_reintegration(StepContext& ctx, std::size_t region) {
  ctx.recorded(Metric::reintegrations, region) += 1;
}
void record_survivor_followup(StepContext& ctx, std::size_t region, Followup found) {
  ctx.recorded(Metric::assisted_survivors_followed_up, region, static_cast<std::size_t>(found)) += 1;
}

void record_case(StepContext& ctx, std::size_t region, CaseStage stage, std::size_t case_type) {
  switch (stage) {
    case CaseStage::Investigation:
      ctx.recorded(Metric::investigations, region, case_type) += 1;
      return;
    case CaseStage::Prosecution:
      ctx.recorded(Metric::prosecutions, region, case_type) += 1;
      return;
    case CaseStage::Conviction:
      ctx.recorded(Metric::convictions, region, case_type) += 1;
      return;
    case CaseStage::Acquittal:
      ctx.recorded(Metric::acquittals, region, case_type) += 1;
      return;
  }
}

void record_verdict_wait(StepContext& ctx, std::size_t region, double years) {
  ctx.recorded(Metric::case_years_to_verdict, region) += years;
}

void record_backlog(StepContext& ctx, std::size_t region, std::size_t case_type, double waiting) {
  ctx.recorded(Metric::court_backlog, region, case_type) = waiting;
}

}  // namespace tipsim
