"""The clinical rules of adverse events as pure functions (clinical.md §4.1-4.2): the
shipped CTCAE v5.0 catalogue and its grades, the causality mapping, the grade-5 rule,
one term per allergic reaction to an infusion, the reporting clocks and their countdown,
and the lot flag threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.safety import catalogue, rules

T0 = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
SECTION_4_1_TERMS = [
    "Fever",
    "Chills",
    "Headache",
    "Nausea",
    "Fatigue",
    "Infusion related reaction",
    "Injection site reaction",
    "Bruising",
    "Allergic reaction",
    "Anaphylaxis",
    "Dyspnea",
    "Bronchospasm",
    "Hypotension",
    "Hypoxia",
    "Thromboembolic event",
]


def test_catalogue_ships_every_term_of_section_4_1_as_ctcae_writes_it():
    cat = catalogue.ctcae()
    assert cat.version == "5.0" and cat.published == "2017-11-27"
    assert cat.names == SECTION_4_1_TERMS
    assert set(cat.generic) == {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    ("term", "grades"),
    [
        ("Fever", [1, 2, 3, 4, 5]),
        ("Headache", [1, 2, 3]),
        ("Chills", [1, 2, 3]),
        ("Bruising", [1, 2]),
        ("Anaphylaxis", [3, 4, 5]),
        ("Hypoxia", [2, 3, 4, 5]),
        ("Infusion related reaction", [1, 2, 3, 4, 5]),
    ],
)
def test_each_term_has_only_the_grades_ctcae_gives_it(term, grades):
    assert list(catalogue.ctcae().term(term).grades) == grades


def test_fever_grades_are_defined_by_temperature_as_in_ctcae():
    fever = catalogue.ctcae().term("Fever").grades
    assert fever[1] == "38.0–39.0 °C" and fever[3] == ">40.0 °C for ≤24 hours"


def test_only_verified_meddra_codes_are_shipped():
    codes = {t.name: t.meddra_code for t in catalogue.ctcae().terms}
    assert codes["Fever"] == "10016558" and codes["Infusion related reaction"] == "10051792"
    assert codes["Anaphylaxis"] is None and codes["Dyspnea"] is None  # §9 item 6


def test_a_term_is_found_whatever_its_case_and_spacing():
    found = catalogue.ctcae().term("  infusion   RELATED reaction ")
    assert found is not None and found.name == "Infusion related reaction"


def test_a_grade_the_term_does_not_have_is_refused_naming_its_grades():
    assert catalogue.grade_problem("Headache", 4) == {
        "grade": "Headache has no grade 4 in CTCAE v5.0 (its grades are 1, 2, 3)"
    }
    assert "grade" in catalogue.grade_problem("Anaphylaxis", 1)
    assert catalogue.grade_problem("Anaphylaxis", 3) == {}


def test_an_unknown_term_is_refused_listing_the_catalogue():
    problem = catalogue.grade_problem("Pyrexia", 1)
    assert "not a CTCAE v5.0 term" in problem["term"] and "Fever" in problem["term"]


@pytest.mark.parametrize(
    ("causality", "related"),
    [
        ("unrelated", False),
        ("unlikely", False),
        ("possible", True),
        ("probable", True),
        ("definite", True),
    ],
)
def test_causality_maps_possible_probable_definite_to_related(causality, related):
    assert rules.is_related(causality) is related


def test_seriousness_is_any_criterion_not_the_grade():
    assert rules.is_serious(["hospitalisation"]) and not rules.is_serious([])


def test_grade_five_sets_a_fatal_outcome_and_the_death_criterion_when_left_out():
    out = rules.grade_five_rule(5, ["life_threatening"], None)
    assert out.problems == {} and out.outcome == "fatal"
    assert out.criteria == ["death", "life_threatening"]


def test_grade_five_with_another_outcome_is_refused():
    assert "outcome" in rules.grade_five_rule(5, [], "recovered").problems


def test_a_fatal_outcome_or_the_death_criterion_below_grade_five_is_refused():
    assert "outcome" in rules.grade_five_rule(3, [], "fatal").problems
    assert "serious_criteria" in rules.grade_five_rule(4, ["death"], None).problems


def test_infusion_reaction_and_allergic_reaction_exclude_each_other():
    allergic = {"Allergic reaction", "Anaphylaxis"}
    assert rules.exclusive_terms("Infusion related reaction") == allergic
    assert rules.exclusive_terms("Anaphylaxis") == {"Infusion related reaction"}
    assert rules.exclusive_terms("Fever") == frozenset()


def test_onset_after_resolution_in_the_future_or_before_the_infusion_is_refused():
    today = dt.date(2026, 3, 10)
    assert rules.date_problems(today, today - dt.timedelta(days=1), today) == {
        "resolution_date": "the resolution is before the onset"
    }
    assert "onset_date" in rules.date_problems(today + dt.timedelta(days=1), None, today)
    next_week = today + dt.timedelta(weeks=1)
    assert "onset_date" in rules.date_problems(today, None, today, next_week)
    assert rules.date_problems(today, today, today, today) == {}


def test_fatal_or_life_threatening_susar_is_due_in_7_days_and_its_follow_up_8_days_later():
    for criterion in ("death", "life_threatening"):
        due = rules.reporting_clock(T0, expected=False, related=True, criteria=[criterion])
        assert due.clock.name == "susar_fatal_or_life_threatening"
        assert due.report_due_at == T0 + dt.timedelta(days=7)
        assert due.follow_up_due_at == T0 + dt.timedelta(days=15)


def test_other_susar_is_due_in_15_days_without_a_follow_up_clock():
    due = rules.reporting_clock(T0, expected=False, related=True, criteria=["hospitalisation"])
    assert due.clock.name == "susar_other" and due.follow_up_due_at is None
    assert due.report_due_at == dt.datetime(2026, 3, 16, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("expected", "related"), [(True, True), (False, False), (True, False)])
def test_a_serious_event_that_is_no_susar_runs_on_the_programmes_15_day_clock(expected, related):
    due = rules.reporting_clock(T0, expected=expected, related=related, criteria=["death"])
    assert due.clock.name == "serious_other"
    assert due.report_due_at == T0 + dt.timedelta(days=15)


def test_every_clock_names_its_regulatory_source():
    assert all("clinical.md §4.2" in c.source for c in rules.config().clocks)


def test_a_clock_file_whose_last_clock_does_not_catch_every_event_is_refused():
    text = """
[[clock]]
name = "only"
label = "only SUSARs"
related = true
initial_days = 15
source = "x"
[lot_flag]
related_grade3_more_than = 2
[expected_reactions]
effective_from = "2000-01-01"
terms = ["Fever"]
source = "x"
"""
    with pytest.raises(ValueError, match="last reporting clock"):
        rules.parse_config(text)


def test_countdown_reads_days_left_overdue_days_and_a_late_signature():
    due = T0 + dt.timedelta(days=7)
    assert rules.countdown(due, T0, None).days == 7
    assert rules.countdown(due, T0 + dt.timedelta(days=4, hours=1), None).days == 3
    assert rules.countdown(due, due - dt.timedelta(hours=3), None).days == 1
    overdue = rules.countdown(due, due + dt.timedelta(days=1, hours=2), None)
    assert (overdue.state, overdue.days) == ("overdue", 2)
    late = rules.countdown(due, T0, due + dt.timedelta(minutes=1))
    assert late.state == "met" and late.late


def test_a_lot_is_flagged_with_more_than_the_threshold_of_related_severe_events():
    assert rules.config().lot_flag_more_than == 2
    assert not rules.lot_flagged(2) and rules.lot_flagged(3)


def test_the_first_reference_list_is_the_consent_forms_as_ctcae_terms():
    cfg = rules.config()
    assert cfg.expected_terms == (
        "Fever",
        "Chills",
        "Headache",
        "Nausea",
        "Fatigue",
        "Injection site reaction",
    )
    assert all(catalogue.ctcae().term(t) for t in cfg.expected_terms)
