"""The eligibility rule engine: criteria sets as data, checked on load and evaluated
against dated facts with three-valued logic.

A criteria set is TOML text (see ``criteria/default.toml``). Each criterion has an id,
a kind (inclusion, exclusion or suitability), a description, a source citation,
whether it is required for a decision, and a rule. A rule is either a *leaf* — one fact
compared with a threshold by one of a fixed set of operators, with the threshold's
unit and an optional look-back window in days — or an ``any``/``all`` group of rules.
Nothing in the text is executed: the interpreter below walks the parsed tree, and
loading checks every fact name, operator, unit, value type and window, naming the
criterion in each error.

Evaluation follows the programme's design rule (reference/clinical.md §8.2): missing
data gives "unknown", never "pass". A fact that was never recorded, or that was
recorded before the rule's look-back window, makes its leaf unknown; groups combine
with Kleene's strong three-valued logic (``any`` is true if one part is true, false if
all are false, else unknown; ``all`` the dual). The decision rule:

1. any exclusion met, or any required inclusion/suitability criterion not met
   → ``not_eligible``;
2. otherwise any exclusion unknown, or any required criterion unknown
   → ``needs_review``;
3. otherwise → ``eligible``.

Criteria with ``required = false`` are advisory: shown with their status and evidence,
never deciding. Exclusions are always required.

This module is pure (no database, no I/O beyond parsing the text it is given).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

# --- facts -------------------------------------------------------------------------

FactKind = Literal["number", "bool", "enum", "text", "date"]


@dataclass(frozen=True)
class FactSpec:
    """A fact a rule may name: its type, its unit (numbers and dates) and the allowed
    values (enumerations), and where it comes from."""

    name: str
    label: str
    kind: FactKind
    origin: str
    unit: str | None = None
    choices: tuple[str, ...] = ()
    # For dates and a few texts a recorded None is a value ("no such event", "no
    # biologic"); for every other fact it means "not known".
    none_is_value: bool = False


_P, _D, _F = "patient record", "diagnostics", "screening findings"
_YEARS, _DAYS = "years", "days"

_SPECS: tuple[FactSpec, ...] = (
    # The patient record (age on the screening date).
    FactSpec("age_years", "age", "number", _P, _YEARS),
    FactSpec("sex_at_birth", "sex at birth", "enum", _P, choices=("female", "male")),
    FactSpec("smoking_pack_years", "smoking history", "number", _P, "pack-years"),
    # Diagnostics: respira.diagnostics.snapshot.ClinicalSnapshot, field for field.
    FactSpec("fev1_pre_l", "FEV1 pre-bronchodilator", "number", _D, "L"),
    FactSpec("fev1_pre_pctpred", "FEV1 pre-bronchodilator", "number", _D, "% predicted"),
    FactSpec("fev1_pre_z", "FEV1 pre-bronchodilator z-score", "number", _D, "z"),
    FactSpec("fev1fvc_pre_z", "FEV1/FVC pre-bronchodilator z-score", "number", _D, "z"),
    FactSpec("spirometry_pattern", "spirometry pattern", "text", _D),
    FactSpec("bdr_2022", "bronchodilator response (ERS/ATS 2022)", "bool", _D),
    FactSpec("bdr_2005", "bronchodilator response (ATS/ERS 2005)", "bool", _D),
    FactSpec("bdr_positive_ever", "bronchodilator response ever positive", "bool", _D),
    FactSpec("act_score", "ACT score", "number", _D, "points"),
    FactSpec("acq_score", "ACQ score", "number", _D, "points"),
    FactSpec("acq_instrument", "ACQ instrument", "text", _D),
    FactSpec("gina_control", "GINA symptom control", "text", _D),
    FactSpec("blood_eosinophils_per_ul", "blood eosinophils", "number", _D, "cells/µL"),
    FactSpec("feno_ppb", "FeNO", "number", _D, "ppb"),
    FactSpec("total_ige_iu_ml", "total IgE", "number", _D, "IU/mL"),
    FactSpec("phenotype", "phenotype", "text", _D),
    FactSpec("sensitised", "aeroallergen sensitisation", "bool", _D),
    FactSpec("gina_step", "GINA treatment step", "number", _D, "step"),
    FactSpec(
        "ics_dose_level", "ICS dose level", "enum", _D, choices=("none", "low", "medium", "high")
    ),
    FactSpec("on_laba", "on LABA", "bool", _D),
    FactSpec("on_lama", "on LAMA", "bool", _D),
    FactSpec("maintenance_ocs", "on maintenance oral corticosteroids", "bool", _D),
    FactSpec("biologic", "biologic", "text", _D, none_is_value=True),
    FactSpec("exacerbations_12m", "severe exacerbations in 12 months", "number", _D, "events"),
    FactSpec("hospitalisations_12m", "hospitalisations in 12 months", "number", _D, "events"),
    FactSpec("rescue_puffs_per_week", "rescue inhaler use", "number", _D, "puffs/week"),
    FactSpec(
        "last_systemic_corticosteroid_course",
        "last systemic corticosteroid course",
        "date",
        _D,
        _DAYS,
    ),
    FactSpec("last_exacerbation", "last severe exacerbation", "date", _D, _DAYS),
    FactSpec("chest_imaging_abnormal", "chest imaging abnormal", "bool", _D),
    FactSpec("fev1_post_pctpred", "FEV1 post-bronchodilator", "number", _D, "% predicted"),
    FactSpec("fev1fvc_post_z", "FEV1/FVC post-bronchodilator z-score", "number", _D, "z"),
    FactSpec("cact_score", "C-ACT score", "number", _D, "points"),
    FactSpec("ocs_dose_mg_per_day", "maintenance OCS dose", "number", _D, "mg/day"),
    FactSpec("adherence_confirmed", "adherence confirmed", "bool", _D),
    FactSpec("inhaler_technique_confirmed", "inhaler technique confirmed", "bool", _D),
    # Screening findings: what the physician assesses that diagnostics do not hold.
    FactSpec("pneumonia", "pneumonia", "bool", _F),
    FactSpec("active_tuberculosis", "active tuberculosis", "bool", _F),
    FactSpec("other_active_infection", "other active infection", "bool", _F),
    FactSpec(
        "tb_screening_result",
        "TB screening (IGRA)",
        "enum",
        _F,
        choices=("negative", "positive", "indeterminate"),
    ),
    FactSpec("respiratory_infection_4w", "respiratory infection in the last 4 weeks", "bool", _F),
    FactSpec(
        "heart_failure_nyha",
        "heart failure (NYHA class)",
        "enum",
        _F,
        choices=("none", "I", "II", "III", "IV"),
    ),
    FactSpec("unstable_cardiac_disease", "unstable cardiac disease", "bool", _F),
    FactSpec("egfr_ml_min_1_73m2", "eGFR", "number", _F, "mL/min/1.73m²"),
    FactSpec("dialysis", "dialysis", "bool", _F),
    FactSpec("hepatic_impairment", "hepatic impairment", "bool", _F),
    FactSpec("pregnant", "pregnant", "bool", _F),
    FactSpec("lactating", "lactating", "bool", _F),
    FactSpec(
        "pregnancy_test_result", "pregnancy test", "enum", _F, choices=("negative", "positive")
    ),
    FactSpec("malignancy_active_or_within_5y", "malignancy active or within 5 years", "bool", _F),
    FactSpec("alternative_diagnosis", "alternative or confounding diagnosis", "bool", _F),
    FactSpec("immunosuppressant_30d", "systemic immunosuppressant within 30 days", "bool", _F),
    FactSpec("investigational_product_30d", "investigational product within 30 days", "bool", _F),
    FactSpec("excipient_allergy", "allergy to a product excipient", "bool", _F),
    FactSpec("thrombosis_risk", "thrombosis risk factor", "bool", _F),
    FactSpec("current_smoker", "current smoker", "bool", _F),
    FactSpec(
        "airflow_variability_documented",
        "variable airflow limitation documented otherwise",
        "bool",
        _F,
    ),
    FactSpec("stable_general_health", "stable general health apart from asthma", "bool", _F),
    FactSpec("informed_consent", "written informed consent", "bool", _F),
    FactSpec("decision_capacity", "capacity to consent", "bool", _F),
)

FACTS: dict[str, FactSpec] = {s.name: s for s in _SPECS}


class DatedFact(Protocol):
    """What a fact value looks like to the engine (``respira.diagnostics.snapshot.Dated``
    fits): the value, the date it was measured or reported, and the record it is in."""

    @property
    def value(self) -> Any: ...
    @property
    def on(self) -> dt.date: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Fact:
    value: Any
    on: dt.date
    source: str


Facts = Mapping[str, DatedFact | None]

# --- operators and units ---------------------------------------------------------------

OPERATORS: dict[str, str] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "between": "between",
    "in": "one of",
    "not_in": "none of",
    "within_days": "within the last",
}
_OPS_BY_KIND: dict[FactKind, frozenset[str]] = {
    "number": frozenset({"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"}),
    "bool": frozenset({"eq", "ne"}),
    "enum": frozenset({"eq", "ne", "in", "not_in"}),
    "text": frozenset({"eq", "ne", "in", "not_in"}),
    "date": frozenset({"within_days"}),
}
# Spellings an editor may type for the same unit.
_UNIT_ALIASES = {"cells/uL": "cells/µL", "mL/min/1.73m2": "mL/min/1.73m²", "%pred": "% predicted"}

KINDS = ("exclusion", "inclusion", "suitability")
MAX_WINDOW_DAYS = 36_500
MAX_DEPTH = 4
MAX_CRITERIA = 200
MAX_TEXT_BYTES = 64 * 1024
VERSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")
ID_RE = re.compile(r"[a-z][a-z0-9_]{1,63}")

# --- the parsed criteria set -----------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    fact: str
    op: str
    value: Any
    unit: str | None = None
    window_days: int | None = None


@dataclass(frozen=True)
class Group:
    mode: Literal["any", "all"]
    parts: tuple[Rule, ...]


Rule = Leaf | Group


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: str
    description: str
    source: str
    required: bool
    rule: Rule


@dataclass(frozen=True)
class CriteriaSet:
    version: str
    title: str
    description: str
    criteria: tuple[Criterion, ...]

    def facts_used(self) -> set[str]:
        out: set[str] = set()
        for c in self.criteria:
            _collect_facts(c.rule, out)
        return out


def _collect_facts(rule: Rule, out: set[str]) -> None:
    if isinstance(rule, Leaf):
        out.add(rule.fact)
    else:
        for part in rule.parts:
            _collect_facts(part, out)


class CriteriaError(ValueError):
    """A criteria set that cannot be used; ``problems`` lists every problem found,
    each naming the criterion it is in."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- loading and checking ------------------------------------------------------------

_TOP_KEYS = {"version", "title", "description", "criterion"}
_CRITERION_KEYS = {"id", "kind", "description", "source", "required", "rule"}
_LEAF_KEYS = {"fact", "op", "value", "unit", "window_days"}


def load(text: str) -> CriteriaSet:
    """Parse and check a criteria set; raise ``CriteriaError`` listing every problem."""
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise CriteriaError([f"the criteria set is larger than {MAX_TEXT_BYTES // 1024} KiB"])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CriteriaError([f"not valid TOML: {exc}"]) from exc
    problems: list[str] = []
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(f"unknown top-level key '{key}' (allowed: {', '.join(sorted(_TOP_KEYS))})")
    version = data.get("version")
    if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
        problems.append(
            "'version' must be a string of 3 to 64 letters, digits, dots, dashes or "
            'underscores, such as "respira-default-2026.11"'
        )
        version = ""
    title = data.get("title", "")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        problems.append("'title' must be a non-empty string of at most 200 characters")
        title = ""
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        problems.append("'description' must be a string of at most 2000 characters")
        description = ""
    raw = data.get("criterion")
    if not isinstance(raw, list) or not raw:
        problems.append("the set needs at least one [[criterion]]")
        raw = []
    if len(raw) > MAX_CRITERIA:
        problems.append(f"at most {MAX_CRITERIA} criteria")
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        crit = _criterion(item, index, seen, problems)
        if crit is not None:
            criteria.append(crit)
    if problems:
        raise CriteriaError(problems)
    return CriteriaSet(version, title.strip(), description.strip(), tuple(criteria))


def _criterion(item: Any, index: int, seen: set[str], problems: list[str]) -> Criterion | None:
    if not isinstance(item, dict):
        problems.append(f"criterion #{index}: must be a table")
        return None
    cid = item.get("id")
    if not isinstance(cid, str) or not ID_RE.fullmatch(cid):
        problems.append(
            f"criterion #{index}: 'id' must be lower-case letters, digits and underscores, "
            "starting with a letter (2–64 characters)"
        )
        cid = f"#{index}"
    elif cid in seen:
        problems.append(f"criterion '{cid}': the id is used twice")
    seen.add(cid)
    where = f"criterion '{cid}'"
    before = len(problems)
    for key in sorted(set(item) - _CRITERION_KEYS):
        problems.append(
            f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(_CRITERION_KEYS))})"
        )
    kind = item.get("kind")
    if kind not in KINDS:
        problems.append(f"{where}: 'kind' must be one of: {', '.join(KINDS)}")
    description = item.get("description")
    if not isinstance(description, str) or not description.strip() or len(description) > 300:
        problems.append(f"{where}: 'description' must be a non-empty string (≤300 characters)")
    source = item.get("source")
    if not isinstance(source, str) or not source.strip() or len(source) > 1000:
        problems.append(f"{where}: 'source' must cite where the rule comes from (≤1000 characters)")
    required = item.get("required", True)
    if not isinstance(required, bool):
        problems.append(f"{where}: 'required' must be true or false")
    elif kind == "exclusion" and not required:
        problems.append(
            f"{where}: an exclusion is always required (unknown data in an exclusion must be "
            'reviewed); use kind = "suitability" with required = false for an advisory check'
        )
    if "rule" not in item:
        problems.append(f"{where}: 'rule' is missing")
        return None
    rule = _rule(item["rule"], where, problems, depth=1)
    if rule is None or len(problems) > before:
        return None
    assert isinstance(description, str) and isinstance(source, str) and isinstance(kind, str)
    return Criterion(cid, kind, description.strip(), source.strip(), bool(required), rule)


def _rule(node: Any, where: str, problems: list[str], depth: int) -> Rule | None:
    if not isinstance(node, dict):
        problems.append(f"{where}: a rule must be a table ({{ fact = ..., op = ..., ... }})")
        return None
    if depth > MAX_DEPTH:
        problems.append(f"{where}: rules may nest at most {MAX_DEPTH} levels deep")
        return None
    groups = [k for k in ("any", "all") if k in node]
    if groups:
        if len(node) != 1:
            problems.append(
                f"{where}: a group is a table with exactly one key, 'any' or 'all', "
                f"holding a list of rules (found: {', '.join(sorted(node))})"
            )
            return None
        mode = groups[0]
        parts = node[mode]
        if not isinstance(parts, list) or not parts:
            problems.append(f"{where}: '{mode}' must be a non-empty list of rules")
            return None
        checked = [_rule(p, where, problems, depth + 1) for p in parts]
        if any(p is None for p in checked):
            return None
        return Group("any" if mode == "any" else "all", tuple(p for p in checked if p is not None))
    return _leaf(node, where, problems)


def _leaf(node: dict[str, Any], where: str, problems: list[str]) -> Leaf | None:
    before = len(problems)
    for key in sorted(set(node) - _LEAF_KEYS):
        problems.append(
            f"{where}: unknown key '{key}' in a rule (allowed: "
            f"{', '.join(sorted(_LEAF_KEYS))}, or a group 'any'/'all')"
        )
    name = node.get("fact")
    spec = FACTS.get(name) if isinstance(name, str) else None
    if spec is None:
        close = [n for n in FACTS if isinstance(name, str) and len(name) > 2 and name in n][:3]
        close = close or difflib.get_close_matches(str(name), list(FACTS), n=3, cutoff=0.75)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        problems.append(f"{where}: unknown fact '{name}'{hint}")
        return None
    op = node.get("op")
    if op not in OPERATORS:
        problems.append(
            f"{where}: unknown operator '{op}' for fact '{name}' "
            f"(operators: {', '.join(OPERATORS)})"
        )
        return None
    if op not in _OPS_BY_KIND[spec.kind]:
        problems.append(
            f"{where}: operator '{op}' does not apply to fact '{name}' ({spec.kind}; allowed: "
            f"{', '.join(sorted(_OPS_BY_KIND[spec.kind]))})"
        )
        return None
    unit = node.get("unit")
    if unit is not None and not isinstance(unit, str):
        problems.append(f"{where}: 'unit' must be a string")
        unit = None
    if isinstance(unit, str):
        unit = _UNIT_ALIASES.get(unit, unit)
    if spec.unit is None and unit is not None:
        problems.append(f"{where}: fact '{name}' has no unit, but the rule gives '{unit}'")
    elif spec.unit is not None and unit is None:
        problems.append(f"{where}: the rule on fact '{name}' must state its unit ('{spec.unit}')")
    elif spec.unit is not None and unit != spec.unit:
        problems.append(
            f"{where}: unknown unit '{unit}' for fact '{name}', which is measured in '{spec.unit}'"
        )
    window = node.get("window_days")
    if window is not None and (
        isinstance(window, bool)
        or not isinstance(window, int)
        or not 1 <= window <= MAX_WINDOW_DAYS
    ):
        problems.append(
            f"{where}: 'window_days' must be a whole number of days, 1–{MAX_WINDOW_DAYS}"
        )
    if "value" not in node:
        problems.append(f"{where}: the rule on fact '{name}' needs a 'value'")
        return None
    value = _check_value(node["value"], spec, op, where, problems)
    if len(problems) > before:
        return None
    return Leaf(spec.name, str(op), value, unit, window)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check_value(value: Any, spec: FactSpec, op: str, where: str, problems: list[str]) -> Any:
    bad = f"{where}: value {value!r} does not fit fact '{spec.name}' with operator '{op}': "
    if op == "within_days":
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_WINDOW_DAYS
        ):
            problems.append(bad + f"a whole number of days, 1–{MAX_WINDOW_DAYS}")
        return value
    if op == "between":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(_is_number(v) for v in value)
            or value[0] > value[1]
        ):
            problems.append(bad + "a list [low, high] of two numbers with low ≤ high")
        return tuple(value) if isinstance(value, list) else value
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            problems.append(bad + "a non-empty list")
            return value
        for v in value:
            _check_scalar(v, spec, bad, problems)
        return tuple(value)
    _check_scalar(value, spec, bad, problems)
    return value


def _check_scalar(value: Any, spec: FactSpec, bad: str, problems: list[str]) -> None:
    if spec.kind == "number" and not _is_number(value):
        problems.append(bad + "a number")
    elif spec.kind == "bool" and not isinstance(value, bool):
        problems.append(bad + "true or false")
    elif spec.kind == "enum" and value not in spec.choices:
        problems.append(bad + f"one of {', '.join(spec.choices)}")
    elif spec.kind == "text" and (not isinstance(value, str) or not value):
        problems.append(bad + "a non-empty string")


# --- evaluation -----------------------------------------------------------------------

Status = Literal["met", "not_met", "unknown"]
Decision = Literal["eligible", "not_eligible", "needs_review"]


@dataclass(frozen=True)
class FactUse:
    """One leaf as evaluated: the value it saw (or why it saw none) and its result."""

    fact: str
    label: str
    value: Any
    unit: str | None
    on: dt.date | None
    source: str | None
    state: Literal["used", "missing", "stale"]
    result: bool | None
    text: str

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "description": self.description,
            "source": self.source,
            "required": self.required,
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


_SILENT_UNITS = (None, _DAYS, "step")
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
    if value is None or not _is_number(value):
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


def _eval_leaf(leaf: Leaf, facts: Facts, on: dt.date) -> FactUse:
    spec = FACTS[leaf.fact]
    found = facts.get(leaf.fact)
    cond = _fmt_threshold(leaf)
    if found is None:
        text = f"{spec.label}: not recorded ({spec.origin}) — unknown"
        return FactUse(leaf.fact, spec.label, None, spec.unit, None, None, "missing", None, text)
    value, when, source = found.value, found.on, found.source
    if value is None and spec.kind != "date" and not spec.none_is_value:
        text = f"{spec.label}: recorded as unknown ({when.isoformat()}, {source}) — unknown"
        return FactUse(leaf.fact, spec.label, None, spec.unit, when, source, "missing", None, text)
    unit = "" if spec.unit in _SILENT_UNITS else f" {spec.unit}"
    seen = f"{spec.label}: {_fmt(value)}{unit} ({when.isoformat()}, {source})"
    if leaf.window_days is not None and (on - when).days > leaf.window_days:
        text = (
            f"{seen} — older than the {leaf.window_days}-day look-back window "
            f"(before {(on - dt.timedelta(days=leaf.window_days)).isoformat()}) — unknown"
        )
        return FactUse(leaf.fact, spec.label, value, spec.unit, when, source, "stale", None, text)
    result = _compare(leaf, value, on)
    if result is None:
        text = f"{seen} — cannot be compared with '{cond}' — unknown"
    else:
        text = f"{seen} — {cond}: {'holds' if result else 'does not hold'}"
    return FactUse(leaf.fact, spec.label, value, spec.unit, when, source, "used", result, text)


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
