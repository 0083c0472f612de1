"""Asthma-control questionnaires: every band at and around its cut-offs, the ACQ-7
FEV1 item at its band edges, and rejection (never coercion) of bad answers."""

from __future__ import annotations

from typing import Any

import pytest

from respira.science.control import (
    ACQ_MCID,
    ACT_MCID_POINTS,
    BANDS,
    FEV1_MCID_L,
    INSTRUMENTS,
    ITEM_LABELS,
    ITEMS,
    QuestionnaireError,
    acq_fev1_item_score,
    score_questionnaire,
)


def _act_answers(total: int) -> list[int]:
    """Five items 1–5 summing to ``total``."""
    answers = [1] * 5
    extra = total - 5
    for i in range(5):
        step = min(4, extra)
        answers[i] += step
        extra -= step
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (5, "very_poorly_controlled"),
        (15, "very_poorly_controlled"),
        (16, "not_well_controlled"),
        (19, "not_well_controlled"),
        (20, "well_controlled"),
        (25, "well_controlled"),
    ],
)
def test_act_bands_well_from_20_not_well_16_to_19_very_poorly_to_15(total: int, band: str) -> None:
    result = score_questionnaire("act", _act_answers(total))
    assert result.score == total and result.band == band
    assert sum(result.item_scores) == total


def _cact_answers(total: int) -> list[int]:
    maxima = [3, 3, 3, 3, 5, 5, 5]
    answers = [0] * 7
    for i, top in enumerate(maxima):
        answers[i] = min(top, total - sum(answers))
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "very_poorly_controlled"),
        (12, "very_poorly_controlled"),
        (13, "not_well_controlled"),
        (19, "not_well_controlled"),
        (20, "well_controlled"),
        (27, "well_controlled"),
    ],
)
def test_cact_bands_well_from_20_not_well_13_to_19_very_poorly_to_12(total: int, band: str) -> None:
    result = score_questionnaire("cact", _cact_answers(total))
    assert result.score == total and result.band == band


def test_cact_child_items_score_0_to_3_and_caregiver_items_0_to_5() -> None:
    score_questionnaire("cact", [3, 3, 3, 3, 5, 5, 5])
    with pytest.raises(QuestionnaireError, match=r"item 4 .* from 0 to 3") as info:
        score_questionnaire("cact", [3, 3, 3, 4, 5, 5, 5])
    assert info.value.item == 4
    with pytest.raises(QuestionnaireError, match=r"item 7 .* from 0 to 5"):
        score_questionnaire("cact", [3, 3, 3, 3, 5, 5, 6])


@pytest.mark.parametrize(
    ("instrument", "answers", "score", "band"),
    [
        ("acq5", [0, 0, 0, 0, 3], 0.6, "well_controlled"),
        ("acq5", [1, 1, 1, 1, 0], 0.8, "grey_zone"),
        ("acq5", [2, 2, 1, 1, 1], 1.4, "grey_zone"),
        ("acq5", [2, 2, 2, 1, 1], 1.6, "not_well_controlled"),
        ("acq6", [1, 1, 1, 1, 0, 0], 4 / 6, "well_controlled"),
        ("acq6", [1, 1, 1, 1, 1, 0], 5 / 6, "grey_zone"),
        ("acq6", [2, 2, 2, 1, 1, 1], 1.5, "not_well_controlled"),  # exactly 1.5
        ("acq6", [2, 2, 1, 1, 1, 1], 8 / 6, "grey_zone"),
        ("acq6", [6, 6, 6, 6, 6, 6], 6.0, "not_well_controlled"),
        ("acq7", [1, 1, 0, 0, 0, 0, 97.0], 2 / 7, "well_controlled"),
        ("acq7", [1, 1, 1, 1, 1, 0, 96.0], 5 / 7, "well_controlled"),
        ("acq7", [1, 1, 1, 1, 1, 0, 95.0], 6 / 7, "grey_zone"),
        ("acq7", [2, 2, 1, 1, 1, 1, 91.0], 9 / 7, "grey_zone"),
        ("acq7", [2, 2, 1, 1, 1, 1, 89.9], 10 / 7, "grey_zone"),
        ("acq7", [2, 2, 2, 1, 1, 1, 89.9], 11 / 7, "not_well_controlled"),
    ],
)
def test_acq_score_is_the_item_mean_well_to_075_grey_zone_not_well_from_15(
    instrument: str, answers: list[Any], score: float, band: str
) -> None:
    result = score_questionnaire(instrument, answers)
    assert result.score == pytest.approx(score, abs=1e-12)
    assert result.band == band


@pytest.mark.parametrize(
    ("pct", "item"),
    [
        (120.0, 0),
        (95.0001, 0),
        (95.0, 1),
        (90.0, 1),
        (89.9999, 2),
        (89.5, 2),
        (80.0, 2),
        (79.99, 3),
        (70.0, 3),
        (69.99, 4),
        (60.0, 4),
        (59.99, 5),
        (50.0, 5),
        (49.99, 6),
        (10.0, 6),
    ],
)
def test_acq7_fev1_item_bands_are_half_open_at_their_edges(pct: float, item: int) -> None:
    assert acq_fev1_item_score(pct) == item
    result = score_questionnaire("acq7", [0, 0, 0, 0, 0, 0, pct])
    assert result.item_scores[-1] == item and result.fev1_pct_pred == pct


@pytest.mark.parametrize(
    ("yes", "band"),
    [
        (0, "well_controlled"),
        (1, "partly_controlled"),
        (2, "partly_controlled"),
        (3, "uncontrolled"),
        (4, "uncontrolled"),
    ],
)
def test_gina_symptom_control_0_yes_well_1_2_partly_3_4_uncontrolled(yes: int, band: str) -> None:
    result = score_questionnaire("gina", [True] * yes + [False] * (4 - yes))
    assert result.band == band and result.score == yes


@pytest.mark.parametrize(
    ("instrument", "answers", "text"),
    [
        ("act", [5, 5, 5, 5], "exactly 5 answers, got 4"),
        ("act", [5, 5, 5, 5, 5, 5], "exactly 5 answers, got 6"),
        ("act", [5, 5, None, 5, 5], "item 3 .* is missing"),
        ("act", [5, 5, 2.5, 5, 5], "item 3 .* whole number"),
        ("act", [5, 5, "3", 5, 5], "item 3 .* must be a number"),
        ("act", [5, 5, True, 5, 5], "item 3 .* must be a number"),
        ("act", [0, 5, 5, 5, 5], r"item 1 .* out of range.*from 1 to 5"),
        ("act", [6, 5, 5, 5, 5], r"item 1 .* out of range.*from 1 to 5"),
        ("act", [5, 5, 5, 5, float("nan")], "item 5 .* finite"),
        ("acq5", [0, 0, 0, 0, 7], r"item 5 .* from 0 to 6"),
        ("acq5", [0, 0, 0, -1, 0], r"item 4 .* from 0 to 6"),
        ("acq7", [0, 0, 0, 0, 0, 0, None], "item 7 .* missing"),
        ("acq7", [0, 0, 0, 0, 0, 0, 0.0], r"item 7 .* from 1 to 250"),
        ("acq7", [0, 0, 0, 0, 0, 0, True], "item 7 .* must be a number"),
        ("gina", [1, 0, 0, 0], "item 1 .* yes/no"),
        ("gina", [True, False, None, False], "item 3 .* missing"),
        ("gina", "yes", "must be a list"),
    ],
)
def test_bad_answers_raise_naming_the_item_and_are_never_scored_as_zero(
    instrument: str, answers: Any, text: str
) -> None:
    with pytest.raises(QuestionnaireError, match=text) as info:
        score_questionnaire(instrument, answers)
    assert isinstance(info.value, ValueError)
    assert info.value.instrument == instrument


def test_whole_number_floats_are_accepted_as_integer_answers() -> None:
    assert score_questionnaire("act", [4.0, 4, 4, 4, 4]).score == 20


def test_unknown_instrument_is_rejected() -> None:
    with pytest.raises(QuestionnaireError, match="instrument must be one of"):
        score_questionnaire("aqlq", [1])


def test_item_labels_and_ranges_describe_every_instrument_for_forms() -> None:
    counts = {"act": 5, "cact": 7, "acq5": 5, "acq6": 6, "acq7": 7, "gina": 4}
    assert set(ITEM_LABELS) == set(ITEMS) == set(BANDS) == set(INSTRUMENTS) == set(counts)
    for name, count in counts.items():
        assert len(ITEM_LABELS[name]) == len(ITEMS[name]) == count
        assert all(label and len(label) < 60 for label in ITEM_LABELS[name])
    assert [(i.low, i.high) for i in ITEMS["act"]] == [(1, 5)] * 5
    assert [(i.low, i.high) for i in ITEMS["cact"]] == [(0, 3)] * 4 + [(0, 5)] * 3
    assert ITEMS["acq7"][-1].kind == "percent"
    assert {i.kind for i in ITEMS["gina"]} == {"boolean"}


def test_mcids_are_3_act_points_05_acq_and_02_l_fev1() -> None:
    assert ACT_MCID_POINTS == 3
    assert ACQ_MCID == 0.5
    assert FEV1_MCID_L == 0.2
