"""Evaluating a criteria set against dated facts with three-valued logic: each
criterion met, not met or unknown, with the evidence that decided it, and the decision.

Evaluation follows the programme's design rule (reference/clinical.md §8.2): missing
data gives "unknown", never "pass". A fact that was never recorded, or that was
recorded before the rule's look-back window, makes its leaf unknown; so does, for a
leaf marked ``up_to_screening``, an answer that the condition is absent recorded before
the screening date (the days since are not covered). A ``supporting`` leaf only adds
evidence: missing or not holding, it counts as false (see ``loader``). Groups combine
with Kleene's strong three-valued logic (``any`` is true if one part is true, false if
all are false, else unknown; ``all`` the dual). The decision rule:

1. any exclusion met, or any required inclusion/suitability criterion not met
   → ``not_eligible``;
2. otherwise any exclusion unknown, or any required criterion unknown
   → ``needs_review``;
3. otherwise → ``eligible``.

Criteria with ``required = false`` are advisory: shown with their status and evidence,
never deciding. Exclusions are always required.

This module is pure (no database, no I/O).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from respira.kit.marks import N_
from respira.kit.texts import Msg
from respira.screening.catalogue import (
    CHOICE_WORDS,
    DAYS,
    FACTS,
    OPERATORS,
    UNIT_WORDS,
    Facts,
    is_number,
)
from respira.screening.loader import CriteriaSet, Criterion, Leaf, Rule

Status = Literal["met", "not_met", "unknown"]
Decision = Literal["eligible", "not_eligible", "needs_review"]


@dataclass(frozen=True)
class FactUse:
    """One leaf as evaluated: the value it saw (or why it saw none) and its result.

    ``value`` is exact; ``shown`` is the value rounded as clinicians read it, with its
    unit ("71 % predicted", "z −2.08", "1 event"), and ``exact`` the same unrounded
    (for the page's hover); ``text`` is the whole line, ``shown`` + ``detail``."""

    fact: str
    label: str
    value: Any
    unit: str | None
    on: dt.date | None
    source: str | None
    state: Literal["used", "missing", "stale", "uncovered"]
    result: bool | None
    text: str
    shown: str | None = None
    exact: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "label": self.label,
            "value": _jsonable(self.value),
            "unit": self.unit,
            "on": self.on.isoformat() if self.on else None,
            "source": self.source,
            "state": self.state,
            "result": self.result,
            "text": self.text,
            "shown": self.shown,
            "exact": self.exact,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CriterionResult:
    id: str
    kind: str
    description: str
    source: str
    required: bool
    status: Status
    evidence: str
    facts: tuple[FactUse, ...]
    recheck_before_infusion: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "description": self.description,
            "source": self.source,
            "required": self.required,
            "recheck_before_infusion": self.recheck_before_infusion,
            "status": self.status,
            "evidence": self.evidence,
            "facts": [f.as_dict() for f in self.facts],
        }


@dataclass(frozen=True)
class Evaluation:
    version: str
    on: dt.date
    decision: Decision
    reasons: tuple[str, ...]
    results: tuple[CriterionResult, ...] = field(default_factory=tuple)


# The evidence is written in English (what is stored, signed and answered by the API)
# with ``english``; a page writes the same lines in the reader's language by passing
# its ``gettext`` (``respira.screening.wording``).
Gettext = Callable[[str], str]


def english(message: str) -> str:
    return message


def _say(gettext: Gettext, msgid: str, **params: Any) -> str:
    return gettext(msgid) % params


_YES, _NO, _NONE = N_("yes"), N_("no"), N_("none recorded")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _fmt(value: Any, gettext: Gettext = english) -> str:
    if value is True:
        return gettext(_YES)
    if value is False:
        return gettext(_NO)
    if value is None:
        return gettext(_NONE)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and CHOICE_WORDS.get(value) == value:
        return gettext(value)
    return str(value)


_SILENT_UNITS = (None, DAYS, "step")
_WORDED = {
    "eq": N_("is"),
    "ne": N_("is not"),
    "in": N_("is one of"),
    "not_in": N_("is none of"),
}


def _unit(unit: str | None, gettext: Gettext) -> str:
    return gettext(UNIT_WORDS[unit]) if unit in UNIT_WORDS else str(unit)


def _fmt_threshold(leaf: Leaf, gettext: Gettext = english) -> str:
    unit = "" if leaf.unit in _SILENT_UNITS else f" {_unit(leaf.unit, gettext)}"
    if leaf.op == "within_days":
        return _say(gettext, N_("within the last %(days)s days"), days=leaf.value)
    if leaf.op == "between":
        lo, hi = leaf.value
        return _say(
            gettext,
            N_("between %(low)s and %(high)s%(unit)s"),
            low=_fmt(lo, gettext),
            high=_fmt(hi, gettext),
            unit=unit,
        )
    if leaf.op in ("in", "not_in"):
        values = ", ".join(_fmt(v, gettext) for v in leaf.value)
        return f"{gettext(_WORDED[leaf.op])} {values}{unit}"
    word = gettext(_WORDED[leaf.op]) if leaf.op in _WORDED else OPERATORS[leaf.op]
    return f"{word} {_fmt(leaf.value, gettext)}{unit}"


def _compare(leaf: Leaf, value: Any, on: dt.date) -> bool | None:
    op, ref = leaf.op, leaf.value
    if op == "within_days":
        if value is None:  # recorded, and there was no such event
            return False
        assert isinstance(value, dt.date)
        return bool((on - value).days <= ref)
    if op == "eq":
        return bool(value == ref)
    if op == "ne":
        return bool(value != ref)
    if op == "in":
        return value in ref
    if op == "not_in":
        return value not in ref
    if value is None or not is_number(value):
        return None  # a number compared with nothing: no answer
    if op == "lt":
        return bool(value < ref)
    if op == "le":
        return bool(value <= ref)
    if op == "gt":
        return bool(value > ref)
    if op == "ge":
        return bool(value >= ref)
    if op == "between":
        lo, hi = ref
        return bool(lo <= value <= hi)
    raise AssertionError(f"operator {op} passed the checks but has no meaning")


# Decimals shown per unit, as clinicians read the value (issue 14); the exact value
# stays in ``FactUse.value`` and ``FactUse.exact``.
_DECIMALS = {
    "% predicted": 0,
    "z": 2,
    "L": 2,
    "points": 2,
    "cells/µL": 0,
    "ppb": 0,
    "IU/mL": 0,
    "mL/min/1.73m²": 0,
    "events": 0,
    "puffs/week": 1,
    "pack-years": 1,
    "mg/day": 1,
    "years": 0,
}


def _signed(text: str) -> str:
    return text.replace("-", "\u2212")


def _number_text(value: float, decimals: int | None) -> str:
    if decimals is None:
        return _signed(f"{value:g}")
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return _signed("0" if text == "-0" else text)


def _with_unit(number: str, value: float, unit: str | None, gettext: Gettext) -> str:
    if unit == "z":
        return f"z {number}"
    if unit == "events":
        one, many = N_("%(number)s event"), N_("%(number)s events")
        return _say(gettext, one if value == 1 else many, number=number)
    if unit == "% predicted":
        return _say(gettext, N_("%(number)s %% predicted"), number=number)
    return number if unit in _SILENT_UNITS else f"{number} {_unit(unit, gettext)}"


def shown_value(value: Any, unit: str | None, gettext: Gettext = english) -> tuple[str, str]:
    """The value rounded as clinicians read it, and exact, each with its unit."""
    if not is_number(value):
        return _fmt(value, gettext), _fmt(value, gettext)
    rounded = _with_unit(_number_text(value, _DECIMALS.get(unit or "")), value, unit, gettext)
    exact = _with_unit(
        _signed(repr(float(value)) if isinstance(value, float) else str(value)),
        value,
        unit,
        gettext,
    )
    return rounded, exact


def _use(
    leaf: Leaf,
    value: Any,
    found: Any,
    state: Literal["used", "missing", "stale", "uncovered"],
    result: bool | None,
    tail: str,
    gettext: Gettext,
) -> FactUse:
    spec = FACTS[leaf.fact]
    label = gettext(spec.label)
    shown, exact = shown_value(value, spec.unit, gettext)
    detail = f" ({found.on.isoformat()}, {found.source}) — {tail}"
    return FactUse(
        leaf.fact,
        label,
        value,
        spec.unit,
        found.on,
        found.source,
        state,
        result,
        f"{label}: {shown}{detail}",
        shown,
        exact,
        detail,
    )


def eval_leaf(leaf: Leaf, facts: Facts, on: dt.date, gettext: Gettext = english) -> FactUse:
    use = _eval_recorded(leaf, facts, on, gettext)
    if leaf.supporting and use.result is not True:
        # Supporting evidence only: what is missing or does not hold adds nothing.
        text = _say(
            gettext, N_("%(evidence)s (supporting evidence only: adds nothing)"), evidence=use.text
        )
        return dataclasses.replace(use, result=False, text=text)
    return use


def _eval_recorded(leaf: Leaf, facts: Facts, on: dt.date, gettext: Gettext) -> FactUse:
    spec = FACTS[leaf.fact]
    label = gettext(spec.label)
    found = facts.get(leaf.fact)
    cond = _fmt_threshold(leaf, gettext)
    if found is None:
        text = _say(
            gettext,
            N_("%(fact)s: not recorded (%(origin)s) — unknown"),
            fact=label,
            origin=gettext(spec.origin),
        )
        return FactUse(leaf.fact, label, None, spec.unit, None, None, "missing", None, text)
    value, when = found.value, found.on
    if value is None and spec.kind != "date" and not spec.none_is_value:
        text = _say(
            gettext,
            N_("%(fact)s: recorded as unknown (%(on)s, %(source)s) — unknown"),
            fact=label,
            on=when.isoformat(),
            source=found.source,
        )
        return FactUse(leaf.fact, label, None, spec.unit, when, found.source, "missing", None, text)
    if leaf.window_days is not None and (on - when).days > leaf.window_days:
        tail = _say(
            gettext,
            N_("older than the %(days)s-day look-back window (before %(since)s) — unknown"),
            days=leaf.window_days,
            since=(on - dt.timedelta(days=leaf.window_days)).isoformat(),
        )
        return _use(leaf, value, found, "stale", None, tail, gettext)
    result = _compare(leaf, value, on)
    if result is False and leaf.up_to_screening and when < on:
        # "No" as of an earlier day says nothing about the days since (issue 14).
        tail = _say(
            gettext,
            N_(
                "%(condition)s: does not hold as of %(recorded)s, but the %(days)s-day window"
                " up to the screening date %(on)s is not covered after %(recorded)s — unknown;"
                " assess again on the screening date"
            ),
            condition=cond,
            recorded=when.isoformat(),
            days=leaf.window_days,
            on=on.isoformat(),
        )
        return _use(leaf, value, found, "uncovered", None, tail, gettext)
    if result is None:
        tail = _say(
            gettext, N_("cannot be compared with '%(condition)s' — unknown"), condition=cond
        )
    elif result:
        tail = _say(gettext, N_("%(condition)s: holds"), condition=cond)
    else:
        tail = _say(gettext, N_("%(condition)s: does not hold"), condition=cond)
    return _use(leaf, value, found, "used", result, tail, gettext)


def _eval(
    rule: Rule, facts: Facts, on: dt.date
) -> tuple[bool | None, list[FactUse], list[FactUse]]:
    """The rule's truth, the leaves that decided it, and every leaf evaluated."""
    if isinstance(rule, Leaf):
        use = eval_leaf(rule, facts, on)
        return use.result, [use], [use]
    parts = [_eval(p, facts, on) for p in rule.parts]
    every = [u for _, _, uses in parts for u in uses]
    decisive = rule.mode == "any"
    hits = [p for p in parts if p[0] is decisive]
    if hits:  # one true part makes "any" true; one false part makes "all" false
        return decisive, [u for _, deciding, _ in hits for u in deciding], every
    unknown = [p for p in parts if p[0] is None]
    if unknown:
        return None, [u for _, deciding, _ in unknown for u in deciding], every
    return not decisive, [u for _, deciding, _ in parts for u in deciding], every


def evaluate_criterion(criterion: Criterion, facts: Facts, on: dt.date) -> CriterionResult:
    truth, deciding, every = _eval(criterion.rule, facts, on)
    status: Status = "unknown" if truth is None else ("met" if truth else "not_met")
    evidence = "; ".join(u.text for u in deciding)
    return CriterionResult(
        criterion.id,
        criterion.kind,
        criterion.description,
        criterion.source,
        criterion.required,
        status,
        evidence,
        tuple(every),
        criterion.recheck_before_infusion,
    )


class Judged(Protocol):
    """What the decision reads of a criterion's result (a ``CriterionResult``, or the
    stored one a page shows)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def status(self) -> str: ...


def decide(results: Sequence[Judged]) -> tuple[Decision, list[Msg]]:
    """The decision and the criteria that made it (see the module's rule)."""
    excluded = [r.id for r in results if r.kind == "exclusion" and r.status == "met"]
    failed = [
        r.id for r in results if r.kind != "exclusion" and r.required and r.status == "not_met"
    ]
    if excluded or failed:
        reasons = [Msg(N_("exclusion met: %(criterion)s"), criterion=i) for i in excluded]
        reasons += [
            Msg(N_("required criterion not met: %(criterion)s"), criterion=i) for i in failed
        ]
        return "not_eligible", reasons
    open_ = [r.id for r in results if r.required and r.status == "unknown"]
    if open_:
        return "needs_review", [
            Msg(N_("unknown, needs data or review: %(criterion)s"), criterion=i) for i in open_
        ]
    return "eligible", [Msg(N_("every exclusion not met and every required criterion met"))]


def evaluate(criteria: CriteriaSet, facts: Facts, on: dt.date) -> Evaluation:
    results = tuple(evaluate_criterion(c, facts, on) for c in criteria.criteria)
    decision, reasons = decide(results)
    return Evaluation(criteria.version, on, decision, tuple(reasons), results)
