"""Loading a criteria set: the TOML text an admin writes (see
``criteria/default.toml``), parsed and checked into the structure the evaluator walks.

Each criterion has an id, a kind (inclusion, exclusion or suitability), a description,
a source citation, whether it is required for a decision, and a rule. A rule is either
a *leaf* — one fact compared with a threshold by one of a fixed set of operators, with
the threshold's unit and an optional look-back window in days — or an ``any``/``all``
group of rules. Nothing in the text is executed: loading checks every fact name,
operator, unit, value type and window against ``respira.screening.catalogue``, naming
the criterion in each error, and ``load`` reports every problem at once.

Two leaf options serve look-backs (issue 14):

- ``up_to_screening = true``: the window must be covered up to the screening date. A
  recorded answer that the condition is absent ("no infection", "not pregnant") counts
  only when it was recorded on the screening date itself; recorded earlier, the days
  since are not covered and the leaf is unknown. An answer that the condition was
  present within the window still counts (it is evidence for the condition).
- ``supporting = true``: a leaf that can only add evidence for the condition (a
  diagnostic date of the last severe exacerbation within 4 weeks). When its fact is
  missing, stale or does not hold, it counts as false rather than unknown, so it must
  sit in an ``any`` group beside at least one ordinary rule, which keeps the group
  unknown when nothing is known.

A criterion may say ``recheck_before_infusion = true``: its facts change from day to
day, and the treatment step asks for them again on the infusion day before the first
administration (``docs/decisions/2026-12-06-screening-corrections.md``).

Exclusions are always required (unknown data in an exclusion must be reviewed; see
reference/clinical.md §8.2). This module is pure (no database, no I/O beyond parsing
the text it is given).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from typing import Any, Literal

from respira.screening.catalogue import (
    FACTS,
    OPERATORS,
    OPS_BY_KIND,
    UNIT_ALIASES,
    FactSpec,
    is_number,
)

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
    up_to_screening: bool = False
    supporting: bool = False


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
    recheck_before_infusion: bool = False


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
_CRITERION_KEYS = {
    "id",
    "kind",
    "description",
    "source",
    "required",
    "rule",
    "recheck_before_infusion",
}
_LEAF_KEYS = {"fact", "op", "value", "unit", "window_days", "up_to_screening", "supporting"}


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
            'underscores, such as "respira-default-2026.12"'
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
    recheck = item.get("recheck_before_infusion", False)
    if not isinstance(recheck, bool):
        problems.append(f"{where}: 'recheck_before_infusion' must be true or false")
    if "rule" not in item:
        problems.append(f"{where}: 'rule' is missing")
        return None
    rule = _rule(item["rule"], where, problems, depth=1)
    if isinstance(rule, Leaf) and rule.supporting:
        problems.append(f"{where}: {_SUPPORTING_ALONE}")
    if rule is None or len(problems) > before:
        return None
    assert isinstance(description, str) and isinstance(source, str) and isinstance(kind, str)
    return Criterion(
        cid, kind, description.strip(), source.strip(), bool(required), rule, bool(recheck)
    )


_SUPPORTING_ALONE = (
    "a 'supporting' rule only adds evidence; put it in an 'any' group beside at least one "
    "rule that is not supporting"
)


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
        supporting = [isinstance(p, Leaf) and p.supporting for p in checked]
        if any(supporting) and (mode == "all" or all(supporting)):
            problems.append(f"{where}: {_SUPPORTING_ALONE}")
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
    if op not in OPS_BY_KIND[spec.kind]:
        problems.append(
            f"{where}: operator '{op}' does not apply to fact '{name}' ({spec.kind}; allowed: "
            f"{', '.join(sorted(OPS_BY_KIND[spec.kind]))})"
        )
        return None
    unit = node.get("unit")
    if unit is not None and not isinstance(unit, str):
        problems.append(f"{where}: 'unit' must be a string")
        unit = None
    if isinstance(unit, str):
        unit = UNIT_ALIASES.get(unit, unit)
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
    flags = {}
    for flag in ("up_to_screening", "supporting"):
        flags[flag] = node.get(flag, False)
        if not isinstance(flags[flag], bool):
            problems.append(f"{where}: '{flag}' must be true or false")
    if flags["up_to_screening"] is True and window is None:
        problems.append(
            f"{where}: the rule on fact '{name}' says 'up_to_screening' and needs the "
            "window it covers ('window_days')"
        )
    if "value" not in node:
        problems.append(f"{where}: the rule on fact '{name}' needs a 'value'")
        return None
    value = _check_value(node["value"], spec, op, where, problems)
    if len(problems) > before:
        return None
    return Leaf(
        spec.name,
        str(op),
        value,
        unit,
        window,
        up_to_screening=bool(flags["up_to_screening"]),
        supporting=bool(flags["supporting"]),
    )


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
            or not all(is_number(v) for v in value)
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
    if spec.kind == "number" and not is_number(value):
        problems.append(bad + "a number")
    elif spec.kind == "bool" and not isinstance(value, bool):
        problems.append(bad + "true or false")
    elif spec.kind == "enum" and value not in spec.choices:
        problems.append(bad + f"one of {', '.join(spec.choices)}")
    elif spec.kind == "text" and (not isinstance(value, str) or not value):
        problems.append(bad + "a non-empty string")
