"""The outcome report's figures (``report.build_report``) from hand-built cohorts: the
JSON contract for other programs, every section's numbers against what a reader
computes by hand (or scipy, for a t interval), small-cell suppression exactly at the
threshold, the window of the responder rates, and the filters' refusals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from respira.kit.errors import InvalidInput
from respira.outcomes import report
from respira.outcomes.report import build_report, parse_filters
from respira.science.outcomes import rate_ratio
from tests.outcomes.report_helpers import act_courses, cohort, course

CONTRACT_MEASURE_KEYS = {"n", "mean_change", "ci95", "median_change"}


def _t_interval(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size)
    return a.mean() - half, a.mean() + half


def test_the_json_contract_for_other_programs_holds_every_key():
    data = build_report(cohort(act_courses([3, 4, 5] * 5)), min_cell=10)
    assert isinstance(data["n_treated"], int) and data["n_treated"] == 15
    assert set(data["windows"]) == {"1", "3", "6", "12"}
    for window in data["windows"].values():
        assert {"due", "completed", "missed"} <= set(window)
        assert {"completed_late", "withdrawn", "died", "lost", "open", "upcoming"} <= set(window)
        assert {"act", "acq", "rescue_puffs_per_week", "fev1_l"} <= set(window["measures"])
        assert {"fev1_pp", "fev1_z", "feno_ppb", "eosinophils_per_ul", "ocs_mg_per_day"} <= set(
            window["measures"]
        )
        for measure in window["measures"].values():
            assert set(measure) >= CONTRACT_MEASURE_KEYS
            assert measure["basis"] == "completers"
    assert list(data["responders"]) == [
        "act_3",
        "acq_0_5",
        "fev1_100ml",
        "exacerbations_50pct",
        "ocs_50pct",
    ]
    for entry in data["responders"].values():
        assert {"n", "responders", "rate", "ci95", "n_eligible", "worst_case", "window"} <= set(
            entry
        )
    assert {"rate_before", "rate_after", "rate_ratio", "ci95", "model", "alpha"} <= set(
        data["exacerbations"]
    )
    assert {"times", "survival", "ci_low", "ci_high", "median_days", "n", "events"} <= set(
        data["time_to_first_exacerbation"]
    )
    for key in ("n_patients", "n_synthetic", "as_of", "data_as_of", "filters", "min_cell"):
        assert key in data
    assert [limit["key"] for limit in data["limits"]] == [
        "no_comparison_group",
        "regression_to_the_mean",
        "selection",
        "loss_to_follow_up",
        "concurrent_medication",
        "periods_independent",
    ]
    act = data["windows"]["12"]["measures"]["act"]
    assert isinstance(act["ci95"], list) and len(act["ci95"]) == 2
    json.dumps(data, allow_nan=False)  # no NaN, no NumPy numbers


def test_mean_change_has_a_t_interval_and_the_median_its_own():
    changes = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 6.0, 7.0, 9.0, 0.0, -1.0]
    data = build_report(cohort(act_courses(changes)), min_cell=10)
    act = data["windows"]["12"]["measures"]["act"]
    assert act["n"] == 12 and act["n_due_with_baseline"] == 12
    assert act["mean_change"] == pytest.approx(np.mean(changes))
    assert act["ci95"] == pytest.approx(_t_interval(changes))
    assert act["median_change"] == pytest.approx(np.median(changes))
    assert act["sd"] == pytest.approx(np.std(changes, ddof=1))
    assert act["standardised_response_mean"] == pytest.approx(
        np.mean(changes) / np.std(changes, ddof=1)
    )
    low, high = act["median_ci95"]
    assert low <= act["median_change"] <= high
    # Nobody has an ACQ: no pairs, so nothing to show.
    assert data["windows"]["12"]["measures"]["acq"]["n"] == 0


def test_act_and_acq_are_separate_measures_by_the_baseline_instrument():
    courses = act_courses([3.0] * 10) + [
        course(baseline={"acq": 2.5}, windows={12: {"state": "completed", "acq": 1.5}})
        for _ in range(10)
    ]
    data = build_report(cohort(courses), min_cell=10)
    measures = data["windows"]["12"]["measures"]
    assert measures["act"]["n"] == 10 and measures["act"]["mean_change"] == pytest.approx(3.0)
    assert measures["acq"]["n"] == 10 and measures["acq"]["mean_change"] == pytest.approx(-1.0)


@pytest.mark.parametrize("min_cell", [5, 10])
def test_a_figure_from_one_patient_fewer_than_the_threshold_is_suppressed(min_cell):
    below = build_report(cohort(act_courses([3.0] * (min_cell - 1))), min_cell=min_cell)
    act = below["windows"]["12"]["measures"]["act"]
    assert act["n"] == min_cell - 1  # the n stays
    assert act["suppressed"] is True and act["reason"] == f"fewer than {min_cell} patients"
    for figure in ("mean_change", "ci95", "median_change", "median_ci95", "sd"):
        assert act[figure] is None
    responders = below["responders"]["act_3"]
    assert responders["n"] == min_cell - 1 and responders["suppressed"]
    assert responders["rate"] is None and responders["responders"] is None
    assert below["responders"]["act_3"]["worst_case"]["rate"] is None
    assert below["windows"]["12"]["completed"] is None and below["windows"]["12"]["suppressed"]
    assert below["waterfall"]["12"]["changes"] is None

    at = build_report(cohort(act_courses([3.0] * min_cell)), min_cell=min_cell)
    act = at["windows"]["12"]["measures"]["act"]
    assert act["suppressed"] is False and act["mean_change"] == pytest.approx(3.0)
    assert at["responders"]["act_3"]["rate"] == 1.0
    assert at["windows"]["12"]["completed"] == min_cell
    assert at["waterfall"]["12"]["changes"] == [3.0] * min_cell


def test_window_counts_cover_every_state_and_the_completeness_rate():
    states = ["completed"] * 6 + ["completed_late"] * 2 + ["missed"] * 3 + ["withdrawn"]
    states += ["died", "lost", "open", "upcoming"]
    courses = [course(windows={6: {"state": s}}) for s in states]
    w = build_report(cohort(courses), min_cell=10)["windows"]["6"]
    assert (w["completed"], w["completed_late"], w["missed"]) == (6, 2, 3)
    assert (w["withdrawn"], w["died"], w["lost"], w["open"], w["upcoming"]) == (1, 1, 1, 1, 1)
    assert w["due"] == 14 and w["n"] == 16
    done = w["completeness"]
    assert done["n"] == 14 and done["answered"] == 8
    assert done["rate"] == pytest.approx(8 / 14)
    assert done["ci95"][0] < 8 / 14 < done["ci95"][1]


def test_responders_side_by_side_with_the_worst_case_over_the_eligible():
    # 12 ACT courses due at 12 months: 8 answered (5 rise by >= 3), 4 missed.
    courses = act_courses([3, 4, 5, 6, 7, 1, 0, -2]) + [
        course(baseline={"act": 14.0}, windows={12: {"state": "missed"}}) for _ in range(4)
    ]
    data = build_report(cohort(courses), min_cell=5)
    act = data["responders"]["act_3"]
    assert (act["n"], act["responders"], act["n_eligible"]) == (8, 5, 12)
    assert act["rate"] == pytest.approx(5 / 8)
    assert act["worst_case"]["n"] == 12 and act["worst_case"]["rate"] == pytest.approx(5 / 12)
    assert act["window"] == 12 and act["basis"] == "completers"
    assert data["responders_window"] == 12


def test_the_responders_window_is_the_latest_due_before_any_12_month_window_is():
    early = [
        course(
            baseline={"act": 14.0},
            windows={
                1: {"state": "completed", "act": 18.0},
                3: {"state": "completed", "act": 17.0},
            },
        )
        for _ in range(10)
    ]
    data = build_report(cohort(early), min_cell=10)
    assert data["responders_window"] == 3
    assert data["responders"]["act_3"]["window"] == 3
    assert data["responders"]["act_3"]["rate"] == 1.0
    assert set(data["responders_by_window"]) == {"1", "3", "6", "12"}


def test_exacerbation_and_ocs_responders_need_something_to_fall_from():
    courses = [
        # 2 exacerbations before, 1 over half a year after: 2/year -> 2/year, no response.
        course(
            exacerbations_12m=2,
            exacerbations_after=1,
            exposure_days_after=183,
            windows={1: {"state": "completed"}},
        ),
        # 4 before, none in a year after: a response.
        course(
            exacerbations_12m=4,
            exacerbations_after=0,
            exposure_days_after=365,
            windows={1: {"state": "completed"}},
        ),
        # None before: not eligible.
        course(
            exacerbations_12m=0,
            exacerbations_after=0,
            exposure_days_after=365,
            windows={1: {"state": "completed"}},
        ),
        # 3 before but no window due yet (treated last week): not yet eligible.
        course(exacerbations_12m=3),
        # OCS 10 -> 5 mg/day: a 50 % fall; 0 before: not eligible.
        course(
            baseline={"ocs_mg_per_day": 10.0},
            windows={12: {"state": "completed", "ocs_mg_per_day": 5.0}},
        ),
        course(
            baseline={"ocs_mg_per_day": 0.0},
            windows={12: {"state": "completed", "ocs_mg_per_day": 0.0}},
        ),
    ]
    data = build_report(cohort(courses), min_cell=1)
    ex = data["responders"]["exacerbations_50pct"]
    assert (ex["n_eligible"], ex["n"], ex["responders"]) == (2, 2, 1)
    assert ex["worst_case"]["n"] == 2
    assert ex["window"] == "all follow-up"
    ocs = data["responders"]["ocs_50pct"]
    assert (ocs["n_eligible"], ocs["n"], ocs["responders"]) == (1, 1, 1)


def test_the_exacerbation_rate_ratio_is_the_models_on_a_year_before_and_the_time_after():
    rng = np.random.default_rng(3)
    before = rng.poisson(2.5, 30).astype(float)
    after = rng.poisson(1.2, 30).astype(float)
    days = rng.integers(90, 400, 30).astype(float)
    courses = [
        course(exacerbations_12m=b, exacerbations_after=int(a), exposure_days_after=int(d))
        for b, a, d in zip(before, after, days, strict=True)
    ] + [course(exacerbations_12m=None, exposure_days_after=100)]  # no baseline: left out
    data = build_report(cohort(courses), min_cell=10)
    ex = data["exacerbations"]
    expected = rate_ratio(before, np.ones(30), after, days / 365.25)
    assert expected is not None and ex["n"] == 30
    assert ex["rate_ratio"] == pytest.approx(expected.rate_ratio)
    assert ex["ci95"] == pytest.approx(list(expected.ci95))
    assert ex["rate_before"] == pytest.approx(before.sum() / 30)
    assert ex["rate_after"] == pytest.approx(after.sum() / (days.sum() / 365.25))
    assert ex["exposure_before_years"] == pytest.approx(30.0)
    assert ex["model"] in ("negative_binomial", "poisson")
    assert ex["poisson"]["rate_ratio"] == pytest.approx(expected.poisson.rate_ratio)


def test_no_exacerbation_data_is_suppressed_not_an_error():
    data = build_report(cohort([course()]), min_cell=10)
    ex = data["exacerbations"]
    assert ex["n"] == 0 and ex["suppressed"] and ex["rate_ratio"] is None
    json.dumps(data, allow_nan=False)


def test_time_to_first_exacerbation_counts_events_and_censoring_without_empty_follow_up():
    courses = [course(exposure_days_after=300, first_exacerbation_day=d) for d in (30, 60, 90, 120)]
    courses += [course(exposure_days_after=d) for d in (100, 200, 300, 365, 365, 365)]
    courses += [course(exposure_days_after=0)]  # no follow-up yet: not in the curve
    km = build_report(cohort(courses), min_cell=10)["time_to_first_exacerbation"]
    assert (km["n"], km["events"], km["censored"]) == (10, 4, 6)
    assert km["times"][0] == 0 and km["survival"][0] == 1.0
    assert km["survival"][1] == pytest.approx(0.9)  # 1 event of 10 at risk on day 30
    assert km["end_day"] == 365
    assert km["median_days"] is None  # S never reaches 0.5


def test_adverse_events_per_patient_treated_by_term_and_grade():
    courses = [course(patient=i) for i in range(20)]
    events = [("Fever", 1, 6, False), ("Fever", 2, 2, False), ("Fever", 3, 1, True)]
    events += [("Headache", 1, 3, False)]
    ae = build_report(cohort(courses, adverse_events=events), min_cell=10)["adverse_events"]
    assert ae["n"] == 20 and ae["denominator"] == "patients treated"
    fever_1 = ae["rows"][0]
    assert (fever_1["term"], fever_1["grade"], fever_1["patients"]) == ("Fever", 1, 6)
    assert fever_1["per_patient"] == pytest.approx(6 / 20)
    assert fever_1["ci95"][0] < 0.3 < fever_1["ci95"][1]
    assert ae["by_term"][0] == {"term": "Fever", "by_grade": [6, 2, 1, 0, 0], "serious": 1}
    assert ae["by_term"][1]["term"] == "Headache"
    few = build_report(cohort(courses[:9], adverse_events=events), min_cell=10)["adverse_events"]
    assert few["suppressed"] and few["rows"] is None and few["n"] == 9


def test_the_waterfall_sorts_individual_changes_of_the_control_instrument(monkeypatch):
    changes = [5.0, -4.0, 0.0, 3.0, 1.0, -1.0, 2.0, 6.0, -3.0, 4.0]
    w = build_report(cohort(act_courses(changes)), min_cell=10)["waterfall"]["12"]
    assert w["measure"] == "act" and w["n"] == 10
    assert w["changes"] == sorted(changes)
    assert w["threshold"] == 3.0 and w["better"] == "up"
    assert w["reached_threshold"] == 4 and w["worse_by_threshold"] == 2
    monkeypatch.setattr(report, "WATERFALL_POINTS", 5)
    sampled = build_report(cohort(act_courses(changes)), min_cell=10)["waterfall"]["12"]
    assert sampled["sampled"] and len(sampled["changes"]) == 5
    assert sampled["changes"][0] == -4.0 and sampled["changes"][-1] == 6.0


def test_the_acq_waterfall_is_better_downwards():
    courses = [
        course(baseline={"acq": 2.0}, windows={12: {"state": "completed", "acq": 2.0 + c}})
        for c in (-1.0, -0.5, 0.0, 0.2, -0.6, -0.1, 0.7, -1.2, 0.0, -0.3)
    ]
    w = build_report(cohort(courses), min_cell=10)["waterfall"]["12"]
    assert w["measure"] == "acq" and w["threshold"] == -0.5 and w["better"] == "down"
    assert w["reached_threshold"] == 4 and w["worse_by_threshold"] == 1


def test_the_report_says_what_it_rests_on():
    courses = [*act_courses([1.0] * 4), course(synthetic=True, patient=0)]
    data = build_report(cohort(courses), min_cell=3, filters={"sex": "female"})
    assert data["n_treated"] == 5 and data["n_patients"] == 4 and data["n_synthetic"] == 1
    assert data["as_of"] == "2026-12-01" and data["data_as_of"].startswith("2026-12-01T06:30")
    assert data["filters"] == {"sex": "female"} and data["min_cell"] == 3
    with pytest.raises(ValueError):
        build_report(cohort(courses), min_cell=0)


def test_a_parameter_that_is_no_filter_is_refused_with_the_bad_values():
    with pytest.raises(InvalidInput) as refused:
        parse_filters({"sexx": "female", "age_min": "old", "sex": "female"})
    assert set(refused.value.errors) == {"sexx", "age_min"}
    assert "not a filter" in refused.value.errors["sexx"]
    assert parse_filters({"lang": "de", "sex": "male"}, ignore=("lang",)).sex == "male"
    assert parse_filters({}).as_params() == {}


def test_a_window_not_yet_due_is_not_missing_in_the_worst_case():
    """Two courses answered at 12 months (one responder), one missed it, and one was
    treated too recently for its 12-month window to open: the worst case counts the
    missed one as no response and leaves the one not yet due out."""
    courses = [
        course(baseline={"act": 14.0}, windows={12: {"state": "completed", "act": 19.0}}),
        course(baseline={"act": 14.0}, windows={12: {"state": "completed", "act": 15.0}}),
        course(baseline={"act": 14.0}, windows={12: {"state": "missed"}}),
        course(baseline={"act": 14.0}, windows={12: {"state": "upcoming"}}),
    ]
    act = build_report(cohort(courses), min_cell=1)["responders"]["act_3"]
    assert (act["n"], act["responders"], act["n_eligible"]) == (2, 1, 3)
    assert (act["worst_case"]["n"], act["worst_case"]["responders"]) == (3, 1)
