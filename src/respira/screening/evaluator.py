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
from dataclasses import dataclass, field
from typing import Any, Literal

from respira.screening.catalogue import DAYS, FACTS, OPERATORS, Facts, is_number
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


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _fmt(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "none recorded"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_SILENT_UNITS = (None, DAYS, "step")
_WORDED = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of"}


def _fmt_threshold(leaf: Leaf) -> str:
    unit = "" if leaf.unit in _SILENT_UNITS else f" {leaf.unit}"
    if leaf.op == "within_days":
        return f"within the last {leaf.value} days"
    if leaf.op == "between":
        lo, hi = leaf.value
        return f"between {_fmt(lo)} and {_fmt(hi)}{unit}"
    if leaf.op in ("in", "not_in"):
        return f"{_WORDED[leaf.op]} {', '.join(_fmt(v) for v in leaf.value)}{unit}"
    return f"{_WORDED.get(leaf.op, OPERATORS[leaf.op])} {_fmt(leaf.value)}{unit}"


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


def _with_unit(number: str, value: float, unit: str | None) -> str:
    if unit == "z":
        return f"z {number}"
    if unit == "events":
        return f"{number} {'event' if value == 1 else 'events'}"
    if unit == "% predicted":
        return f"{number} % predicted"
    return number if unit in _SILENT_UNITS else f"{number} {unit}"


def shown_value(value: Any, unit: str | None) -> tuple[str, str]:
    """The value rounded as clinicians read it, and exact, each with its unit."""
    if not is_number(value):
        return _fmt(value), _fmt(value)
    rounded = _with_unit(_number_text(value, _DECIMALS.get(unit or "")), value, unit)
    exact = _with_unit(
        _signed(repr(float(value)) if isinstance(value, float) else str(value)), value, unit
    )
    return rounded, exact


def _use(
    leaf: Leaf,
    value: Any,
    found: Any,
    state: Literal["used", "missing", "stale", "uncovered"],
    result: bool | None,
    tail: str,
) -> FactUse:
    spec = FACTS[leaf.fact]
    shown, exact = shown_value(value, spec.unit)
    detail = f" ({found.on.isoformat()}, {found.source}) — {tail}"
    return FactUse(
        leaf.fact,
        spec.label,
        value,
        spec.unit,
        found.on,
        found.source,
        state,
        result,
        f"{spec.label}: {shown}{detail}",
        shown,
        exact,
        detail,
    )


def _eval_leaf(leaf: Leaf, facts: Facts, on: dt.date) -> FactUse:
    use = _eval_recorded(leaf, facts, on)
    if leaf.supporting and use.result is not True:
        # Supporting evidence only: what is missing or does not hold adds nothing.
        return dataclasses.replace(
            use, result=False, text=f"{use.text} (supporting evidence only: adds nothing)"
        )
    return use


def _eval_recorded(leaf: Leaf, facts: Facts, on: dt.date) -> FactUse:
    spec = FACTS[leaf.fact]
    found = facts.get(leaf.fact)
    cond = _fmt_threshold(leaf)
    if found is None:
        text = f"{spec.label}: not recorded ({spec.origin}) — unknown"
        return FactUse(leaf.fact, spec.label, None, spec.unit, None, None, "missing", None, text)
    value, when = found.value, found.on
    if value is None and spec.kind != "date" and not spec.none_is_value:
        text = f"{spec.label}: recorded as unknown ({when.isoformat()}, {found.source}) — unknown"
        return FactUse(
            leaf.fact, spec.label, None, spec.unit, when, found.source, "missing", None, text
        )
    if leaf.window_days is not None and (on - when).days > leaf.window_days:
        tail = (
            f"older than the {leaf.window_days}-day look-back window "
            f"(before {(on - dt.timedelta(days=leaf.window_days)).isoformat()}) — unknown"
        )
        return _use(leaf, value, found, "stale", None, tail)
    result = _compare(leaf, value, on)
    if result is False and leaf.up_to_screening and when < on:
        # "No" as of an earlier day says nothing about the days since (issue 14).
        tail = (
            f"{cond}: does not hold as of {when.isoformat()}, but the "
            f"{leaf.window_days}-day window up to the screening date {on.isoformat()} is "
            f"not covered after {when.isoformat()} — unknown; assess again on the "
            "screening date"
        )
        return _use(leaf, value, found, "uncovered", None, tail)
    if result is None:
        tail = f"cannot be compared with '{cond}' — unknown"
    else:
        tail = f"{cond}: {'holds' if result else 'does not hold'}"
    return _use(leaf, value, found, "used", result, tail)


def _eval(
    rule: Rule, facts: Facts, on: dt.date
) -> tuple[bool | None, list[FactUse], list[FactUse]]:
    """The rule's truth, the leaves that decided it, and every leaf evaluated."""
    if isinstance(rule, Leaf):
        use = _eval_leaf(rule, facts, on)
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


def decide(
    results: tuple[CriterionResult, ...] | list[CriterionResult],
) -> tuple[Decision, list[str]]:
    """The decision and the criteria that made it (see the module's rule)."""
    excluded = [r.id for r in results if r.kind == "exclusion" and r.status == "met"]
    failed = [
        r.id for r in results if r.kind != "exclusion" and r.required and r.status == "not_met"
    ]
    if excluded or failed:
        reasons = [f"exclusion met: {i}" for i in excluded]
        reasons += [f"required criterion not met: {i}" for i in failed]
        return "not_eligible", reasons
    open_ = [r.id for r in results if r.required and r.status == "unknown"]
    if open_:
        return "needs_review", [f"unknown, needs data or review: {i}" for i in open_]
    return "eligible", ["every exclusion not met and every required criterion met"]


def evaluate(criteria: CriteriaSet, facts: Facts, on: dt.date) -> Evaluation:
    results = tuple(evaluate_criterion(c, facts, on) for c in criteria.criteria)
    decision, reasons = decide(results)
    return Evaluation(criteria.version, on, decision, tuple(reasons), results)
