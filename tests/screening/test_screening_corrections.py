"""Issue 14's screening corrections in the engine: rescue-inhaler use and repeated
hospitalisations, look-back windows covered up to the screening date, the infusion-day
re-check, the loader's rules for the new leaf options, and evidence rounded as
clinicians read it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from respira.screening import engine, service
from respira.screening.evaluator import shown_value
from tests.screening.screening_helpers import TODAY, dated, facts_for

DEFAULT = engine.load(service.shipped_default_text())
BY_ID = {c.id: c for c in DEFAULT.criteria}
MET, NOT, UNK = "met", "not_met", "unknown"


def _status(criterion_id: str, **changes: Any) -> engine.CriterionResult:
    return engine.evaluate_criterion(BY_ID[criterion_id], facts_for(**changes), TODAY)


# --- 1. rescue-inhaler use; repeated hospitalisations ---------------------------------

ISSUE_PATIENT = {
    # ACT 21, 56 puffs a week at GINA step 5, one severe exacerbation, no hospitalisation
    # (and nothing else that speaks for uncontrolled asthma).
    "act_score": dated(21, 5),
    "acq_score": dated(1.0, 5),
    "gina_step": dated(5, 5),
    "exacerbations_12m": dated(1, 5),
    "hospitalisations_12m": dated(0, 5),
    "rescue_puffs_per_week": dated(56.0, 5),
    "fev1_post_pctpred": dated(86.0, 5),
}


def test_the_issue_patient_with_56_puffs_a_week_is_uncontrolled_and_eligible():
    result = engine.evaluate(DEFAULT, facts_for(snapshot=ISSUE_PATIENT), TODAY)
    by_id = {r.id: r for r in result.results}
    assert by_id["uncontrolled_asthma"].status == MET
    assert "rescue inhaler use: 56 puffs/week" in by_id["uncontrolled_asthma"].evidence
    assert "≥ 11.5 puffs/week: holds" in by_id["uncontrolled_asthma"].evidence
    assert result.decision == "eligible"


def test_without_the_rescue_use_the_same_patient_is_not_eligible():
    calm = {**ISSUE_PATIENT, "rescue_puffs_per_week": dated(4.0, 5)}
    result = engine.evaluate(DEFAULT, facts_for(snapshot=calm), TODAY)
    assert result.decision == "not_eligible"
    assert "required criterion not met: uncontrolled_asthma" in result.reasons


@pytest.mark.parametrize(("hospitalisations", "expected"), [(1, NOT), (2, MET), (3, MET)])
def test_repeated_hospitalisations_means_two_or_more_in_12_months(hospitalisations, expected):
    snap = {
        **ISSUE_PATIENT,
        "rescue_puffs_per_week": dated(0.0, 5),
        "exacerbations_12m": dated(hospitalisations, 5),
        "hospitalisations_12m": dated(hospitalisations, 5),
    }
    assert _status("uncontrolled_asthma", snapshot=snap).status == expected


def test_the_thresholds_are_data_in_the_criteria_set():
    text = service.shipped_default_text()
    assert '{ fact = "hospitalisations_12m", op = "ge", value = 2,' in text
    assert '{ fact = "rescue_puffs_per_week", op = "ge", value = 11.5,' in text
    stricter = text.replace(
        '{ fact = "rescue_puffs_per_week", op = "ge", value = 11.5,',
        '{ fact = "rescue_puffs_per_week", op = "ge", value = 60,',
    )
    criterion = {c.id: c for c in engine.load(stricter).criteria}["uncontrolled_asthma"]
    found = facts_for(snapshot=ISSUE_PATIENT)
    assert engine.evaluate_criterion(criterion, found, TODAY).status == NOT
    assert _status("uncontrolled_asthma", snapshot=ISSUE_PATIENT).status == MET


# --- 2. look-back windows covered up to the screening date ----------------------------

# (criterion, the finding that speaks to it, its window in days)
LOOK_BACKS = [
    ("active_infection", "pneumonia", 28),
    ("active_infection", "other_active_infection", 28),
    ("pregnancy_or_lactation", "pregnant", 28),
    ("recent_respiratory_infection", "respiratory_infection_4w", 28),
    ("recent_immunosuppressant", "immunosuppressant_30d", 30),
    ("recent_investigational_product", "investigational_product_30d", 30),
    ("recent_exacerbation", "exacerbation_or_scs_4w", 28),
]


def _assessed(days_ago: int, **answers: str) -> dict[str, Any]:
    return {"assessed_on": TODAY - dt.timedelta(days=days_ago), **answers}


@pytest.mark.parametrize(("criterion_id", "finding", "window"), LOOK_BACKS)
@pytest.mark.parametrize(
    ("offset", "expected"), [("day 0", NOT), ("window-1", UNK), ("window", UNK), ("window+1", UNK)]
)
def test_a_no_counts_only_when_recorded_on_the_screening_date(
    criterion_id, finding, window, offset, expected
):
    days_ago = {"day 0": 0, "window-1": window - 1, "window": window, "window+1": window + 1}
    result = _status(criterion_id, findings=_assessed(days_ago[offset], **{finding: "no"}))
    assert result.status == expected, result.evidence
    if offset in ("window-1", "window"):
        assert "not covered after" in result.evidence
        assert "assess again on the screening date" in result.evidence
        use = next(f for f in result.facts if f.fact == finding)
        assert use.state == "uncovered" and use.result is None
    if offset == "window+1":
        assert f"older than the {window}-day look-back window" in result.evidence


@pytest.mark.parametrize(("criterion_id", "finding", "window"), LOOK_BACKS)
@pytest.mark.parametrize(
    ("offset", "expected"), [("day 0", MET), ("window-1", MET), ("window", MET), ("window+1", UNK)]
)
def test_a_yes_within_the_window_still_excludes(criterion_id, finding, window, offset, expected):
    days_ago = {"day 0": 0, "window-1": window - 1, "window": window, "window+1": window + 1}
    result = _status(criterion_id, findings=_assessed(days_ago[offset], **{finding: "yes"}))
    assert result.status == expected, result.evidence


def test_findings_assessed_27_days_ago_leave_the_screening_in_review():
    """The issue's case: "no infection / not pregnant / no immunosuppressant" assessed
    27 days ago made the patient eligible for 4-week and 30-day windows."""
    result = engine.evaluate(DEFAULT, facts_for(findings=_assessed(27)), TODAY)
    assert result.decision == "needs_review"
    open_ = {r.id for r in result.results if r.status == UNK}
    assert {
        "active_infection",
        "pregnancy_or_lactation",
        "recent_respiratory_infection",
        "recent_immunosuppressant",
        "recent_investigational_product",
        "recent_exacerbation",
    } <= open_
    # Slow-changing findings keep their freshness windows.
    by_id = {r.id: r for r in result.results}
    assert by_id["malignancy"].status == NOT
    assert by_id["excipient_allergy"].status == NOT


def test_the_same_findings_assessed_today_are_eligible():
    assert engine.evaluate(DEFAULT, facts_for(), TODAY).decision == "eligible"


def test_a_diagnostic_date_within_4_weeks_excludes_whatever_the_answer():
    result = _status(
        "recent_exacerbation",
        snapshot={"last_systemic_corticosteroid_course": dated(TODAY - dt.timedelta(days=28), 40)},
    )
    assert result.status == MET
    far = _status(
        "recent_exacerbation",
        snapshot={"last_systemic_corticosteroid_course": dated(TODAY - dt.timedelta(days=29), 5)},
    )
    assert far.status == NOT
    assert "supporting evidence only: adds nothing" in far.evidence


def test_time_critical_exclusions_are_rechecked_before_the_first_infusion():
    rechecked = [c.id for c in DEFAULT.criteria if c.recheck_before_infusion]
    assert rechecked == [
        "active_infection",
        "pregnancy_or_lactation",
        "recent_exacerbation",
        "recent_respiratory_infection",
    ]
    result = engine.evaluate(DEFAULT, facts_for(), TODAY)
    flagged = [r.id for r in result.results if r.as_dict()["recheck_before_infusion"]]
    assert flagged == rechecked


# --- the loader's rules for the new options -------------------------------------------

HEAD = 'version = "t-1.0"\ntitle = "t"\n'


def _one(rule: str, **keys: str) -> str:
    extra = "".join(f"{k} = {v}\n" for k, v in keys.items())
    return (
        f'{HEAD}[[criterion]]\nid = "cx"\nkind = "exclusion"\ndescription = "d"\n'
        f'source = "a source of at least twenty characters"\n{extra}rule = {rule}\n'
    )


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (
            '{ fact = "last_exacerbation", op = "within_days", value = 28, unit = "days", '
            "supporting = true }",
            "a 'supporting' rule only adds evidence",
        ),
        (
            '{ all = [ { fact = "pneumonia", op = "eq", value = true }, { fact = '
            '"last_exacerbation", op = "within_days", value = 28, unit = "days", '
            "supporting = true } ] }",
            "a 'supporting' rule only adds evidence",
        ),
        (
            '{ any = [ { fact = "last_exacerbation", op = "within_days", value = 28, '
            'unit = "days", supporting = true } ] }',
            "a 'supporting' rule only adds evidence",
        ),
        (
            '{ fact = "pneumonia", op = "eq", value = true, up_to_screening = true }',
            "says 'up_to_screening' and needs the window it covers",
        ),
        (
            '{ fact = "pneumonia", op = "eq", value = true, window_days = 28, '
            'up_to_screening = "yes" }',
            "'up_to_screening' must be true or false",
        ),
    ],
)
def test_the_loader_refuses_misused_options(rule, problem):
    with pytest.raises(engine.CriteriaError) as caught:
        engine.load(_one(rule))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_the_loader_refuses_a_recheck_that_is_not_a_boolean():
    rule = '{ fact = "pneumonia", op = "eq", value = true }'
    with pytest.raises(engine.CriteriaError) as caught:
        engine.load(_one(rule, recheck_before_infusion='"yes"'))
    assert "'recheck_before_infusion' must be true or false" in str(caught.value)


def test_a_supporting_rule_beside_an_ordinary_one_loads():
    rule = (
        '{ any = [ { fact = "pneumonia", op = "eq", value = true, window_days = 28, '
        'up_to_screening = true }, { fact = "last_exacerbation", op = "within_days", '
        'value = 28, unit = "days", supporting = true } ] }'
    )
    loaded = engine.load(_one(rule, recheck_before_infusion="true")).criteria[0]
    assert loaded.recheck_before_infusion
    assert isinstance(loaded.rule, engine.Group)
    first, second = loaded.rule.parts
    assert isinstance(first, engine.Leaf) and first.up_to_screening and not first.supporting
    assert isinstance(second, engine.Leaf) and second.supporting


# --- 5. evidence rounded as clinicians read it ----------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "shown", "exact"),
    [
        (71.4236, "% predicted", "71 % predicted", "71.4236 % predicted"),
        (-2.0834, "z", "z −2.08", "z −2.0834"),
        (1, "events", "1 event", "1 event"),
        (3, "events", "3 events", "3 events"),
        (1.57142, "points", "1.57 points", "1.57142 points"),
        (21, "points", "21 points", "21 points"),
        (2.104, "L", "2.1 L", "2.104 L"),
        (56.0, "puffs/week", "56 puffs/week", "56.0 puffs/week"),
        (419.6, "cells/µL", "420 cells/µL", "419.6 cells/µL"),
        (True, None, "yes", "yes"),
    ],
)
def test_values_are_shown_rounded_with_the_exact_value_kept(value, unit, shown, exact):
    assert shown_value(value, unit) == (shown, exact)


def test_evidence_shows_the_rounded_value_and_keeps_the_exact_one():
    snap = {"fev1_post_pctpred": dated(71.4236, 5), "fev1fvc_post_z": dated(-2.0834, 5)}
    result = _status("uncontrolled_asthma", snapshot={**ISSUE_PATIENT, **snap})
    use = next(f for f in result.facts if f.fact == "fev1_post_pctpred")
    assert use.value == 71.4236
    assert use.shown == "71 % predicted" and use.exact == "71.4236 % predicted"
    assert use.text == f"{use.label}: {use.shown}{use.detail}"
    z = next(f for f in result.facts if f.fact == "fev1fvc_post_z")
    assert "z −2.08" in z.text
    events = next(f for f in result.facts if f.fact == "exacerbations_12m")
    assert "severe exacerbations in 12 months: 1 event" in events.text
