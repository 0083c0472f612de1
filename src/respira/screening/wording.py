"""A stored screening's evidence and reasons in the reader's language (issue 14).

What a screening stores, signs and the API answers is English, word for word as
evaluated. A page writes the same lines in the reader's language from the stored
structure, not from the English text: each criterion's facts are stored in the order of
its rule's leaves, so the criteria set the screening was evaluated with (stored and
versioned) gives each fact its leaf, and the evaluator writes the line again with the
reader's ``gettext`` from the stored value, date and source. A line is translated only
where the same evaluation in English gives exactly the stored text; any other line (a
screening of an older wording, a set that no longer parses) is shown as stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from respira.kit.errors import InvalidInput
from respira.kit.marks import N_
from respira.kit.texts import translate
from respira.screening import evaluator
from respira.screening.catalogue import FACTS
from respira.screening.criteria_sets import parse_criteria
from respira.screening.decisions import WITHDRAWN
from respira.screening.evaluator import Gettext, english
from respira.screening.loader import CriteriaSet, Leaf, Rule
from respira.screening.models import ScreeningCriteriaSet
from respira.screening.schemas import CriterionResultOut, FactUseOut, ScreeningOut

# The state of a fact that did not decide by its value, as the page's badge names it.
STATE_WORDS = {"missing": N_("missing"), "stale": N_("stale"), "uncovered": N_("uncovered")}

# A fact a patient does not see (``WITHDRAWN``: its record was retracted).
_WITHDRAWN = N_("%(fact)s: from a record that was withdrawn after this screening")


@dataclass(frozen=True)
class Line:
    """One fact of a criterion as the page writes it."""

    label: str
    text: str
    shown: str | None
    exact: str | None
    detail: str | None
    state: str
    deciding: bool


@dataclass(frozen=True)
class _Found:
    value: Any
    on: dt.date
    source: str


def rule_leaves(rule: Rule) -> list[Leaf]:
    """The rule's leaves in the order the evaluator reads them."""
    if isinstance(rule, Leaf):
        return [rule]
    return [leaf for part in rule.parts for leaf in rule_leaves(part)]


def _stored_value(fact: FactUseOut) -> Any:
    spec = FACTS.get(fact.fact)
    if spec is not None and spec.kind == "date" and isinstance(fact.value, str):
        return dt.date.fromisoformat(fact.value)
    return fact.value


def _again(leaf: Leaf, fact: FactUseOut, on: dt.date, gettext: Gettext) -> evaluator.FactUse:
    """The fact's line evaluated again from its stored value, date and source."""
    if fact.on is None:
        facts: dict[str, _Found] = {}
    else:
        facts = {fact.fact: _Found(_stored_value(fact), fact.on, fact.source or "")}
    return evaluator.eval_leaf(leaf, facts, on, gettext)


def _as_stored(fact: FactUseOut, deciding: bool, gettext: Gettext) -> Line:
    if fact.shown is None and fact.text == f"{fact.label}: {WITHDRAWN}":
        label = gettext(FACTS[fact.fact].label) if fact.fact in FACTS else fact.label
        text = gettext(_WITHDRAWN) % {"fact": label}
        return Line(label, text, None, None, None, fact.state, deciding)
    return Line(fact.label, fact.text, fact.shown, fact.exact, fact.detail, fact.state, deciding)


def _line(
    leaf: Leaf | None, fact: FactUseOut, on: dt.date, deciding: bool, gettext: Gettext
) -> Line:
    if leaf is None or leaf.fact != fact.fact or fact.fact not in FACTS:
        return _as_stored(fact, deciding, gettext)
    try:
        same = _again(leaf, fact, on, english)
    except (TypeError, ValueError, AssertionError):
        return _as_stored(fact, deciding, gettext)
    if same.text != fact.text or same.state != fact.state:
        return _as_stored(fact, deciding, gettext)
    use = _again(leaf, fact, on, gettext)
    return Line(use.label, use.text, use.shown, use.exact, use.detail, use.state, deciding)


def criterion_lines(
    criterion: CriterionResultOut, leaves: list[Leaf] | None, on: dt.date, gettext: Gettext
) -> list[Line]:
    """The criterion's facts, each in the reader's language where it can be."""
    if leaves is not None and len(leaves) != len(criterion.facts):
        leaves = None
    return [
        _line(
            leaves[i] if leaves is not None else None,
            fact,
            on,
            fact.text in criterion.evidence,
            gettext,
        )
        for i, fact in enumerate(criterion.facts)
    ]


def _criteria_set(session: Session, set_id: int) -> CriteriaSet | None:
    row = session.get(ScreeningCriteriaSet, set_id)
    if row is None:
        return None
    try:
        return parse_criteria(row.toml_text)
    except InvalidInput:
        return None


def evidence_lines(
    session: Session, screening: ScreeningOut, gettext: Gettext
) -> dict[str, list[Line]]:
    """Every criterion's facts (by criterion id) as the page writes them."""
    criteria = _criteria_set(session, screening.criteria_set_id)
    rules = {c.id: c.rule for c in criteria.criteria} if criteria else {}
    return {
        c.id: criterion_lines(
            c,
            rule_leaves(rules[c.id]) if c.id in rules else None,
            screening.screening_date,
            gettext,
        )
        for c in screening.criteria
    }


def reasons(screening: ScreeningOut, gettext: Gettext) -> list[str]:
    """The decision's reasons in the reader's language: decided again from the stored
    statuses, as stored where that gives other words."""
    again = evaluator.decide(screening.criteria)[1]
    if [str(m) for m in again] != list(screening.reasons):
        return list(screening.reasons)
    return [translate(m, gettext) for m in again]
