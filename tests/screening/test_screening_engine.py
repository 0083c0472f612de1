"""The rule engine and the default criteria set, without a database: every criterion
of the default set met, not met and unknown from hand-made patient records, snapshots
and findings; the decision rule; three-valued logic; look-back windows; evidence."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from respira.diagnostics.snapshot import ClinicalSnapshot, Dated
from respira.screening import engine, service
from respira.screening.engine import CriterionResult, Fact
from tests.screening.screening_helpers import TODAY, dated, facts_for

DEFAULT = engine.load(service.shipped_default_text())
BY_ID = {c.id: c for c in DEFAULT.criteria}


def status_of(criterion_id: str, **changes: Any) -> CriterionResult:
    extra = changes.pop("facts", {})
    found = facts_for(**changes)
    found.update(extra)
    return engine.evaluate_criterion(BY_ID[criterion_id], found, TODAY)


def days(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def born_aged(years: int, *, birthday_passed: bool = True) -> dt.date:
    day = TODAY.replace(year=TODAY.year - years)
    return day if birthday_passed else day + dt.timedelta(days=1)


F, S, P = "findings", "snapshot", "patient"


def _controlled(**changes: Any) -> dict[str, Any]:
    """Diagnostics of a patient controlled on every count of ``uncontrolled_asthma``."""
    return {
        "act_score": dated(22, 5),
        "acq_score": dated(0.5, 5),
        "exacerbations_12m": dated(1, 5),
        "hospitalisations_12m": dated(0, 5),
        "rescue_puffs_per_week": dated(2.0, 5),
        "fev1_post_pctpred": dated(85.0, 5),
        **changes,
    }


def _quit(days_ago: int) -> dict[str, Any]:
    return {"ever_smoked": "yes", "current_smoker": "no", "smoking_quit_on": days(days_ago)}


MET, NOT, UNK = "met", "not_met", "unknown"

# (criterion, expected status, what the case shows, changes to the eligible candidate)
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    # --- exclusions (met = the patient is excluded)
    ("active_infection", MET, "pneumonia", {F: {"pneumonia": "yes"}}),
    ("active_infection", MET, "active TB", {F: {"active_tuberculosis": "yes"}}),
    ("active_infection", MET, "other infection", {F: {"other_active_infection": "yes"}}),
    ("active_infection", NOT, "all three assessed no", {}),
    ("active_infection", UNK, "TB not assessed", {F: {"active_tuberculosis": "unknown"}}),
    ("active_infection", UNK, "no findings at all", {"no_findings": True}),
    ("severe_cardiac_disease", MET, "NYHA III", {F: {"heart_failure_nyha": "III"}}),
    ("severe_cardiac_disease", MET, "NYHA IV", {F: {"heart_failure_nyha": "IV"}}),
    ("severe_cardiac_disease", MET, "unstable", {F: {"unstable_cardiac_disease": "yes"}}),
    ("severe_cardiac_disease", NOT, "NYHA II is below the cut", {F: {"heart_failure_nyha": "II"}}),
    ("severe_cardiac_disease", NOT, "no heart failure", {}),
    ("severe_cardiac_disease", UNK, "NYHA not assessed", {F: {"heart_failure_nyha": None}}),
    ("severe_renal_failure", MET, "eGFR 29.9", {F: {"egfr_ml_min_1_73m2": 29.9}}),
    ("severe_renal_failure", MET, "dialysis", {F: {"dialysis": "yes"}}),
    ("severe_renal_failure", NOT, "eGFR exactly 30", {F: {"egfr_ml_min_1_73m2": 30.0}}),
    ("severe_renal_failure", NOT, "eGFR 88", {}),
    (
        "severe_renal_failure",
        UNK,
        "no eGFR",
        {F: {"egfr_ml_min_1_73m2": None, "egfr_measured_on": None}},
    ),
    ("pregnancy_or_lactation", MET, "pregnant", {F: {"pregnant": "yes"}}),
    ("pregnancy_or_lactation", MET, "lactating", {F: {"lactating": "yes"}}),
    ("pregnancy_or_lactation", NOT, "neither", {}),
    (
        "pregnancy_or_lactation",
        NOT,
        "male: pregnancy questions do not apply",
        {P: {"sex_at_birth": "male"}, F: {"pregnant": "unknown", "lactating": "unknown"}},
    ),
    ("pregnancy_or_lactation", UNK, "not assessed", {F: {"pregnant": "unknown"}}),
    ("malignancy", MET, "yes", {F: {"malignancy_active_or_within_5y": "yes"}}),
    ("malignancy", NOT, "no", {}),
    ("malignancy", UNK, "not assessed", {F: {"malignancy_active_or_within_5y": "unknown"}}),
    (
        "recent_exacerbation",
        MET,
        "exacerbation 10 days ago",
        {S: {"last_exacerbation": dated(days(10), 5)}},
    ),
    (
        "recent_exacerbation",
        MET,
        "steroid course exactly 28 days ago",
        {S: {"last_systemic_corticosteroid_course": dated(days(28), 5)}},
    ),
    ("recent_exacerbation", NOT, "both 60 days ago", {}),
    (
        "recent_exacerbation",
        NOT,
        "steroid course 29 days ago, none recorded since",
        {
            S: {
                "last_systemic_corticosteroid_course": dated(days(29), 5),
                "last_exacerbation": dated(None, 5),
            }
        },
    ),
    (
        "recent_exacerbation",
        NOT,
        "history unknown, the screening-day answer is no",
        {S: {"last_exacerbation": None}},
    ),
    (
        "recent_exacerbation",
        MET,
        "the screening-day answer is yes",
        {F: {"exacerbation_or_scs_4w": "yes"}},
    ),
    (
        "recent_exacerbation",
        UNK,
        "not asked on the screening date",
        {F: {"exacerbation_or_scs_4w": "unknown"}},
    ),
    (
        "recent_exacerbation",
        UNK,
        "blank steroid date, no exacerbations, not asked",
        {
            S: {"last_systemic_corticosteroid_course": None, "last_exacerbation": dated(None, 5)},
            F: {"exacerbation_or_scs_4w": "unknown"},
        },
    ),
    ("recent_respiratory_infection", MET, "yes", {F: {"respiratory_infection_4w": "yes"}}),
    ("recent_respiratory_infection", NOT, "no", {}),
    (
        "recent_respiratory_infection",
        UNK,
        "not assessed",
        {F: {"respiratory_infection_4w": "unknown"}},
    ),
    ("smoking", MET, "current smoker", {F: {"current_smoker": "yes", "ever_smoked": "yes"}}),
    ("smoking", MET, "vaping", {F: {"vaping": "yes"}}),
    ("smoking", MET, "10.5 pack-years", {P: {"smoking_pack_years": 10.5}}),
    # ASTEC: fewer than 10 pack-years; 10 excludes.
    ("smoking", MET, "exactly 10 pack-years", {P: {"smoking_pack_years": 10.0}}),
    ("smoking", NOT, "9.9 pack-years, never smoking now", {P: {"smoking_pack_years": 9.9}}),
    ("smoking", NOT, "never smoked", {}),
    # Non-smoker for 12 months (ASTEC, NCT02192736): stopped 365 days ago passes.
    ("smoking", MET, "stopped 364 days ago", {F: _quit(364)}),
    ("smoking", NOT, "stopped 365 days ago", {F: _quit(365)}),
    ("smoking", NOT, "stopped 366 days ago", {F: _quit(366)}),
    (
        "smoking",
        UNK,
        "former smoker, quit date unknown",
        {F: {"ever_smoked": "yes", "smoking_quit_on": None}},
    ),
    ("smoking", UNK, "pack-years not recorded", {P: {"smoking_pack_years": None}}),
    ("smoking", UNK, "vaping not assessed", {F: {"vaping": "unknown"}}),
    ("alternative_diagnosis", MET, "yes", {F: {"alternative_diagnosis": "yes"}}),
    ("alternative_diagnosis", NOT, "no", {}),
    ("alternative_diagnosis", UNK, "not assessed", {F: {"alternative_diagnosis": "unknown"}}),
    ("hypereosinophilia", MET, "1501/µL", {S: {"blood_eosinophils_per_ul": dated(1501.0, 5)}}),
    (
        "hypereosinophilia",
        NOT,
        "exactly 1500/µL",
        {S: {"blood_eosinophils_per_ul": dated(1500.0, 5)}},
    ),
    ("hypereosinophilia", UNK, "never measured", {S: {"blood_eosinophils_per_ul": None}}),
    ("hepatic_impairment", MET, "yes", {F: {"hepatic_impairment": "yes"}}),
    ("hepatic_impairment", NOT, "no", {}),
    ("hepatic_impairment", UNK, "not assessed", {F: {"hepatic_impairment": "unknown"}}),
    ("recent_immunosuppressant", MET, "yes", {F: {"immunosuppressant_30d": "yes"}}),
    ("recent_immunosuppressant", NOT, "no", {}),
    ("recent_immunosuppressant", UNK, "not assessed", {F: {"immunosuppressant_30d": "unknown"}}),
    ("recent_investigational_product", MET, "yes", {F: {"investigational_product_30d": "yes"}}),
    ("recent_investigational_product", NOT, "no", {}),
    (
        "recent_investigational_product",
        UNK,
        "not assessed",
        {F: {"investigational_product_30d": "unknown"}},
    ),
    ("excipient_allergy", MET, "yes", {F: {"excipient_allergy": "yes"}}),
    ("excipient_allergy", NOT, "no", {}),
    ("excipient_allergy", UNK, "not assessed", {F: {"excipient_allergy": "unknown"}}),
    # --- inclusion (met = the patient qualifies)
    ("adult_age", MET, "47 years", {}),
    ("adult_age", MET, "18th birthday today", {P: {"date_of_birth": born_aged(18)}}),
    ("adult_age", MET, "aged 65", {P: {"date_of_birth": born_aged(66, birthday_passed=False)}}),
    ("adult_age", NOT, "17 years", {P: {"date_of_birth": born_aged(18, birthday_passed=False)}}),
    ("adult_age", NOT, "66 years", {P: {"date_of_birth": born_aged(66)}}),
    ("adult_age", UNK, "age missing from the facts", {"facts": {"age_years": None}}),
    ("confirmed_asthma", MET, "BDR positive", {F: {"airflow_variability_documented": "no"}}),
    (
        "confirmed_asthma",
        MET,
        "BDR negative, challenge positive",
        {S: {"bdr_positive_ever": dated(False, 5)}},
    ),
    (
        "confirmed_asthma",
        NOT,
        "BDR negative, no other variability",
        {S: {"bdr_positive_ever": dated(False, 5)}, F: {"airflow_variability_documented": "no"}},
    ),
    (
        "confirmed_asthma",
        UNK,
        "BDR negative, other evidence not assessed",
        {
            S: {"bdr_positive_ever": dated(False, 5)},
            F: {"airflow_variability_documented": "unknown"},
        },
    ),
    ("informed_consent", MET, "consent and capacity", {}),
    ("informed_consent", NOT, "no consent", {F: {"informed_consent": "no"}}),
    ("informed_consent", UNK, "capacity not assessed", {F: {"decision_capacity": "unknown"}}),
    # --- suitability
    ("uncontrolled_asthma", MET, "ACT, exacerbations, hospitalisation", {}),
    (
        "uncontrolled_asthma",
        MET,
        "ACT 19 alone",
        {
            S: {
                "act_score": dated(19, 5),
                "exacerbations_12m": dated(0, 5),
                "hospitalisations_12m": dated(0, 5),
                "fev1_post_pctpred": dated(85.0, 5),
            }
        },
    ),
    (
        "uncontrolled_asthma",
        MET,
        "two hospitalisations alone",
        {S: _controlled(exacerbations_12m=dated(2, 5), hospitalisations_12m=dated(2, 5))},
    ),
    (
        "uncontrolled_asthma",
        NOT,
        "one hospitalisation is not repeated",
        {S: _controlled(exacerbations_12m=dated(1, 5), hospitalisations_12m=dated(1, 5))},
    ),
    (
        "uncontrolled_asthma",
        MET,
        "rescue inhaler 11.5 puffs a week alone",
        {S: _controlled(rescue_puffs_per_week=dated(11.5, 5))},
    ),
    (
        "uncontrolled_asthma",
        NOT,
        "rescue inhaler 11.4 puffs a week",
        {S: _controlled(rescue_puffs_per_week=dated(11.4, 5))},
    ),
    ("uncontrolled_asthma", NOT, "controlled on every count", {S: _controlled()}),
    (
        "uncontrolled_asthma",
        UNK,
        "ACT 22 but no ACQ and no post-BD spirometry",
        {S: _controlled(acq_score=None, fev1_post_pctpred=None)},
    ),
    (
        "uncontrolled_asthma",
        UNK,
        "controlled otherwise, rescue use not recorded",
        {S: _controlled(rescue_puffs_per_week=None)},
    ),
    ("despite_standard_treatment", MET, "step 5, adherent", {}),
    ("despite_standard_treatment", NOT, "step 3", {S: {"gina_step": dated(3, 5)}}),
    (
        "despite_standard_treatment",
        UNK,
        "adherence unknown",
        {S: {"adherence_confirmed": None}},
    ),
    ("stable_general_health", MET, "yes", {}),
    ("stable_general_health", NOT, "no", {F: {"stable_general_health": "no"}}),
    ("stable_general_health", UNK, "not assessed", {F: {"stable_general_health": "unknown"}}),
    ("tb_screened", MET, "IGRA negative", {}),
    (
        "tb_screened",
        MET,
        "IGRA positive, active TB ruled out",
        {F: {"tb_screening_result": "positive"}},
    ),
    (
        "tb_screened",
        NOT,
        "IGRA positive, active TB",
        {F: {"tb_screening_result": "positive", "active_tuberculosis": "yes"}},
    ),
    (
        "tb_screened",
        UNK,
        "not screened",
        {F: {"tb_screening_result": None, "tb_screening_on": None}},
    ),
    (
        "tb_screened",
        UNK,
        "IGRA indeterminate, active TB not assessed",
        {F: {"tb_screening_result": "indeterminate", "active_tuberculosis": "unknown"}},
    ),
    ("thrombosis_risk", MET, "no risk factor", {}),
    ("thrombosis_risk", NOT, "risk factor", {F: {"thrombosis_risk": "yes"}}),
    ("thrombosis_risk", UNK, "not assessed", {F: {"thrombosis_risk": "unknown"}}),
]


def test_every_default_criterion_has_a_met_a_not_met_and_an_unknown_case():
    seen: dict[str, set[str]] = {}
    for cid, status, _, _ in CASES:
        seen.setdefault(cid, set()).add(status)
    assert set(seen) == set(BY_ID), "a criterion of the default set has no test cases"
    for cid, statuses in seen.items():
        assert statuses == {MET, NOT, UNK}, f"{cid} lacks cases: {statuses}"


@pytest.mark.parametrize(
    ("criterion_id", "expected", "changes"),
    [pytest.param(c, s, ch, id=f"{c}-{s}-{what}") for c, s, what, ch in CASES],
)
def test_default_criterion_status_from_the_facts(criterion_id, expected, changes):
    result = status_of(criterion_id, **changes)
    assert result.status == expected, result.evidence
    assert result.evidence, "every status names its evidence"
    if expected == UNK:
        assert "unknown" in result.evidence


def test_the_eligible_candidate_is_eligible_with_every_criterion_as_expected():
    result = engine.evaluate(DEFAULT, facts_for(), TODAY)
    assert result.decision == "eligible"
    for r in result.results:
        assert r.status == (NOT if r.kind == "exclusion" else MET), (r.id, r.evidence)


def test_default_set_cites_a_source_for_every_criterion_and_keeps_exclusions_required():
    assert DEFAULT.version == "respira-default-2026.12"
    kinds = {c.kind for c in DEFAULT.criteria}
    assert kinds == {"exclusion", "inclusion", "suitability"}
    for c in DEFAULT.criteria:
        assert len(c.source) > 20, c.id
        if c.kind == "exclusion":
            assert c.required
    advisory = [c.id for c in DEFAULT.criteria if not c.required]
    assert advisory == ["thrombosis_risk"]


def test_default_set_encodes_the_programme_exclusions():
    # Programme brief: active infection (pneumonia, TB), severe cardiac or renal failure,
    # pregnancy; registered MSC trials (clinical.md §8): malignancy, recent exacerbation,
    # and the others.
    exclusions = {c.id for c in DEFAULT.criteria if c.kind == "exclusion"}
    assert exclusions >= {
        "active_infection",
        "severe_cardiac_disease",
        "severe_renal_failure",
        "pregnancy_or_lactation",
        "malignancy",
        "recent_exacerbation",
        "recent_respiratory_infection",
        "smoking",
        "alternative_diagnosis",
        "hypereosinophilia",
        "hepatic_impairment",
        "recent_immunosuppressant",
        "recent_investigational_product",
        "excipient_allergy",
    }
    facts_read = DEFAULT.facts_used()
    assert {"pneumonia", "active_tuberculosis", "egfr_ml_min_1_73m2", "dialysis"} <= facts_read


def test_the_fact_catalogue_covers_every_snapshot_field_and_nothing_else():
    fields = {f.name for f in dataclasses.fields(ClinicalSnapshot)} - {"patient_id"}
    diagnostics = {n for n, s in engine.FACTS.items() if s.origin == "diagnostics"}
    assert diagnostics == fields


# --- the decision rule ---------------------------------------------------------------


def decision_of(**changes: Any) -> tuple[str, tuple[str, ...]]:
    result = engine.evaluate(DEFAULT, facts_for(**changes), TODAY)
    return result.decision, result.reasons


def test_any_exclusion_met_makes_not_eligible_even_when_other_data_is_missing():
    decision, reasons = decision_of(
        findings={"pneumonia": "yes", "stable_general_health": "unknown"},
        snapshot={"act_score": None},
    )
    assert decision == "not_eligible"
    assert "exclusion met: active_infection" in reasons


def test_a_required_criterion_not_met_makes_not_eligible():
    decision, reasons = decision_of(snapshot={"gina_step": dated(2, 5)})
    assert decision == "not_eligible"
    assert reasons == ("required criterion not met: despite_standard_treatment",)


def test_an_unknown_exclusion_needs_review_never_passes():
    decision, reasons = decision_of(findings={"malignancy_active_or_within_5y": "unknown"})
    assert decision == "needs_review"
    assert reasons == ("unknown, needs data or review: malignancy",)


def test_an_unknown_required_inclusion_needs_review():
    decision, _ = decision_of(findings={"informed_consent": "unknown"})
    assert decision == "needs_review"


def test_an_advisory_criterion_neither_blocks_nor_needs_review():
    assert decision_of(findings={"thrombosis_risk": "yes"})[0] == "eligible"
    assert decision_of(findings={"thrombosis_risk": "unknown"})[0] == "eligible"


def test_no_data_at_all_needs_review_with_every_exclusion_unknown():
    empty = {name: None for name in engine.FACTS}
    result = engine.evaluate(DEFAULT, empty, TODAY)
    assert result.decision == "needs_review"
    for r in result.results:
        if r.kind == "exclusion":
            # pregnancy depends on sex at birth, which is missing too
            assert r.status == UNK, r.id


def _set(*criteria: str) -> engine.CriteriaSet:
    body = "\n".join(criteria)
    return engine.load(f'version = "t-1"\ntitle = "t"\n{body}')


def _crit(cid: str, kind: str, rule: str, required: bool = True) -> str:
    return (
        f'[[criterion]]\nid = "{cid}"\nkind = "{kind}"\ndescription = "d"\n'
        f'source = "s"\nrequired = {str(required).lower()}\nrule = {rule}\n'
    )


@pytest.mark.parametrize(
    ("exclusion", "inclusion", "expected"),
    [
        (True, True, "not_eligible"),
        (True, None, "not_eligible"),
        (None, False, "not_eligible"),
        (None, True, "needs_review"),
        (False, None, "needs_review"),
        (False, False, "not_eligible"),
        (False, True, "eligible"),
    ],
)
def test_decision_table_over_one_exclusion_and_one_inclusion(exclusion, inclusion, expected):
    criteria = _set(
        _crit("ex", "exclusion", '{ fact = "pneumonia", op = "eq", value = true }'),
        _crit("inc", "inclusion", '{ fact = "informed_consent", op = "eq", value = true }'),
    )
    facts: dict[str, Any] = {
        "pneumonia": None if exclusion is None else Fact(exclusion, TODAY, "f"),
        "informed_consent": None if inclusion is None else Fact(inclusion, TODAY, "f"),
    }
    assert engine.evaluate(criteria, facts, TODAY).decision == expected


# --- three-valued logic ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "a", "b", "expected"),
    [
        ("any", True, None, MET),
        ("any", False, None, UNK),
        ("any", False, False, NOT),
        ("any", None, None, UNK),
        ("all", False, None, NOT),
        ("all", True, None, UNK),
        ("all", True, True, MET),
        ("all", None, None, UNK),
    ],
)
def test_groups_combine_with_kleene_three_valued_logic(mode, a, b, expected):
    criteria = _set(
        _crit(
            "grp",
            "inclusion",
            f'{{ {mode} = [ {{ fact = "pneumonia", op = "eq", value = true }}, '
            f'{{ fact = "dialysis", op = "eq", value = true }} ] }}',
        )
    )
    facts: dict[str, Any] = {
        "pneumonia": None if a is None else Fact(a, TODAY, "f"),
        "dialysis": None if b is None else Fact(b, TODAY, "f"),
    }
    assert engine.evaluate(criteria, facts, TODAY).results[0].status == expected


def test_a_false_part_decides_all_and_the_evidence_names_it_not_the_missing_part():
    criteria = _set(
        _crit(
            "grp",
            "inclusion",
            '{ all = [ { fact = "pneumonia", op = "eq", value = true }, '
            '{ fact = "dialysis", op = "eq", value = true } ] }',
        )
    )
    facts: dict[str, Any] = {"pneumonia": Fact(False, TODAY, "findings 3"), "dialysis": None}
    result = engine.evaluate(criteria, facts, TODAY).results[0]
    assert result.status == NOT
    assert "findings 3" in result.evidence and "dialysis" not in result.evidence
    assert [f.fact for f in result.facts] == ["pneumonia", "dialysis"]


# --- look-back windows -------------------------------------------------------------------


def test_a_fact_on_the_last_day_of_its_window_counts():
    result = status_of("uncontrolled_asthma", snapshot=_only_act(dated(14, 90)))
    assert result.status == MET


def test_a_fact_older_than_its_window_is_unknown_and_the_evidence_says_so():
    result = status_of("uncontrolled_asthma", snapshot=_only_act(dated(14, 91)))
    assert result.status == UNK
    assert "older than the 90-day look-back window" in result.evidence
    assert (TODAY - dt.timedelta(days=91)).isoformat() in result.evidence
    stale = next(f for f in result.facts if f.fact == "act_score")
    assert stale.state == "stale" and stale.result is None


def _only_act(act: Dated[Any]) -> dict[str, Any]:
    return {
        "act_score": act,
        "acq_score": None,
        "exacerbations_12m": dated(0, 5),
        "hospitalisations_12m": dated(0, 5),
        "rescue_puffs_per_week": dated(2.0, 5),
        "fev1_post_pctpred": dated(90.0, 5),
    }


def test_findings_assessed_before_the_infection_window_make_active_infection_unknown():
    old = TODAY - dt.timedelta(days=29)
    result = status_of("active_infection", findings={"assessed_on": old})
    assert result.status == UNK
    assert "28-day look-back window" in result.evidence


def test_an_old_history_record_cannot_rule_out_a_recent_exacerbation():
    # The history record is 40 days old: it cannot say that nothing happened since; only
    # the question asked on the screening date can (issue 14).
    result = status_of(
        "recent_exacerbation",
        snapshot={
            "last_exacerbation": dated(days(200), 40),
            "last_systemic_corticosteroid_course": dated(days(200), 40),
        },
        findings={"exacerbation_or_scs_4w": "unknown"},
    )
    assert result.status == UNK


def test_within_days_counts_from_the_screening_date_and_none_means_no_event():
    criteria = _set(
        _crit(
            "win",
            "exclusion",
            '{ fact = "last_exacerbation", op = "within_days", value = 28, unit = "days" }',
        )
    )

    def status(value: Any) -> str:
        facts = {"last_exacerbation": Fact(value, TODAY, "history")}
        return engine.evaluate(criteria, facts, TODAY).results[0].status

    assert status(days(28)) == MET
    assert status(days(29)) == NOT
    assert status(None) == NOT


# --- evidence -------------------------------------------------------------------------


def test_evidence_names_the_value_unit_date_and_source():
    result = status_of("severe_renal_failure", findings={"egfr_ml_min_1_73m2": 25.0})
    assert result.status == MET
    assert "eGFR: 25 mL/min/1.73m²" in result.evidence
    assert (TODAY - dt.timedelta(days=10)).isoformat() in result.evidence
    assert "screening findings 7" in result.evidence
    assert "< 30 mL/min/1.73m²: holds" in result.evidence


def test_evidence_of_a_missing_fact_says_what_is_missing_and_where_it_belongs():
    result = status_of("hypereosinophilia", snapshot={"blood_eosinophils_per_ul": None})
    assert result.evidence == "blood eosinophils: not recorded (diagnostics) — unknown"


def test_a_question_answered_unknown_names_the_record_that_left_it_open():
    result = status_of("malignancy", findings={"malignancy_active_or_within_5y": "unknown"})
    assert "recorded as unknown" in result.evidence
    assert "screening findings 7" in result.evidence


def test_results_serialise_to_plain_json_values():
    result = engine.evaluate(DEFAULT, facts_for(), TODAY)
    as_dict = result.results[5].as_dict()
    assert as_dict["id"] == "recent_exacerbation"
    assert as_dict["recheck_before_infusion"] is True
    assert as_dict["facts"][1]["value"] == days(60).isoformat()
    assert set(as_dict) >= {"id", "description", "status", "evidence"}
