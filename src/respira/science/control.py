"""Asthma-control questionnaires: item checks, scores and control bands.

Only short neutral domain labels are used; the instruments' wording is copyrighted
(ACT and C-ACT: QualityMetric/GSK; ACQ: QOL Technologies, licensed via Mapi Research
Trust; GINA boxes: Global Initiative for Asthma) and is not reproduced here.

* **ACT** (≥ 12 years; Nathan RA et al. J Allergy Clin Immunol 2004;113:59–65): 5 items
  scored 1–5, total 5–25. Bands: ≥ 20 ``well_controlled`` (Nathan 2004; Schatz M et al.
  J Allergy Clin Immunol 2006;117:549–56), 16–19 ``not_well_controlled``, ≤ 15
  ``very_poorly_controlled`` (NAEPP EPR-3, 2007).
* **C-ACT** (4–11 years; Liu AH et al. J Allergy Clin Immunol 2007;119:817–25): items 1–4
  (child) scored 0–3, items 5–7 (caregiver) scored 0–5, total 0–27. Bands: ≥ 20
  ``well_controlled``, 13–19 ``not_well_controlled`` (≤ 19, Liu 2007), ≤ 12
  ``very_poorly_controlled`` (Liu AH et al. J Allergy Clin Immunol 2010;126:267–73).
* **ACQ-5/6/7** (Juniper EF et al. Eur Respir J 1999;14:902–7): items scored 0–6, the
  score is their mean. Bands after Juniper EF et al. Respir Med 2006;100:616–21, which
  reports 0.75 as the cut-point "to confirm well-controlled" and 1.5 "to confirm
  not well-controlled": score ≤ 0.75 ``well_controlled``, ≥ 1.5 ``not_well_controlled``,
  in between ``grey_zone``. The bands are decided on the exact rational mean of the
  items, so binary rounding of the mean cannot move a score across a cut-off. ACQ-7's
  seventh answer is the pre-bronchodilator FEV1 % predicted;
  its item score follows the instrument's bands (> 95 → 0; 95–90 → 1; 89–80 → 2;
  79–70 → 3; 69–60 → 4; 59–50 → 5; < 50 → 6), read as half-open intervals on the
  unrounded value: 0 if > 95, 1 if 90 ≤ x ≤ 95, 2 if 80 ≤ x < 90, 3 if 70 ≤ x < 80,
  4 if 60 ≤ x < 70, 5 if 50 ≤ x < 60, 6 if < 50 (so 89.5 % scores 2, 95 % scores 1).
* **GINA symptom control** (GINA 2024 Global Strategy for Asthma Management and
  Prevention): 4 yes/no questions on the past 4 weeks; 0 "yes" ``well_controlled``,
  1–2 ``partly_controlled``, 3–4 ``uncontrolled``.

Answers are a sequence in item order. Missing items, a wrong number of answers,
non-integers, booleans where a number is due (and numbers where GINA wants a yes/no)
and out-of-range values raise :class:`QuestionnaireError` naming the item and its
allowed range: a missing item makes the total undefined and is never scored as zero.

Minimal clinically important differences: :data:`ACT_MCID_POINTS` (Schatz M et al.
J Allergy Clin Immunol 2009;124:719–23), :data:`ACQ_MCID` (Juniper EF et al. Respir Med
2005;99:553–8), :data:`FEV1_MCID_L` (AHRQ Comparative Effectiveness Review 201, table
E-1: 0.2 L for adults; published values range from about 0.10 to 0.23 L, e.g.
Santanello NC et al. Eur Respir J 1999;14:23–7: 230 mL). No consensus MCID exists for
the C-ACT, so none is defined.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real
from typing import Any, Final

from respira.science.texts import N_, Term, Text, echo, number, text_of

__all__ = [
    "ACQ_MCID",
    "ACT_MCID_POINTS",
    "ALGORITHM_VERSION",
    "BANDS",
    "CONTROL_MCID",
    "FEV1_MCID_L",
    "INSTRUMENTS",
    "ITEMS",
    "ITEM_LABELS",
    "RESCUE_MCID_PUFFS_PER_DAY",
    "SHORT_NAMES",
    "TEXTS",
    "ItemSpec",
    "QuestionnaireError",
    "QuestionnaireScore",
    "acq_fev1_item_score",
    "score_questionnaire",
]

#: Minimal clinically important difference of the ACT total (Schatz 2009).
ACT_MCID_POINTS: Final = 3
#: Minimal clinically important difference of the ACQ score (Juniper 2005).
ACQ_MCID: Final = 0.5
#: Minimal clinically important difference of FEV1 in adults (AHRQ CER 201; 0.10–0.23 L).
FEV1_MCID_L: Final = 0.2
#: Minimal clinically important difference of rescue SABA use: 0.81 puffs a day (AHRQ CER
#: 201 table E-1, Santanello 1999; clinical.md §6).
RESCUE_MCID_PUFFS_PER_DAY: Final = 0.81
#: Each instrument's MCID and the direction that is better (ACT up: +1; ACQ down: -1).
CONTROL_MCID: Final[dict[str, tuple[float, int]]] = {
    "act": (ACT_MCID_POINTS, 1),
    "acq5": (ACQ_MCID, -1),
    "acq6": (ACQ_MCID, -1),
    "acq7": (ACQ_MCID, -1),
}

ALGORITHM_VERSION: Final = "respira.science.control 1 (ACT/C-ACT/ACQ/GINA 2024 rules)"

INSTRUMENTS: Final = ("act", "cact", "acq5", "acq6", "acq7", "gina")
#: Each instrument's short name, as tables and summaries write it.
SHORT_NAMES: Final = {
    "act": "ACT",
    "cact": "C-ACT",
    "acq5": "ACQ-5",
    "acq6": "ACQ-6",
    "acq7": "ACQ-7",
    "gina": "GINA",
}

ACT_WELL_CONTROLLED_MIN: Final = 20
ACT_VERY_POORLY_MAX: Final = 15
CACT_WELL_CONTROLLED_MIN: Final = 20
CACT_VERY_POORLY_MAX: Final = 12
ACQ_WELL_CONTROLLED_MAX: Final = 0.75
ACQ_NOT_WELL_CONTROLLED_MIN: Final = 1.5
#: ACQ-7 FEV1 item: (lowest FEV1 % predicted, item score), highest band first.
ACQ_FEV1_BANDS: Final = ((90.0, 1), (80.0, 2), (70.0, 3), (60.0, 4), (50.0, 5))
ACQ_FEV1_TOP: Final = 95.0  # above this the item scores 0
ACQ_FEV1_PCT_RANGE: Final = (1.0, 250.0)  # accepted FEV1 % predicted (plausibility)


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One item of an instrument, enough to build a form field.

    ``kind`` is ``"integer"`` (a whole number low..high), ``"boolean"`` (yes/no) or
    ``"percent"`` (a number low..high, converted to an item score).
    """

    label: str
    kind: str
    low: float | None = None
    high: float | None = None


def _ints(labels: Sequence[str], low: int, high: int) -> tuple[ItemSpec, ...]:
    return tuple(ItemSpec(label, "integer", low, high) for label in labels)


_ACQ_SYMPTOMS = (
    "night waking",
    "symptoms on waking",
    "activity limitation",
    "shortness of breath",
    "wheeze",
)

ITEMS: Final[dict[str, tuple[ItemSpec, ...]]] = {
    "act": _ints(
        (
            "activity limitation",
            "shortness of breath",
            "night or early-morning waking",
            "reliever use",
            "own rating of control",
        ),
        1,
        5,
    ),
    "cact": _ints(
        (
            "child: asthma today",
            "child: limitation in activity",
            "child: cough",
            "child: night waking",
        ),
        0,
        3,
    )
    + _ints(
        (
            "caregiver: days with daytime symptoms",
            "caregiver: days with wheeze",
            "caregiver: nights with waking",
        ),
        0,
        5,
    ),
    "acq5": _ints(_ACQ_SYMPTOMS, 0, 6),
    "acq6": _ints((*_ACQ_SYMPTOMS, "daily reliever use"), 0, 6),
    "acq7": (
        *_ints((*_ACQ_SYMPTOMS, "daily reliever use"), 0, 6),
        ItemSpec("FEV1 % predicted, pre-bronchodilator", "percent", *ACQ_FEV1_PCT_RANGE),
    ),
    "gina": tuple(
        ItemSpec(label, "boolean")
        for label in (
            "daytime symptoms more than twice a week",
            "any night waking",
            "reliever needed more than twice a week",
            "any activity limitation",
        )
    ),
}
#: Short neutral item labels per instrument, in item order (for forms).
ITEM_LABELS: Final[dict[str, tuple[str, ...]]] = {
    name: tuple(item.label for item in items) for name, items in ITEMS.items()
}
#: Possible bands per instrument, best control first.
BANDS: Final[dict[str, tuple[str, ...]]] = {
    "act": ("well_controlled", "not_well_controlled", "very_poorly_controlled"),
    "cact": ("well_controlled", "not_well_controlled", "very_poorly_controlled"),
    "acq5": ("well_controlled", "grey_zone", "not_well_controlled"),
    "acq6": ("well_controlled", "grey_zone", "not_well_controlled"),
    "acq7": ("well_controlled", "grey_zone", "not_well_controlled"),
    "gina": ("well_controlled", "partly_controlled", "uncontrolled"),
}


#: Every text of an answer set that cannot be scored, by code (``respira.science.texts``):
#: a page writes it in its reader's language, the API keeps this English.
TEXTS: Final[dict[str, str]] = {
    "questionnaire.unknown_instrument": N_(
        "instrument must be one of %(instruments)s, not %(got)s"
    ),
    "questionnaire.not_a_list": N_(
        "%(instrument)s answers must be a list of %(count)s answers in item order"
    ),
    "questionnaire.answer_count": N_("%(instrument)s needs exactly %(count)s answers, got %(got)s"),
    "questionnaire.item_missing": N_(
        "%(instrument)s item %(n)s (%(item)s) is missing; allowed: %(allowed)s"
    ),
    "questionnaire.item_not_yes_no": N_(
        "%(instrument)s item %(n)s (%(item)s) must be a yes/no answer, got %(got)s; "
        "allowed: %(allowed)s"
    ),
    "questionnaire.item_not_a_number": N_(
        "%(instrument)s item %(n)s (%(item)s) must be a number, got %(got)s; allowed: %(allowed)s"
    ),
    "questionnaire.item_not_finite": N_(
        "%(instrument)s item %(n)s (%(item)s) must be a finite number, got %(got)s; "
        "allowed: %(allowed)s"
    ),
    "questionnaire.item_not_whole": N_(
        "%(instrument)s item %(n)s (%(item)s) must be a whole number, got %(got)s; "
        "allowed: %(allowed)s"
    ),
    "questionnaire.item_out_of_range": N_(
        "%(instrument)s item %(n)s (%(item)s) is out of range, got %(got)s; allowed: %(allowed)s"
    ),
    "questionnaire.allowed_yes_no": N_("yes or no (True/False)"),
    "questionnaire.allowed_whole": N_("a whole number from %(low)s to %(high)s"),
    "questionnaire.allowed_number": N_("a number from %(low)s to %(high)s"),
}


def _text(code: str, **params: Any) -> Text:
    return Text(code, TEXTS[code], **params)


class QuestionnaireError(ValueError):
    """An answer set that cannot be scored; ``item`` is 1-based (None: the whole set);
    ``code`` and ``params`` are its message's (``TEXTS``)."""

    def __init__(self, message: str, *, instrument: str, item: int | None = None) -> None:
        super().__init__(message)
        self.instrument = instrument
        self.item = item
        self.field = f"item {item}" if item is not None else "answers"
        self.text = message
        self.code, self.params = text_of(message)


@dataclass(frozen=True, slots=True)
class QuestionnaireScore:
    """The score of one completed questionnaire.

    ``score`` is the total (ACT, C-ACT), the mean of the items (ACQ) or the number of
    "yes" answers (GINA); ``item_scores`` the scored items (ACQ-7's seventh is the
    FEV1 item score, its raw % predicted is in ``fev1_pct_pred``).
    """

    instrument: str
    score: float
    band: str
    item_scores: tuple[int, ...]
    fev1_pct_pred: float | None = None
    algorithm_version: str = ALGORITHM_VERSION


def acq_fev1_item_score(fev1_pct_pred: float) -> int:
    """ACQ-7 item 7 from the pre-bronchodilator FEV1 % predicted (see module docstring)."""
    if fev1_pct_pred > ACQ_FEV1_TOP:
        return 0
    for lowest, item_score in ACQ_FEV1_BANDS:
        if fev1_pct_pred >= lowest:
            return item_score
    return 6


def _describe(item: ItemSpec) -> Text:
    if item.kind == "boolean":
        return _text("questionnaire.allowed_yes_no")
    assert item.low is not None and item.high is not None
    code = (
        "questionnaire.allowed_whole" if item.kind == "integer" else "questionnaire.allowed_number"
    )
    return _text(code, low=number(item.low), high=number(item.high))


def _check_answer(instrument: str, position: int, item: ItemSpec, answer: object) -> float:
    def fail(problem: str, **got: Any) -> QuestionnaireError:
        message = _text(
            f"questionnaire.item_{problem}",
            instrument=Term(instrument),
            n=position,
            item=Term(item.label),
            allowed=_describe(item),
            **got,
        )
        return QuestionnaireError(message, instrument=instrument, item=position)

    if answer is None:
        raise fail("missing")
    if item.kind == "boolean":
        if not isinstance(answer, bool):
            raise fail("not_yes_no", got=echo(answer))
        return float(answer)
    if isinstance(answer, bool) or not isinstance(answer, Real):
        raise fail("not_a_number", got=echo(answer))
    value = float(answer)
    if not math.isfinite(value):
        raise fail("not_finite", got=echo(answer))
    if item.kind == "integer" and not (isinstance(answer, Integral) or value.is_integer()):
        raise fail("not_whole", got=echo(answer))
    assert item.low is not None and item.high is not None
    if not item.low <= value <= item.high:
        raise fail("out_of_range", got=echo(answer))
    return value


def score_questionnaire(instrument: str, answers: Sequence[object]) -> QuestionnaireScore:
    """Check and score one questionnaire; ``answers`` in item order.

    ``instrument`` is one of :data:`INSTRUMENTS`. Integer items take whole numbers
    (an int, or a float with no fraction); GINA items take ``True``/``False``; ACQ-7's
    last answer is the FEV1 % predicted.
    """
    if instrument not in ITEMS:
        raise QuestionnaireError(
            _text(
                "questionnaire.unknown_instrument",
                instruments=", ".join(INSTRUMENTS),
                got=repr(instrument),
            ),
            instrument=str(instrument),
        )
    items = ITEMS[instrument]
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise QuestionnaireError(
            _text("questionnaire.not_a_list", instrument=Term(instrument), count=len(items)),
            instrument=instrument,
        )
    if len(answers) != len(items):
        raise QuestionnaireError(
            _text(
                "questionnaire.answer_count",
                instrument=Term(instrument),
                count=len(items),
                got=len(answers),
            ),
            instrument=instrument,
        )
    values = [
        _check_answer(instrument, position, item, answer)
        for position, (item, answer) in enumerate(zip(items, answers, strict=True), start=1)
    ]
    fev1_pct: float | None = None
    if instrument == "acq7":
        fev1_pct = values[-1]
        values[-1] = float(acq_fev1_item_score(fev1_pct))
    item_scores = tuple(int(v) for v in values)
    total = sum(item_scores)
    bands = BANDS[instrument]
    if instrument == "act":
        band = _band_by_total(total, ACT_WELL_CONTROLLED_MIN, ACT_VERY_POORLY_MAX, bands)
        score = float(total)
    elif instrument == "cact":
        band = _band_by_total(total, CACT_WELL_CONTROLLED_MIN, CACT_VERY_POORLY_MAX, bands)
        score = float(total)
    elif instrument == "gina":
        band = bands[0] if total == 0 else bands[1] if total <= 2 else bands[2]
        score = float(total)
    else:
        n = len(item_scores)
        mean = Fraction(total, n)  # exact: the cut-offs compare rationals, not floats
        if mean <= Fraction(ACQ_WELL_CONTROLLED_MAX):
            band = bands[0]
        elif mean >= Fraction(ACQ_NOT_WELL_CONTROLLED_MIN):
            band = bands[2]
        else:
            band = bands[1]
        score = total / n
    return QuestionnaireScore(instrument, score, band, item_scores, fev1_pct)


def _band_by_total(total: int, well_min: int, very_poor_max: int, bands: tuple[str, ...]) -> str:
    if total >= well_min:
        return bands[0]
    if total <= very_poor_max:
        return bands[2]
    return bands[1]
