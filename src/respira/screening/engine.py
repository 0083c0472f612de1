"""The eligibility rule engine: criteria sets as data, checked on load and evaluated
against dated facts with three-valued logic.

The engine is three modules; this one is its public face, so that callers keep
writing ``engine.load``, ``engine.evaluate``, ``engine.FACTS``:

- ``respira.screening.catalogue`` — the facts a rule may name (``FACTS``, ``FactSpec``),
  the shape of a dated fact value (``DatedFact``, ``Fact``) and the operators;
- ``respira.screening.loader`` — the TOML text of a criteria set (see
  ``criteria/default.toml``) parsed and checked into ``CriteriaSet`` / ``Criterion`` /
  ``Leaf`` / ``Group``, every problem reported at once in ``CriteriaError``;
- ``respira.screening.evaluator`` — each criterion met, not met or unknown with its
  evidence, and the decision. Missing data gives "unknown", never "pass"
  (reference/clinical.md §8.2).

The engine is pure (no database, no I/O beyond parsing the text it is given).
"""

from __future__ import annotations

from respira.screening.catalogue import (
    FACTS,
    OPERATORS,
    OPS_BY_KIND,
    UNIT_ALIASES,
    DatedFact,
    Fact,
    FactKind,
    Facts,
    FactSpec,
    is_number,
)
from respira.screening.evaluator import (
    CriterionResult,
    Decision,
    Evaluation,
    FactUse,
    Status,
    decide,
    evaluate,
    evaluate_criterion,
)
from respira.screening.loader import (
    ID_RE,
    KINDS,
    MAX_CRITERIA,
    MAX_DEPTH,
    MAX_TEXT_BYTES,
    MAX_WINDOW_DAYS,
    VERSION_RE,
    CriteriaError,
    CriteriaSet,
    Criterion,
    Group,
    Leaf,
    Rule,
    load,
)

__all__ = [
    "FACTS",
    "ID_RE",
    "KINDS",
    "MAX_CRITERIA",
    "MAX_DEPTH",
    "MAX_TEXT_BYTES",
    "MAX_WINDOW_DAYS",
    "OPERATORS",
    "OPS_BY_KIND",
    "UNIT_ALIASES",
    "VERSION_RE",
    "CriteriaError",
    "CriteriaSet",
    "Criterion",
    "CriterionResult",
    "DatedFact",
    "Decision",
    "Evaluation",
    "Fact",
    "FactKind",
    "FactSpec",
    "FactUse",
    "Facts",
    "Group",
    "Leaf",
    "Rule",
    "Status",
    "decide",
    "evaluate",
    "evaluate_criterion",
    "is_number",
    "load",
]
