#!/usr/bin/python3
"""Regenerates the parts of the documentation that come from the model's tables.

The tables are read from the built program: `tipsim reference --json` prints
the parameters (sim/model/parameters.def), metrics and summaries
(sim/model/metrics.def, metrics.cpp), axis labels, event kinds
(sim/model/events.def) and comparison effects as one JSON document.

  docs/scenario-reference.md   written whole: the scenario file structure and
                               every parameter, by group.
  docs/model.md                only the blocks between
                                 <!-- BEGIN GENERATED: NAME -->
                                 <!-- END GENERATED: NAME -->
                               are rewritten: the parameter tables of each phase
                               (the parameters and the SYMBOLS map below), the
                               metric and summary tables and the axis labels.
                               Everything else is hand-written.

Usage (from anywhere, once tipsim is built):
  /usr/bin/python3 scripts/gen_param_reference.py          # rewrite the files
  /usr/bin/python3 scripts/gen_param_reference.py --check  # exit 1 if stale
  --tipsim PATH   the tipsim program to ask (default: $TIPSIM_CLI, else
                  build/sim/tipsim)

The script fails loudly when the tables and this file disagree: a parameter
that no phase table lists (and that is not marked as outside the model), a
symbol for a key that does not exist, a summary without a formula.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIPSIM = ROOT / "build" / "sim" / "tipsim"
MODEL_MD = ROOT / "docs" / "model.md"
REFERENCE_MD = ROOT / "docs" / "scenario-reference.md"

# ---- the model's tables, from the program ------------------------------------------


def add_tipsim_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tipsim", metavar="PATH",
                        help="the tipsim program whose tables to use (default: $TIPSIM_CLI, else "
                             "build/sim/tipsim)")


def read_reference(tipsim: str | None) -> dict:
    """The model's tables as `tipsim reference --json` prints them."""
    program = tipsim or os.environ.get("TIPSIM_CLI") or str(DEFAULT_TIPSIM)
    try:
        result = subprocess.run([program, "reference", "--json"], capture_output=True, text=True,
                                encoding="utf-8", timeout=120)
    except OSError as e:
        sys.exit(f"{Path(__file__).name}: cannot run {program} ({e.strerror}); build it, or give "
                 "--tipsim PATH (or TIPSIM_CLI)")
    if result.returncode != 0:
        sys.exit(f"{Path(__file__).name}: {program} reference --json failed (exit {result.returncode}):\n"
                 + result.stderr)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as e:
        sys.exit(f"{Path(__file__).name}: {program} reference --json printed no valid JSON: {e}")

# ---- the parameter table -------------------------------------------------------


@dataclass
class Param:
    ident: str
    key: str
    kind: str
    scope: str
    default: float
    lo: float
    hi: float
    unit: str
    doc: str
    group: str


def read_params(reference: dict) -> list[Param]:
    params = [Param(p["id"], p["key"], p["kind"], p["scope"], float(p["default"]), float(p["min"]),
                    float(p["max"]), p["unit"], p["doc"], p["group"])
              for p in reference["parameters"]]
    if not params:
        sys.exit(f"{Path(__file__).name}: the program lists no parameters")
    return params


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(x: float) -> int | None:
    exponent = round(math.log10(abs(x)))
    return exponent if math.isclose(abs(x), 10.0**exponent, rel_tol=1e-12) else None


def number_text(x: float) -> str:
    """A number as a reader expects it: 0.25, 60, 27 252, 10⁶, 10⁻⁹, 4 000 000 000."""
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    exponent = _power_of_ten(x)
    if exponent is not None and (exponent >= 6 or exponent <= -4):
        return sign + "10" + str(exponent).translate(_SUPERSCRIPT)
    if x == int(x):
        n = int(x)
        if abs(n) >= 10000:
            return f"{n:,}".replace(",", "\u202f")  # grouped with narrow no-break spaces
        return str(n)
    if abs(x) < 1e-3:
        mantissa, exponent_text = f"{x:e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}·10{str(int(exponent_text)).translate(_SUPERSCRIPT)}"
    return repr(x)


def default_text(p: Param) -> str:
    if p.kind == "Boolean":
        return "true" if p.default else "false"
    if p.kind == "Text":
        return "(empty)"
    return number_text(p.default)


def range_text(p: Param) -> str:
    if p.kind == "Boolean":
        return "true / false"
    if p.kind == "Text":
        return "any text"
    return f"{number_text(p.lo)} … {number_text(p.hi)}"


def unit_text(p: Param) -> str:
    if p.kind in ("Boolean", "Text"):
        return "—"
    return p.unit


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# ---- model.md: which phase uses which parameter, and its symbol ------------------

# Each block lists (key, symbol in the equations of docs/model.md). A key may
# appear in several blocks; every model parameter must appear in at least one.
SYMBOLS: dict[str, list[tuple[str, str]]] = {
    "params-run": [
        ("scenario.seed", r"$\mathrm{seed}$"),
        ("scenario.steps", r"$T$"),
        ("scenario.step_days", r"$365\,\Delta$"),
        ("scenario.replicates", r"—"),
        ("scenario.burn_in_steps", r"$t_{\mathrm{burn}}$"),
        ("population.size", r"$N$"),
        ("population.scale", r"$\Lambda$"),
        ("population.share", r"$w_r$"),
        ("population.untouched_in_strata", r"—"),
        ("population.vulnerability_bins", r"$B$"),
        ("movement.transit_days", r"$\tau_{rj}$ (default)"),
        ("movement.domestic_delay_days", r"$\tau_{rr}$"),
    ],
    "params-init": [
        ("population.vulnerability_mean", r"$\bar v_r$"),
        ("population.vulnerability_sd", r"$s_r$"),
        ("population.female_share", r"$p^{\mathrm{fem}}_r$"),
        ("population.child_share", r"$p^{\mathrm{child}}_r$"),
        ("population.awareness_base", r"$a^0_r$"),
        ("traffickers.initial_per_100k", r"$T^0_r$"),
        ("traffickers.initial_fill", r"$\phi_0$"),
        ("traffickers.capacity_mean", r"$\bar K$"),
        ("traffickers.network_join_share", r"$p_{\mathrm{join}}$"),
        ("traffickers.method_share_deceptive", r"$w_{\mathrm{dec}}$"),
        ("traffickers.method_share_romance", r"$w_{\mathrm{rom}}$"),
        ("traffickers.method_share_family", r"$w_{\mathrm{fam}}$"),
        ("traffickers.method_share_debt", r"$w_{\mathrm{debt}}$"),
        ("traffickers.method_share_abduction", r"$w_{\mathrm{abd}}$"),
        ("recruitment.vulnerability_exponent", r"$x$"),
        ("recruitment.child_susceptibility", r"$\chi$"),
        ("recruitment.retrafficking_factor", r"$\psi$"),
        ("recruitment.family_consent_share", r"$p_{\mathrm{fam}}$"),
        ("recruitment.debt_initial_usd", r"$D_0$"),
        ("recruitment.fee_usd", r"$D_{\mathrm{fee}}$"),
        ("recruitment.fee_charged_share", r"$p_{\mathrm{fee}}$"),
        ("policy.prevention.recruitment_fee_ban", r"$\mathrm{FB}_r$"),
    ],
    "params-policy": [
        ("policy.protection.shelter_beds_per_100k", r"$B_r$"),
        ("cost.investigator_usd_per_year", r"$c_I$"),
        ("cost.labour_inspector_usd_per_year", r"$c_L$"),
        ("cost.outreach_worker_usd_per_year", r"$c_O$"),
        ("cost.shelter_bed_usd_per_year", r"$c_B$"),
        ("cost.awareness_usd_per_person", r"$c_a$"),
        ("cost.empowerment_usd_per_person", r"$c_e$"),
        ("cost.partnership_usd_per_100k_per_year", r"$c_P$"),
        ("cost.prosecution_usd", r"$c_{\mathrm{case}}$"),
        ("cost.trial_usd_per_year", r"$c_K$"),
        ("cost.services_usd_per_person_year", r"$c_s$"),
        ("cost.hotline_usd_per_100k_per_year", r"$c_H$"),
        ("cost.border_screening_usd_per_100k_per_year", r"$c_\sigma$"),
        ("cost.non_punishment_usd_per_100k_per_year", r"$c_{\mathrm{NP}}$"),
        ("cost.fee_ban_usd_per_100k_per_year", r"$c_{\mathrm{FB}}$"),
        ("cost.due_diligence_usd_per_100k_per_year", r"$c_{\mathrm{DD}}$"),
        ("cost.demand_reduction_usd_per_100k_per_year", r"$c_{\mathrm{DR}}$"),
        ("cost.price_level", r"$\pi_r$"),
    ],
    "params-prevention": [
        ("policy.prevention.awareness_reach", r"$R^a_r$"),
        ("policy.prevention.empowerment_reach", r"$R^e_r$"),
        ("population.awareness_base", r"$a^0_r$"),
        ("prevention.awareness_gain", r"$g$"),
        ("prevention.awareness_decay_per_year", r"$\delta_a$"),
        ("prevention.empowerment_effect", r"$\eta_e$"),
    ],
    "params-market": [
        ("market.demand_sexual_per_100k", r"$d^0_{r,\mathrm{sex}}$"),
        ("market.demand_agriculture_per_100k", r"$d^0_{r,\mathrm{agr}}$"),
        ("market.demand_construction_per_100k", r"$d^0_{r,\mathrm{con}}$"),
        ("market.demand_manufacturing_per_100k", r"$d^0_{r,\mathrm{man}}$"),
        ("market.demand_other_labour_per_100k", r"$d^0_{r,\mathrm{oth}}$"),
        ("market.demand_domestic_per_100k", r"$d^0_{r,\mathrm{dom}}$"),
        ("market.demand_criminality_per_100k", r"$d^0_{r,\mathrm{crim}}$"),
        ("market.profit_sexual_usd_per_year", r"$\Pi_{r,\mathrm{sex}}$"),
        ("market.profit_labour_usd_per_year", r"$\Pi_{r,\mathrm{lab}}$"),
        ("market.profit_domestic_usd_per_year", r"$\Pi_{r,\mathrm{dom}}$"),
        ("market.profit_criminality_usd_per_year", r"$\Pi_{r,\mathrm{crim}}$"),
        ("policy.prevention.due_diligence", r"$\mathrm{DD}_r$"),
        ("policy.prevention.demand_reduction", r"$\mathrm{DR}_r$"),
        ("prevention.due_diligence_effect", r"$\eta_{\mathrm{dd}}$"),
        ("prevention.demand_reduction_effect", r"$\eta_{\mathrm{dr}}$"),
        ("recruitment.deterrence_elasticity", r"$\varepsilon$"),
        ("recruitment.risk_noticed_per_year", r"$\rho_{\mathrm{n}}$"),
        ("traffickers.entry_per_100k", r"$E_r$"),
        ("traffickers.desistance_per_year", r"$\mu$"),
        ("traffickers.risk_desistance", r"$\mu_\rho$"),
        ("prosecution.evidence_half", r"$e_{1/2}$"),
        ("traffickers.network_replacement", r"$p_{\mathrm{hyd}}$"),
        ("traffickers.recidivism", r"$p_{\mathrm{rec}}$"),
        ("traffickers.network_join_share", r"$p_{\mathrm{join}}$"),
        ("traffickers.capacity_mean", r"$\bar K$"),
        ("traffickers.method_share_deceptive", r"$w_{\mathrm{dec}}$"),
        ("traffickers.method_share_romance", r"$w_{\mathrm{rom}}$"),
        ("traffickers.method_share_family", r"$w_{\mathrm{fam}}$"),
        ("traffickers.method_share_debt", r"$w_{\mathrm{debt}}$"),
        ("traffickers.method_share_abduction", r"$w_{\mathrm{abd}}$"),
        ("protection.unserved_vulnerability_increase", r"$\nu_{\mathrm{un}}$"),
    ],
    "params-recruitment": [
        ("traffickers.contacts_per_slot_per_year", r"$\gamma$"),
        ("recruitment.deterrence_elasticity", r"$\varepsilon$"),
        ("recruitment.risk_noticed_per_year", r"$\rho_{\mathrm{n}}$"),
        ("policy.prevention.recruitment_fee_ban", r"$\mathrm{FB}_r$"),
        ("prevention.fee_ban_effect", r"$\eta_{\mathrm{fee}}$"),
        ("recruitment.vulnerability_exponent", r"$x$"),
        ("recruitment.child_susceptibility", r"$\chi$"),
        ("recruitment.retrafficking_factor", r"$\psi$"),
        ("recruitment.awareness_shield_deceptive", r"$\sigma_{\mathrm{dec}}$"),
        ("recruitment.awareness_shield_romance", r"$\sigma_{\mathrm{rom}}$"),
        ("recruitment.awareness_shield_family", r"$\sigma_{\mathrm{fam}}$"),
        ("recruitment.awareness_shield_debt", r"$\sigma_{\mathrm{debt}}$"),
        ("recruitment.awareness_shield_abduction", r"$\sigma_{\mathrm{abd}}$"),
        ("recruitment.sexual_male_affinity", r"$\alpha^{M}_{\mathrm{sex}}$"),
        ("recruitment.domestic_male_affinity", r"$\alpha^{M}_{\mathrm{dom}}$"),
        ("recruitment.labour_female_affinity", r"$\alpha^{F}_{\mathrm{lab}}$"),
        ("recruitment.family_consent_share", r"$p_{\mathrm{fam}}$"),
        ("recruitment.debt_initial_usd", r"$D_0$"),
        ("recruitment.fee_usd", r"$D_{\mathrm{fee}}$"),
        ("recruitment.fee_charged_share", r"$p_{\mathrm{fee}}$"),
    ],
    "params-movement": [
        ("movement.domestic_delay_days", r"$\tau_{rr}$"),
        ("movement.transit_days", r"$\tau_{rj}$ (default)"),
    ],
    "params-exploitation": [
        ("market.profit_sexual_usd_per_year", r"$\Pi_{j,\mathrm{sex}}$"),
        ("market.profit_labour_usd_per_year", r"$\Pi_{j,\mathrm{lab}}$"),
        ("market.profit_domestic_usd_per_year", r"$\Pi_{j,\mathrm{dom}}$"),
        ("market.profit_criminality_usd_per_year", r"$\Pi_{j,\mathrm{crim}}$"),
        ("exploitation.debt_interest_per_year", r"$\iota$"),
        ("exploitation.debt_credit_share", r"$s_c$"),
        ("exploitation.escape_per_year", r"$\lambda_{\mathrm{esc}}$"),
        ("exploitation.debt_escape_factor", r"$\beta_D$"),
        ("exploitation.abroad_escape_factor", r"$\beta_A$"),
        ("exploitation.release_per_year", r"$\lambda_{\mathrm{rel}}$"),
        ("protection.unserved_vulnerability_increase", r"$\nu_{\mathrm{un}}$"),
    ],
    "params-identification": [
        ("policy.prosecution.investigators_per_100k", r"$I_r$"),
        ("policy.protection.labour_inspectors_per_100k", r"$L_r$"),
        ("policy.protection.outreach_workers_per_100k", r"$O_r$"),
        ("policy.protection.hotline", r"$h_r$"),
        ("policy.protection.border_screening", r"$S_r$"),
        ("policy.partnership.level", r"$P_r$"),
        ("institutions.corruption", r"$\kappa_r$"),
        ("identification.partnership_boost", r"$\beta_{\mathrm{id}}$"),
        ("identification.police_rate_per_year", r"$r_{\mathrm{pol}}$"),
        ("identification.police_half_effort_per_100k", r"$s_{\mathrm{pol}}$"),
        ("identification.inspection_rate_per_year", r"$r_{\mathrm{insp}}$"),
        ("identification.inspection_half_effort_per_100k", r"$s_{\mathrm{insp}}$"),
        ("identification.ngo_rate_per_year", r"$r_{\mathrm{ngo}}$"),
        ("identification.ngo_half_effort_per_100k", r"$s_{\mathrm{ngo}}$"),
        ("identification.hotline_rate_per_year", r"$r_{\mathrm{hot}}$"),
        ("identification.private_sector_rate_per_year", r"$r_{\mathrm{priv}}$"),
        ("identification.border_detection_rate_per_year", r"$r_{\mathrm{bor}}$"),
        ("identification.self_report_rate_per_year", r"$r_{\mathrm{self}}$"),
        ("identification.escaped_report_share", r"$p_{\mathrm{esc}}$"),
        ("identification.self_report_fear_punishment", r"$\phi_{\mathrm{pun}}$"),
        ("identification.self_report_fear_abroad", r"$\phi_{\mathrm{abr}}$"),
        ("identification.self_report_recognition_sexual", r"$\varrho_{\mathrm{sex}}$"),
        ("identification.self_report_recognition_labour", r"$\varrho_{\mathrm{lab}}$"),
        ("identification.self_report_recognition_domestic", r"$\varrho_{\mathrm{dom}}$"),
        ("identification.self_report_recognition_criminality", r"$\varrho_{\mathrm{crim}}$"),
        ("identification.visibility_sexual", r"$\omega_{\mathrm{sex}}$"),
        ("identification.visibility_labour", r"$\omega_{\mathrm{lab}}$"),
        ("identification.visibility_domestic", r"$\omega_{\mathrm{dom}}$"),
        ("identification.visibility_criminality", r"$\omega_{\mathrm{crim}}$"),
        ("identification.inspection_domestic_factor", r"$\theta_{\mathrm{dom}}$"),
        ("exploitation.criminality_arrest_per_year", r"$\lambda_{\mathrm{arr}}$"),
    ],
    "params-screening": [
        ("identification.police_sensitivity", r"$\sigma_{\mathrm{pol}}$"),
        ("identification.inspection_sensitivity", r"$\sigma_{\mathrm{insp}}$"),
        ("identification.ngo_sensitivity", r"$\sigma_{\mathrm{ngo}}$"),
        ("identification.hotline_sensitivity", r"$\sigma_{\mathrm{hot}}$"),
        ("identification.private_sector_sensitivity", r"$\sigma_{\mathrm{priv}}$"),
        ("identification.border_sensitivity", r"$\sigma_{\mathrm{bor}}$"),
        ("identification.police_specificity", r"$\psi_{\mathrm{pol}}$"),
        ("identification.inspection_specificity", r"$\psi_{\mathrm{insp}}$"),
        ("identification.ngo_specificity", r"$\psi_{\mathrm{ngo}}$"),
        ("identification.hotline_specificity", r"$\psi_{\mathrm{hot}}$"),
        ("identification.private_sector_specificity", r"$\psi_{\mathrm{priv}}$"),
        ("identification.border_specificity", r"$\psi_{\mathrm{bor}}$"),
        ("identification.arrest_screening_sensitivity", r"$\sigma_{\mathrm{arr}}$"),
        ("identification.arrest_screening_sensitivity_without_law", r"$\sigma^{0}_{\mathrm{arr}}$"),
        ("identification.domestic_recorded_as_labour", r"$m_{\mathrm{dom}}$"),
        ("identification.criminality_recorded_as_labour", r"$m_{\mathrm{crim}}$"),
    ],
    "params-adjacent": [
        ("adjacent.labour_violations_per_100k", r"$n^{\mathrm{lab}}_j$"),
        ("adjacent.commercial_sex_per_100k", r"$n^{\mathrm{sex}}_j$"),
        ("adjacent.irregular_migrants_per_100k", r"$n^{\mathrm{irr}}_j$"),
        ("adjacent.smuggled_per_100k_per_year", r"$q^{\mathrm{smu}}_j$"),
        ("adjacent.visibility_factor", r"$v_{\mathrm{adj}}$"),
        ("adjacent.selling_sex_arrest_share", r"$a^{\mathrm{sex}}_j$"),
        ("adjacent.female_share_labour_violations", r"$\varphi_{\mathrm{lab}}$"),
        ("adjacent.female_share_commercial_sex", r"$\varphi_{\mathrm{sex}}$"),
        ("adjacent.female_share_irregular_migrants", r"$\varphi_{\mathrm{irr}}$"),
        ("adjacent.female_share_smuggled", r"$\varphi_{\mathrm{smu}}$"),
    ],
    "params-after-identification": [
        ("policy.protection.non_punishment", r"$\mathrm{NP}_j$"),
        ("protection.criminalise_others_share", r"$p_{\mathrm{crim}}$"),
        ("protection.criminalised_vulnerability_increase", r"$\nu_{\mathrm{crim}}$"),
        ("protection.unserved_vulnerability_increase", r"$\nu_{\mathrm{un}}$"),
        ("protection.cooperation_sheltered", r"$c_{\mathrm{sh}}$"),
        ("protection.cooperation_unsheltered", r"$c_{\mathrm{un}}$"),
        ("prosecution.evidence_per_identification", r"$e_{\mathrm{id}}$"),
        ("prosecution.evidence_per_cooperation", r"$e_{\mathrm{coop}}$"),
    ],
    "params-prosecution": [
        ("policy.prosecution.investigators_per_100k", r"$I_r$"),
        ("prosecution.investigations_per_investigator_per_year", r"$n_{\mathrm{inv}}$"),
        ("prosecution.evidence_decay_per_year", r"$\delta_e$"),
        ("prosecution.base_visibility", r"$e_{\mathrm{vis}}$"),
        ("prosecution.victims_found_share", r"$f_{\mathrm{found}}$"),
        ("prosecution.labour_visibility", r"$\ell$"),
        ("prosecution.partnership_boost", r"$\beta_{\mathrm{pr}}$"),
        ("policy.partnership.level", r"$P_r$"),
        ("prosecution.evidence_half", r"$e_{1/2}$"),
        ("prosecution.prosecution_base", r"$p_0$"),
        ("prosecution.conviction_base", r"$c_0$"),
        ("institutions.corruption", r"$\kappa_r$"),
        ("policy.prosecution.sentence_years", r"$Y_r$"),
        ("prosecution.risk_memory_years", r"$T_\rho$"),
        ("cost.prosecution_usd", r"$c_{\mathrm{case}}$"),
    ],
    "params-courts": [
        ("prosecution.suspects_per_false_identification", r"$s_{\mathrm{FP}}$"),
        ("prosecution.wrongful_prosecution", r"$p_{\mathrm{w}}$"),
        ("prosecution.wrongful_conviction", r"$c_{\mathrm{w}}$"),
        ("institutions.bribe_usd", r"$b$"),
        ("prosecution.pretrial_detention_share", r"$h$"),
        ("prosecution.trial_preparation_years", r"$T_{\mathrm{prep}}$"),
        ("policy.prosecution.trials_per_100k_per_year", r"$K_r$"),
        ("prosecution.witness_withdrawal_per_year", r"$\omega$"),
        ("cost.trial_usd_per_year", r"$c_K$"),
    ],
    "params-descent": [
        ("servitude.hereditary_per_100k", r"$H_r$"),
        ("servitude.domestic_share", r"$d_r$"),
        ("servitude.household_size", r"$n_H$"),
        ("servitude.births_per_year", r"$\beta_H$"),
    ],
    "params-protection": [
        ("policy.protection.service_years", r"$Y^s_j$"),
        ("policy.protection.service_quality", r"$q_j$"),
        ("protection.reintegration_vulnerability_cut", r"$\zeta$"),
        ("protection.reintegration_awareness", r"$a_R$"),
    ],
    "params-survivors": [
        ("survivors.recovery_per_year", r"$\kappa$"),
        ("survivors.record_recovery_factor", r"$\rho_{\mathrm{rec}}$"),
        ("survivors.record_self_report_factor", r"$\rho_{\mathrm{rep}}$"),
        ("survivors.followup_years", r"$T_f$"),
        ("survivors.followup_reach", r"$p_f$"),
    ],
    "params-harm": [
        ("harm.usd_per_qaly", r"$V_Q$"),
        ("harm.qaly_loss_sexual_per_year", r"$h_{\mathrm{sex}}$"),
        ("harm.qaly_loss_labour_per_year", r"$h_{\mathrm{lab}}$"),
        ("harm.qaly_loss_domestic_per_year", r"$h_{\mathrm{dom}}$"),
        ("harm.qaly_loss_criminality_per_year", r"$h_{\mathrm{crim}}$"),
        ("harm.qaly_loss_recovering_per_year", r"$h_U$"),
        ("harm.qaly_loss_punishment", r"$h_P$"),
    ],
    "params-demography": [
        ("demography.turnover_per_year", r"$\lambda_{\mathrm{turn}}$"),
        ("demography.child_ageing_per_year", r"$\lambda_{\mathrm{age}}$"),
        ("demography.free_child_ageing_per_year", r"$\lambda^{\mathrm{free}}_{\mathrm{age}}$"),
        ("population.vulnerability_mean", r"$\bar v_r$"),
        ("population.vulnerability_sd", r"$s_r$"),
        ("population.female_share", r"$p^{\mathrm{fem}}_r$"),
        ("population.child_share", r"$p^{\mathrm{child}}_r$"),
    ],
    "params-budget": [
        ("budget.total_usd_per_year", r"$\mathcal{B}$"),
        ("budget.share_prosecution", r"$b_{\mathrm{pros}}$"),
        ("budget.share_protection", r"$b_{\mathrm{prot}}$"),
        ("budget.share_prevention", r"$b_{\mathrm{prev}}$"),
        ("budget.share_partnership", r"$b_{\mathrm{part}}$"),
        ("budget.saturation", r"$k_{\mathrm{sat}}$"),
        ("cost.investigator_usd_per_year", r"$c_I$"),
        ("cost.labour_inspector_usd_per_year", r"$c_L$"),
        ("cost.outreach_worker_usd_per_year", r"$c_O$"),
        ("cost.shelter_bed_usd_per_year", r"$c_B$"),
        ("cost.awareness_usd_per_person", r"$c_a$"),
        ("cost.empowerment_usd_per_person", r"$c_e$"),
        ("cost.partnership_usd_per_100k_per_year", r"$c_P$"),
        ("budget.protection_share_shelter", r"$\beta_B$"),
        ("budget.protection_share_inspection", r"$\beta_L$"),
        ("budget.protection_share_outreach", r"$\beta_O$"),
        ("budget.prevention_share_awareness", r"$\beta_a$"),
        ("budget.prevention_share_empowerment", r"$\beta_e$"),
        ("cost.price_level", r"$\pi_r$"),
    ],
    "params-index": [
        ("policy_index.investigators_per_100k", r"$k_I$"),
        ("policy_index.shelter_beds_per_100k", r"$k_B$"),
        ("policy_index.labour_inspectors_per_100k", r"$k_L$"),
        ("policy_index.awareness_reach", r"$k_a$"),
        ("policy_index.empowerment_reach", r"$k_e$"),
    ],
}

# Keys outside the model's dynamics: they describe the run or the viewer.
OUTSIDE_MODEL = {"scenario.name", "scenario.description", "map.x", "map.y"}

# How each per-run summary is computed (docs/model.md, section 6). Sums run
# over the measured steps t = t_burn .. T-1 and over regions; means divide by
# the number of measured steps; Y is the measured time in years.
SUMMARY_FORMULAS: dict[str, str] = {
    "exploited_mean": r"$\overline{X}$ = mean over measured steps of `persons_by_state[EXPLOITED]`",
    "prevalence_per_1000": r"$1000\,\overline{X}/N$",
    "sexual_share_of_exploited": r"mean `exploited_by_form[SEXUAL]` / $\overline{X}$",
    "debt_bonded_share_of_labour": r"mean `exploited_debt_bonded[LABOUR + DOMESTIC_SERVITUDE]` / mean `exploited_by_form[LABOUR + DOMESTIC_SERVITUDE]`",
    "victim_years": r"$\Delta\,\sum$ `victim_steps`",
    "recruitments": r"$\sum$ `recruitments_by_method`",
    "recruitments_retrafficked": r"$\sum$ `recruitments_retrafficked`",
    "trafficker_profit": r"$\sum$ `trafficker_profit`",
    "profit_per_victim_year": r"`trafficker_profit` / `victim_years`",
    "profit_ratio_sexual_to_labour": r"(profit / victim-steps of SEXUAL) / (profit / victim-steps of LABOUR)",
    "traffickers_active_final": r"`traffickers_active` at the last step",
    "exploited_final": r"`persons_by_state[EXPLOITED]` at the last step",
    "identified": r"$\sum$ `identified_by_form`",
    "identification_rate": r"(`identified` / $Y$) / $\overline{X}$",
    "labour_share_identified": r"identified LABOUR + DOMESTIC_SERVITUDE / `identified`",
    "female_share_identified": r"$\sum$ `identified_female` / `identified`",
    "child_share_identified": r"$\sum$ `identified_children` / `identified`",
    "forced_criminality_share_identified": r"identified FORCED_CRIMINALITY / `identified`",
    "abroad_share_identified": r"$\sum$ `identified_abroad` / `identified`",
    "law_enforcement_share_identified": r"`identifications_by_channel[POLICE + BORDER_SCREENING + INVESTIGATION]` / `identified`",
    "self_report_share_identified": r"`identifications_by_channel[SELF_REPORT]` / `identified`",
    "false_share_identified": r"$\sum$ `false_identifications` / `identified`",
    "victim_identification_rate": r"((`identified` $-\sum$ `false_identifications`) / $Y$) / $\overline{X}$",
    "arrests_for_offences": r"$\sum$ `other_cases[OFFENCE]`",
    "victim_share_of_arrests": r"$\sum$ `victims_in_other_cases[OFFENCE]` / `arrests_for_offences`",
    "protection_entries": r"$\sum$ `protection_entries`",
    "protection_turned_away": r"$\sum$ `protection_turned_away`",
    "investigations": r"$\sum$ `investigations`",
    "prosecutions": r"$\sum$ `prosecutions`",
    "convictions": r"$\sum$ `convictions`",
    "acquittals": r"$\sum$ `acquittals`",
    "court_backlog_final": r"`court_backlog` at the last step",
    "years_to_verdict": r"$\sum$ `case_years_to_verdict` / (`convictions` + `acquittals`)",
    "conviction_per_prosecution": r"`convictions` / `prosecutions`",
    "conviction_per_identified": r"`convictions` / `identified`",
    "labour_share_prosecutions": r"$\sum$ `prosecutions[LABOUR]` / `prosecutions`",
    "wrongful_convictions": r"$\sum$ `wrongful_convictions`",
    "bribes_paid": r"$\sum$ `bribes_paid`",
    "exits_from_trafficking": r"$\sum$ `exits_from_trafficking`",
    "victims_punished": r"$\sum$ `victims_punished`",
    "survivor_years_recovering": r"$\mathrm{SY}_U = \Delta\,\sum$ `survivors_recovering`",
    "retrafficked_share_at_followup": r"`survivor_pathways[*:RETRAFFICKED]` / `survivor_pathways`",
    "retrafficked_share_protected": r"`survivor_pathways[PROTECTED:RETRAFFICKED]` / `survivor_pathways[PROTECTED:*]`",
    "retrafficked_share_unprotected": r"the same over the other routes",
    "recovered_share_at_followup": r"`survivor_pathways[*:RECOVERED]` / `survivor_pathways`",
    "harm_qalys": r"$H_Q = \sum_f h_f\,\Delta\sum$ `victim_steps[f]` $+ h_U\,\mathrm{SY}_U + h_P\sum$ `victims_punished`",
    "harm_usd": r"$V_Q\,H_Q$",
    "identified_previously_assisted_share": r"$\sum$ `identified_previously_assisted` / `identified`",
    "spending_prosecution": r"$\sum$ `spending[PROSECUTION]`",
    "spending_protection": r"$\sum$ `spending[PROTECTION]`",
    "spending_prevention": r"$\sum$ `spending[PREVENTION]`",
    "spending_partnership": r"$\sum$ `spending[PARTNERSHIP]`",
    "spending_total": r"sum of the four above",
}

# ---- the metric tables -----------------------------------------------------------------


@dataclass
class Metric:
    name: str
    axis: str
    nature: str
    type: str
    units: str
    long_name: str
    layer: str
    basis: str


def read_metrics(reference: dict) -> tuple[list[Metric], list[tuple[str, str, str, str, str]],
                                           dict[str, list[str]]]:
    metrics = [Metric(m["name"], m["axis"], m["nature"], m["type"], m["units"], m["long_name"], m["layer"],
                      m["basis"]) for m in reference["metrics"]]
    summaries = [(s["name"], s["units"], s["long_name"], s["layer"], s["basis"]) for s in reference["summaries"]]
    if not summaries:
        sys.exit(f"{Path(__file__).name}: the program lists no summaries")
    axes = {a["axis"]: a["labels"] for a in reference["axes"]}
    return metrics, summaries, axes


# ---- rendering ----------------------------------------------------------------------------

AXIS_DIMENSION = {"None": "—", "State": "state", "Form": "form", "Market": "market", "Method": "method",
                  "Channel": "channel", "CaseType": "case_type", "Pillar": "pillar", "Adjacent": "situation",
                  "Record": "record", "Exit": "exit", "Pathway": "pathway", "Followup": "followup"}


def scope_text(p: Param) -> str:
    return "regional" if p.scope == "Regional" else "global"


def params_block(name: str, by_key: dict[str, Param]) -> str:
    rows = ["| symbol | key | default | unit | scope |", "|---|---|---|---|---|"]
    for key, symbol in SYMBOLS[name]:
        p = by_key.get(key)
        if p is None:
            sys.exit(f"{Path(__file__).name}: block {name} names '{key}', which sim/model/parameters.def lacks")
        rows.append(f"| {symbol} | `{p.key}` | {default_text(p)} | {cell(unit_text(p))} | {scope_text(p)} |")
    return "\n".join(rows)


def metrics_block(metrics: list[Metric]) -> str:
    rows = ["| metric | layer | category axis | stock / flow | units | what it counts |",
            "|---|---|---|---|---|---|"]
    for m in metrics:
        rows.append(f"| `{m.name}` | {m.layer} | {AXIS_DIMENSION[m.axis]} | {m.nature.lower()} | "
                    f"{cell(m.units)} | {cell(m.long_name)} |")
    return "\n".join(rows)


def summaries_block(summaries: list[tuple[str, str, str, str, str]]) -> str:
    rows = ["| summary | layer | units | meaning | computed as |", "|---|---|---|---|---|"]
    for name, units, long_name, layer, _basis in summaries:
        formula = SUMMARY_FORMULAS.get(name)
        if formula is None:
            sys.exit(f"{Path(__file__).name}: summary '{name}' (sim/model/metrics.cpp) has no entry in SUMMARY_FORMULAS")
        rows.append(f"| `{name}` | {layer} | {cell(units)} | {cell(long_name)} | {formula} |")
    extra = set(SUMMARY_FORMULAS) - {s[0] for s in summaries}
    if extra:
        sys.exit(f"{Path(__file__).name}: SUMMARY_FORMULAS names unknown summaries: {sorted(extra)}")
    return "\n".join(rows)


def axes_block(axes: dict[str, list[str]]) -> str:
    rows = ["| axis (dimension) | labels, in index order |", "|---|---|"]
    for axis, labels in axes.items():
        rows.append(f"| {AXIS_DIMENSION[axis]} | {', '.join(f'`{x}`' for x in labels)} |")
    return "\n".join(rows)


REFERENCE_HEADER = """\
# Scenario reference

<!-- Generated from sim/model/parameters.def by scripts/gen_param_reference.py; do not edit by hand.
     Regenerate with: /usr/bin/python3 scripts/gen_param_reference.py -->

Every key a tipsim scenario accepts, with its kind, scope, default, allowed
range, unit and meaning. The table is generated from `sim/model/parameters.def`,
the single declaration that also drives the scenario loader, the resolved
parameter dump in every run file and the viewer's sliders. What each key does
in the model, with the equations, is in [model.md](model.md).

## The scenario file

A scenario is a [TOML](https://toml.io) file. Every key is optional; a key
left out takes the default below.

```toml
# Top-level keys: written dotted, or grouped under a TOML table.
scenario.name  = "two-region example"
scenario.steps = 520                      # 10 years of 7-day steps
population.size = 200000

[policy.protection]                       # the same as policy.protection.hotline = 0.6
hotline = 0.6

# Regions: an array of tables. Each needs a unique name; any *regional* key
# set here overrides the world-wide value for that region only.
[[region]]
name = "Origin"
population.share = 1
population.vulnerability_mean = 0.45
institutions.corruption = 0.5

[[region]]
name = "Destination"
population.share = 3
market.demand_construction_per_100k = 150
policy.protection.shelter_beds_per_100k = 2

# Routes: people recruited in `from` are exploited in `to` with probability
# `share`; the rest of a region's recruits are exploited at home.
[[route]]
from = "Origin"
to = "Destination"
share = 0.4
transit_days = 21                         # optional; default movement.transit_days

# Interventions: a time-bounded change of regional keys.
[[intervention]]
name = "shelter expansion"
start_step = 104                          # active for start_step <= step < end_step
end_step = 364                            # optional; default: to the end of the run
region = "Destination"                    # optional; default "all" (every region)
ramp_steps = 26                           # optional; default 0 (full strength at once)
[intervention.set]
"policy.protection.shelter_beds_per_100k" = 6
"policy.protection.non_punishment" = true
[intervention.scale]
"institutions.corruption" = 0.5
```

**Top-level keys.** Any key of the table below, global or regional. A
regional key at the top level is the world-wide default of every region.

**`[[region]]`** (optional, at most 255). `name` (required, unique, not
`"all"`) and any *regional* key. A global key inside a region is an error.
Without any `[[region]]` the world is one region named `world`. People are
split over regions in proportion to `population.share`.

**`[[route]]`** (optional). `from`, `to` (region names, different),
`share` (a probability in [0, 1]) and optionally `transit_days` (the mean
time in transit in days, from 0 to 3650; default `movement.transit_days`).
The shares of the routes out of a region must add up to at most 1; what
remains is domestic trafficking (people exploited in their home region). At
most one route per ordered pair of regions.

**Times in days, rates per year.** Keys that once counted steps are
refused with what replaced them, so that a scenario keeps its real
durations at any `scenario.step_days`: `movement.transit_steps`,
`movement.domestic_delay_steps` and a route's `transit_steps` are now
`movement.transit_days`, `movement.domestic_delay_days` and `transit_days`
(steps × `scenario.step_days`), and `identification.border_detection_per_step`
is `identification.border_detection_rate_per_year` (a probability $p$ per
step is the hazard $-\\ln(1-p) \\times 365 /$ `scenario.step_days`).

**`[[intervention]]`** (optional). `name` (text; default "intervention N"),
`start_step` (required), `end_step` (optional, must exceed `start_step`),
`region` (a region name or `"all"`), `ramp_steps` (whole steps), and at least
one of three tables of *regional* keys:

- `[intervention.set]`: the key takes the given value;
- `[intervention.scale]`: the key's value is multiplied by the given factor
  (a number of at least 0; switches cannot be scaled);
- `[intervention.add]`: the given amount, in the key's unit, is added to the
  key's value (switches cannot be added to). `tipsim allocate` writes its
  added effort this way.

Within one intervention a key may be set, scaled or added to, not two of these. While the
intervention is active, a numeric key moves from the value it would otherwise
have to its target by the ramp weight
$w = \\min\\bigl(1, (t - t_{\\mathrm{start}} + 1)/\\mathrm{ramp}\\bigr)$
(1 without a ramp); a switch takes its target once $w \\ge 1/2$. Targets are
clamped to the key's range. Interventions apply in the order they are listed,
each to the result of the previous ones, after budget mode; when the window
closes the key returns to its scenario value at once.
Interventions that cover step 0 are applied from the first step, but the
reference attractiveness of crime against which trafficker entry is measured
(model.md, section 4.3) is taken before any intervention.

**`extends`** (optional, top level). `extends = "baseline.toml"` starts
from another scenario file (a path relative to the folder of the file that
names it; chains are allowed, circles are not). The base is read first, then
this file on top of it:

- a top-level key replaces the base's world-wide value (a region of the base
  that sets the key itself keeps its own value);
- a `[[region]]` whose name the base has adds to or replaces that region's
  keys; a new name adds a region;
- a `[[route]]` between two regions the base already links replaces that
  route; other routes are added;
- `[[intervention]]` tables are added after the base's.

```toml
extends = "baseline.toml"
scenario.name = "prosecution_surge"

[[intervention]]
name = "more investigators"
start_step = 52
[intervention.scale]
"policy.prosecution.investigators_per_100k" = 3
```

**Command-line overrides.** The commands that read a scenario
(`tipsim run`, `sweep`, `compare`, `validate`) take `--set KEY=VALUE` for any key, with
the same checks as the file, and
`--set region.NAME.KEY=VALUE` for a regional key of one region. A
world-level `--set` of a regional key changes the world default, which
only the regions without their own value take: tipsim prints a note naming
the regions that keep theirs. `--scale KEY=FACTOR` multiplies a real-valued
key's world value and every region's own value (after every value is set;
two factors multiply), so "investigators x0.5" means the same thing in a
world whose regions differ; `tipsim sweep --vary KEY*=F1,F2,...` varies
that factor. Routes and interventions are changed in the file only.

**Validation.** Every problem is reported in one pass with file, line,
column, key, value and the rule broken: unknown keys (with the closest known
ones), wrong types, values out of range, a global key where only regional
keys are allowed, `population.vulnerability_sd` too large for its mean (a
Beta distribution needs $\\mathrm{sd} < \\sqrt{\\mathrm{mean}(1-\\mathrm{mean})}$),
route shares above 1, unknown region names, budget mode with all shares 0.

## Reading the table

- **Kind**: Real, Integer (whole number), Boolean (`true`/`false`), Text.
- **Scope**: *global* keys hold one value for the whole world; *regional*
  keys are world-wide defaults that a `[[region]]` table may override and an
  `[[intervention]]` may set or scale.
- **Range**: inclusive bounds; values outside are rejected.
- **Unit** `1` means dimensionless (a share, a probability, a factor).
  "Per 100 000 population" counts against the region's agents, so such
  densities mean the same at any `population.scale`. Rates "per year" are
  hazards, turned into a probability per step as $1 - e^{-\\lambda\\Delta}$ with
  $\\Delta$ the step length in years, except where model.md says otherwise.
- Money is in US dollars at United States prices; a region's
  `cost.price_level` scales every unit cost spent there. Everything `tipsim`
  prints, and the run file's summaries and effects, are in real people and
  real USD; the per-step series count agents (their `basis` attribute says
  so: multiply by `population.scale`). Money is never divided by the scale.
- `scenario.name` defaults to the scenario file's name without extension.
"""


def reference_md(params: list[Param]) -> str:
    out = [REFERENCE_HEADER.rstrip("\n")]
    group = None
    for p in params:
        if p.group != group:
            group = p.group
            out.append(f"\n## {group[0].upper() + group[1:]}\n")
            out.append("| key | kind | scope | default | range | unit | meaning |")
            out.append("|---|---|---|---|---|---|---|")
        out.append(f"| `{p.key}` | {p.kind.lower()} | {scope_text(p)} | {default_text(p)} | "
                   f"{range_text(p)} | {cell(unit_text(p))} | {cell(p.doc)} |")
    out.append("")
    return "\n".join(out)


def fill_model_md(text: str, blocks: dict[str, str]) -> str:
    seen = set()

    def replace(m: re.Match) -> str:
        name = m.group(1)
        if name not in blocks:
            sys.exit(f"{MODEL_MD}: unknown generated block '{name}'")
        seen.add(name)
        return f"<!-- BEGIN GENERATED: {name} -->\n{blocks[name]}\n<!-- END GENERATED: {name} -->"

    new = re.sub(r"<!-- BEGIN GENERATED: ([\w-]+) -->.*?<!-- END GENERATED: \1 -->", replace, text, flags=re.S)
    missing = set(blocks) - seen
    if missing:
        sys.exit(f"{MODEL_MD}: no place for the generated blocks {sorted(missing)}")
    return new


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a generated file is out of date")
    add_tipsim_option(parser)
    args = parser.parse_args()

    reference = read_reference(args.tipsim)
    params = read_params(reference)
    by_key = {p.key: p for p in params}
    listed = {key for rows in SYMBOLS.values() for key, _ in rows}
    unlisted = [p.key for p in params if p.key not in listed and p.key not in OUTSIDE_MODEL]
    if unlisted:
        sys.exit(f"{Path(__file__).name}: these parameters are in no phase table of docs/model.md; "
                 f"add them to SYMBOLS or OUTSIDE_MODEL: {', '.join(unlisted)}")
    metrics, summaries, axes = read_metrics(reference)

    blocks = {name: params_block(name, by_key) for name in SYMBOLS}
    blocks["metrics"] = metrics_block(metrics)
    blocks["summaries"] = summaries_block(summaries)
    blocks["axes"] = axes_block(axes)

    outputs = {
        REFERENCE_MD: reference_md(params),
        MODEL_MD: fill_model_md(MODEL_MD.read_text(encoding="utf-8"), blocks),
    }
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date (run /usr/bin/python3 scripts/gen_param_reference.py): "
              + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
