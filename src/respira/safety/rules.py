"""The clinical rules of adverse events, as pure functions of plain values (no database).

- **Seriousness** (ICH E2A; clinical.md §4.2): an event is serious when it has at least
  one criterion: death, life-threatening, hospitalisation or a prolonged stay,
  persistent or significant disability, congenital anomaly, important medical event.
  Seriousness is not severity: a grade-3 headache may be non-serious. The planned
  infusion stay is not "hospitalisation": the criterion means an admission, or a stay
  prolonged beyond the plan because of the event (the form says so).
- **Causality** on the five-category scale with its binary mapping (§4.2): unrelated and
  unlikely are "not related"; possible, probable and definite are "related"
  (a reasonable possibility).
- **Grade 5** (CTCAE v5.0 §4.1: death related to the AE) means the outcome is fatal and
  the event is serious by the death criterion. Decided here: when the outcome is left
  out it is set to fatal, and the death criterion is added; an explicit other outcome
  is refused (a contradiction the recorder must resolve), and so is a fatal outcome or
  the death criterion with a grade below 5.
- **One reaction, one term** (§4.1 navigational rule): an allergic reaction to the
  infused agent is recorded as either "Infusion related reaction" or "Allergic
  reaction" (or "Anaphylaxis"), never both for the same infusion.
- **Reporting clocks** (§4.2, data in ``safety.toml`` with their sources): the first
  clock whose conditions hold gives the days to the initial report and, for a fatal or
  life-threatening SUSAR, the days after it to the follow-up report, counted from the
  first knowledge of the event as serious.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

from respira.kit.marks import N_
from respira.kit.texts import Msg

# The vocabularies of an event (the API contract's words), as types for the schemas and
# as tuples for the rules, the tables' constraints and the pages.
Criterion = Literal[
    "death",
    "life_threatening",
    "hospitalisation",
    "disability",
    "congenital_anomaly",
    "important_medical_event",
]
Causality = Literal["unrelated", "unlikely", "possible", "probable", "definite"]
Outcome = Literal[
    "recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown"
]
SERIOUS_CRITERIA: tuple[str, ...] = get_args(Criterion)
CAUSALITY: tuple[str, ...] = get_args(Causality)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
RELATED_CAUSALITY = frozenset({"possible", "probable", "definite"})
# §4.1: "Infusion related reaction" excludes "Allergic reaction" and "Anaphylaxis" for
# the same infusion, and the other way round.
_INFUSION_REACTION = "Infusion related reaction"
_ALLERGIC = frozenset({"Allergic reaction", "Anaphylaxis"})
RELATED_SEVERE_GRADE = 3  # the lot flag counts related events of grade 3 or higher


def is_serious(criteria: Iterable[str]) -> bool:
    return len(list(criteria)) > 0


def is_related(causality: str) -> bool:
    """The binary mapping of the five-category causality scale (§4.2)."""
    return causality in RELATED_CAUSALITY


def exclusive_terms(term: str) -> frozenset[str]:
    """The terms that must not be recorded with ``term`` for the same infusion."""
    if term == _INFUSION_REACTION:
        return _ALLERGIC
    if term in _ALLERGIC:
        return frozenset({_INFUSION_REACTION})
    return frozenset()


@dataclass(frozen=True)
class Consistent:
    """The criteria and outcome after the grade-5 rule, or the problems it found."""

    criteria: list[str]
    outcome: str | None
    problems: dict[str, str]


def grade_five_rule(grade: int, criteria: Sequence[str], outcome: str | None) -> Consistent:
    """Grade 5 means death: the outcome is fatal and the death criterion holds (both set
    when left out); a fatal outcome or the death criterion needs grade 5."""
    problems: dict[str, str] = {}
    criteria = list(dict.fromkeys(criteria))
    if grade == 5:
        if outcome is None:
            outcome = "fatal"
        elif outcome != "fatal":
            problems["outcome"] = N_(
                "grade 5 means the event caused death (CTCAE v5.0): the outcome must be fatal"
            )
        if "death" not in criteria:
            criteria = ["death", *criteria]
    else:
        if outcome == "fatal":
            problems["outcome"] = N_(
                "a fatal outcome is grade 5 in CTCAE v5.0: grade the event 5, or choose "
                "another outcome"
            )
        if "death" in criteria:
            problems["serious_criteria"] = N_(
                "the death criterion means the event resulted in death: that is grade 5"
            )
    return Consistent(criteria, outcome, problems)


def date_problems(
    onset: dt.date,
    resolution: dt.date | None,
    today: dt.date,
    administered_on: dt.date | None = None,
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if onset > today:
        problems["onset_date"] = N_("the onset cannot be in the future")
    if resolution is not None and resolution < onset:
        problems["resolution_date"] = N_("the resolution is before the onset")
    elif resolution is not None and resolution > today:
        problems["resolution_date"] = N_("the resolution cannot be in the future")
    if administered_on is not None and onset < administered_on:
        problems["onset_date"] = Msg(
            N_("the onset is before the administration it follows (%(day)s)"),
            day=administered_on.isoformat(),
        )
    return problems


# --- configuration: clocks, lot flag, the first expected list ---------------------------


@dataclass(frozen=True)
class Clock:
    name: str
    label: str
    initial_days: int
    source: str
    follow_up_days: int | None = None
    expected: bool | None = None
    related: bool | None = None
    criteria_any: frozenset[str] = frozenset()

    def applies(self, *, expected: bool, related: bool, criteria: Iterable[str]) -> bool:
        if self.expected is not None and self.expected != expected:
            return False
        if self.related is not None and self.related != related:
            return False
        return not self.criteria_any or bool(self.criteria_any & set(criteria))


@dataclass(frozen=True)
class Config:
    clocks: tuple[Clock, ...]
    lot_flag_more_than: int
    expected_effective_from: dt.date
    expected_terms: tuple[str, ...]
    expected_source: str


def parse_config(text: str) -> Config:
    data = tomllib.loads(text)
    clocks = tuple(
        Clock(
            name=c["name"],
            label=c["label"],
            initial_days=int(c["initial_days"]),
            source=c["source"],
            follow_up_days=c.get("follow_up_days"),
            expected=c.get("expected"),
            related=c.get("related"),
            criteria_any=frozenset(c.get("criteria_any", ())),
        )
        for c in data["clock"]
    )
    for clock in clocks:
        unknown = clock.criteria_any - set(SERIOUS_CRITERIA)
        if unknown or clock.initial_days < 1:
            raise ValueError(f"reporting clock {clock.name!r} is not valid")
    if clocks[-1].expected is not None or clocks[-1].related or clocks[-1].criteria_any:
        raise ValueError("the last reporting clock must match every serious event")
    expected = data["expected_reactions"]
    return Config(
        clocks=clocks,
        lot_flag_more_than=int(data["lot_flag"]["related_grade3_more_than"]),
        expected_effective_from=dt.date.fromisoformat(expected["effective_from"]),
        expected_terms=tuple(expected["terms"]),
        expected_source=expected["source"],
    )


@cache
def config() -> Config:
    text = importlib.resources.files("respira.safety").joinpath("safety.toml").read_text("utf-8")
    return parse_config(text)


@dataclass(frozen=True)
class Due:
    clock: Clock
    report_due_at: dt.datetime
    follow_up_due_at: dt.datetime | None


def reporting_clock(
    started_at: dt.datetime,
    *,
    expected: bool,
    related: bool,
    criteria: Iterable[str],
    clocks: Iterable[Clock] | None = None,
) -> Due:
    """When the initial (and, where the clock has one, the follow-up) report of a
    serious event is due: calendar days from ``started_at`` (first knowledge)."""
    criteria = list(criteria)
    clock = next(
        c
        for c in (clocks if clocks is not None else config().clocks)
        if c.applies(expected=expected, related=related, criteria=criteria)
    )
    initial = started_at + dt.timedelta(days=clock.initial_days)
    follow_up = initial + dt.timedelta(days=clock.follow_up_days) if clock.follow_up_days else None
    return Due(clock, initial, follow_up)


@dataclass(frozen=True)
class Countdown:
    """How a due time reads now: ``state`` "met", "due" or "overdue", and the
    ``days`` left (due) or past (overdue), a part of a day counted as a day."""

    state: str
    days: int
    due_at: dt.datetime
    met_at: dt.datetime | None = None
    late: bool = False


def countdown(due_at: dt.datetime, now: dt.datetime, met_at: dt.datetime | None) -> Countdown:
    if met_at is not None:
        return Countdown("met", 0, due_at, met_at, late=met_at > due_at)
    seconds = (due_at - now).total_seconds()
    if seconds >= 0:
        return Countdown("due", math.ceil(seconds / 86400), due_at)
    return Countdown("overdue", math.ceil(-seconds / 86400), due_at)


def lot_flagged(related_severe_count: int, more_than: int | None = None) -> bool:
    threshold = config().lot_flag_more_than if more_than is None else more_than
    return related_severe_count > threshold
