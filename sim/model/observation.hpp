// What agencies record, and the only place the observed layer is written.
// Every function takes a record that holds what an agency could know about
// a person or a case (where it met them, what it recorded them as, their
// sex, age and nationality as documented); none takes the state, so the
// observed series cannot read what agencies do not know. A test checks
// that no other file of the model names an observed metric.
#pragma once

#include <cstddef>

#include "state.hpp"
#include "step_context.hpp"

namespace tipsim {

// A person an agency identified as a victim of trafficking, as it recorded
// them: rightly or not.
struct VictimRecord {
  std::size_t region;  // where they were identified
  Channel channel;
  Form form;  // the form the agency recorded
  bool female;
  bool child;
  bool foreign;          // a national of another region
  bool assisted_before;  // services assisted them before (their own records)
  bool criminal_record;  // a criminal record agencies can look up
};
void record_identified(StepContext& ctx, const VictimRecord& record);

// A person an agency recorded in a case other than trafficking (an arrest
// for an offence, irregular migration, a labour dispute).
void record_other_cases(StepContext& ctx, std::size_t region, Record kind, double count = 1.0);

// What happened next to people identified as victims, as services record it.
void record_identified_punished(StepContext& ctx, std::size_t region);
void record_protection_entry(StepContext& ctx, std::size_t region);
void record_turned_away(StepContext& ctx, std::size_t region);
void record_cooperating(StepContext& ctx, std::size_t region);
void record_reintegration(StepContext& ctx, std::size_t region);
// Services' follow-up of a survivor they assisted, a review period after
// their exit: what the case worker found (or that nobody was reached).
void record_survivor_followup(StepContext& ctx, std::size_t region, Followup found);

// A case against a suspected trafficker, by the case type it was brought as.
enum class CaseStage : std::uint8_t { Investigation, Prosecution, Conviction, Acquittal };
void record_case(StepContext& ctx, std::size_t region, CaseStage stage, std::size_t case_type);
// A verdict reached `years` after the charge.
void record_verdict_wait(StepContext& ctx, std::size_t region, double years);
// The charged cases of a case type a region's courts have waiting.
void record_backlog(StepContext& ctx, std::size_t region, std::size_t case_type, double waiting);

}  // namespace tipsim
