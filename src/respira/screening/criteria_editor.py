"""The screening criteria for people: each criterion as readable rules, the structured
editor's form of one criterion, the TOML text it writes, and the preview of a change's
effect on the current patients (issue 14).

- ``readable`` turns a checked criterion (``respira.screening.loader.Criterion``) into
  what a clinician reads: the condition in words ("FEV1/FVC post-bronchodilator z-score
  below −1.645", "no active tuberculosis (recorded in the 4 weeks before screening)"),
  the look-back windows, and the source with its references (trial registry links,
  Respira's clinical reference) and how far each was verified — never a fact key or an
  internal marker such as ``[K]``.
- ``criterion_form`` / ``criterion_from_form`` are the structured form of one
  criterion (kind, description, source, and its conditions: fact, operator, threshold
  with the fact's unit, window), checked with errors for people; ``to_toml`` writes a
  criteria set as the TOML text ``respira.screening.loader`` reads, so that what the
  form stores is exactly what the expert editor shows.
- ``preview`` evaluates the active set and an edited one against the current facts of
  every patient screened in the last 12 months, writing nothing.

A condition row of the form is a leaf; the criterion combines its rows with "any" or
"all", and rows that share a sub-group number form a group combined the other way
("all of" inside "any", and the dual) — the shape of every shipped criterion. A rule
nested deeper keeps its rule as it is in the form (edit it in the expert editor).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from respira.diagnostics.service import clinical_snapshots
from respira.kit import i18n
from respira.kit.marks import N_
from respira.kit.web.forms import HUMAN_MESSAGES, FieldProblem
from respira.patients import service as patients_service
from respira.screening import engine, facts
from respira.screening.catalogue import CHOICE_WORDS, DAYS, FACTS, OPS_BY_KIND, is_number
from respira.screening.criteria_sets import parse_criteria, shipped_default_text
from respira.screening.loader import (
    ID_RE,
    KINDS,
    MAX_WINDOW_DAYS,
    VERSION_RE,
    CriteriaSet,
    Criterion,
    Group,
    Leaf,
    Rule,
)
from respira.screening.models import Screening, ScreeningCriteriaSet, ScreeningFindings

Gettext = Callable[[str], str]

# --- words ---------------------------------------------------------------------------

DECISION_WORDS = {
    "eligible": N_("Eligible"),
    "needs_review": N_("Needs review"),
    "not_eligible": N_("Not eligible"),
}
KIND_WORDS = {
    "exclusion": N_("Exclusion"),
    "inclusion": N_("Inclusion"),
    "suitability": N_("Suitability"),
}
MODE_WORDS = {"any": N_("any of these:"), "all": N_("all of these:")}
MODE_CHOICES = {
    "any": N_("Met when any of its conditions holds"),
    "all": N_("Met when all of its conditions hold"),
}

# A yes/no fact as a statement that it holds, and that it does not.
BOOL_WORDS: dict[str, tuple[str, str]] = {
    "bdr_2022": (
        N_("a bronchodilator response (ERS/ATS 2022)"),
        N_("no bronchodilator response (ERS/ATS 2022)"),
    ),
    "bdr_2005": (
        N_("a bronchodilator response (ATS/ERS 2005)"),
        N_("no bronchodilator response (ATS/ERS 2005)"),
    ),
    "bdr_positive_ever": (
        N_("a bronchodilator response at any test"),
        N_("no bronchodilator response at any test"),
    ),
    "sensitised": (N_("aeroallergen sensitisation"), N_("no aeroallergen sensitisation")),
    "on_laba": (N_("on a LABA"), N_("not on a LABA")),
    "on_lama": (N_("on a LAMA"), N_("not on a LAMA")),
    "maintenance_ocs": (
        N_("on maintenance oral corticosteroids"),
        N_("not on maintenance oral corticosteroids"),
    ),
    "chest_imaging_abnormal": (N_("abnormal chest imaging"), N_("normal chest imaging")),
    "adherence_confirmed": (N_("adherence confirmed"), N_("adherence not confirmed")),
    "inhaler_technique_confirmed": (
        N_("inhaler technique confirmed"),
        N_("inhaler technique not confirmed"),
    ),
    "pneumonia": (N_("pneumonia"), N_("no pneumonia")),
    "active_tuberculosis": (N_("active tuberculosis"), N_("no active tuberculosis")),
    "other_active_infection": (
        N_("another active infection"),
        N_("no other active infection"),
    ),
    "respiratory_infection_4w": (N_("a respiratory infection"), N_("no respiratory infection")),
    "unstable_cardiac_disease": (
        N_("unstable cardiac disease"),
        N_("no unstable cardiac disease"),
    ),
    "dialysis": (N_("on dialysis"), N_("not on dialysis")),
    "hepatic_impairment": (N_("hepatic impairment"), N_("no hepatic impairment")),
    "pregnant": (N_("pregnant"), N_("not pregnant")),
    "lactating": (N_("lactating"), N_("not lactating")),
    "malignancy_active_or_within_5y": (
        N_("a malignancy, active or within 5 years"),
        N_("no malignancy, active or within 5 years"),
    ),
    "alternative_diagnosis": (
        N_("an alternative or confounding diagnosis"),
        N_("no alternative or confounding diagnosis"),
    ),
    "immunosuppressant_30d": (
        N_("a systemic immunosuppressant (other than corticosteroids)"),
        N_("no systemic immunosuppressant (other than corticosteroids)"),
    ),
    "investigational_product_30d": (
        N_("another investigational product"),
        N_("no other investigational product"),
    ),
    "excipient_allergy": (
        N_("an allergy to a product excipient"),
        N_("no allergy to a product excipient"),
    ),
    "thrombosis_risk": (N_("a thrombosis risk factor"), N_("no thrombosis risk factor")),
    "current_smoker": (N_("a current smoker"), N_("not a current smoker")),
    "ever_smoked": (N_("has ever smoked"), N_("has never smoked")),
    "vaping": (N_("currently vaping (e-cigarettes)"), N_("not vaping (e-cigarettes)")),
    "exacerbation_or_scs_4w": (
        N_("a severe exacerbation or systemic corticosteroid course"),
        N_("no severe exacerbation or systemic corticosteroid course"),
    ),
    "airflow_variability_documented": (
        N_("variable airflow limitation documented otherwise"),
        N_("no variable airflow limitation documented otherwise"),
    ),
    "stable_general_health": (
        N_("stable general health apart from asthma"),
        N_("general health not stable apart from asthma"),
    ),
    "informed_consent": (
        N_("written informed consent given"),
        N_("no written informed consent"),
    ),
    "decision_capacity": (N_("capacity to consent"), N_("no capacity to consent")),
}

# The yes/no facts that are about a period of their own (asked "in the last 4 weeks"):
# their words above leave it out, and a rule without a window of its own says it.
OWN_PERIOD_DAYS = {
    "respiratory_infection_4w": 28,
    "exacerbation_or_scs_4w": 28,
    "immunosuppressant_30d": 30,
    "investigational_product_30d": 30,
}

# Every other fact by its name for people: the catalogue's label (one source).
FACT_WORDS: dict[str, str] = {
    name: spec.label for name, spec in FACTS.items() if spec.kind != "bool"
}


# Units as people read them after a number ("z" and "step" need none: the fact names them).
UNIT_WORDS = {
    "years": N_("years"),
    "pack-years": N_("pack-years"),
    "points": N_("points"),
    "events": N_("events"),
    "puffs/week": N_("puffs a week"),
    "% predicted": N_("% predicted"),
}
_SILENT_UNITS = ("z", "step", DAYS)

# The operators as the form offers them, and a number's comparison in words.
OPERATOR_WORDS = {
    "eq": N_("is"),
    "ne": N_("is not"),
    "lt": N_("below"),
    "le": N_("at most"),
    "gt": N_("above"),
    "ge": N_("at least"),
    "between": N_("between"),
    "in": N_("one of"),
    "not_in": N_("none of"),
    "within_days": N_("within the last … days"),
}
_COMPARE = {
    "eq": N_("%(fact)s is %(value)s"),
    "ne": N_("%(fact)s is not %(value)s"),
    "lt": N_("%(fact)s below %(value)s"),
    "le": N_("%(fact)s at most %(value)s"),
    "gt": N_("%(fact)s above %(value)s"),
    "ge": N_("%(fact)s at least %(value)s"),
    "in": N_("%(fact)s is one of %(value)s"),
    "not_in": N_("%(fact)s is none of %(value)s"),
}

# The range a threshold must lie in: the values Respira accepts for the fact where it is
# entered (so that a rule can hold at all; a typo such as "ACT at most 190" is refused).
# ACT 5–25, C-ACT 0–27, ACQ 0–6: reference/clinical.md §0; GINA steps 1–5: §2.2; the
# diagnostic quantities: respira.diagnostics.units and .schemas (events 0–52 in 12
# months); eGFR 1–200 and pack-years 0–200: the findings' and the patient record's checks.
THRESHOLD_RANGES: dict[str, tuple[float, float]] = {
    "age_years": (0, 120),
    "smoking_pack_years": (0, 200),
    "fev1_pre_l": (0.2, 8),
    "fev1_pre_pctpred": (0, 200),
    "fev1_post_pctpred": (0, 200),
    "fev1_pre_z": (-10, 10),
    "fev1fvc_pre_z": (-10, 10),
    "fev1fvc_post_z": (-10, 10),
    "act_score": (5, 25),
    "cact_score": (0, 27),
    "acq_score": (0, 6),
    "blood_eosinophils_per_ul": (0, 20_000),
    "feno_ppb": (0, 300),
    "total_ige_iu_ml": (0, 20_000),
    "gina_step": (1, 5),
    "exacerbations_12m": (0, 52),
    "hospitalisations_12m": (0, 52),
    "rescue_puffs_per_week": (0, 200),
    "ocs_dose_mg_per_day": (0, 100),
    "egfr_ml_min_1_73m2": (1, 200),
}

# --- readable rules -----------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A condition in words: a leaf's text, or a group's heading and its parts."""

    text: str
    parts: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Reference:
    """A reference a source names: its words, and its title and address where known."""

    text: str
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Readable:
    """A criterion as people read it."""

    id: str
    kind: str
    kind_text: str
    description: str
    required: bool
    recheck_before_infusion: bool
    condition: Condition
    windows: tuple[str, ...]
    source: tuple[Reference, ...]
    verification: tuple[str, ...]


def _number(value: float, lang: str) -> str:
    digits = None if isinstance(value, int) else len(repr(float(value)).split(".")[-1])
    text = i18n.fmt_number(value, lang, digits if digits is not None and digits <= 6 else None)
    return text.replace("-", "\u2212")


def period(days: int, gettext: Gettext) -> str:
    """A look-back in words: weeks when it is whole weeks (up to a year), else days.
    (Russian writes "нед." and "дн.", which need no plural forms.)"""
    if days == 7:
        return gettext("1 week")
    if days % 7 == 0 and days <= 364:
        return gettext("%(num)s weeks") % {"num": days // 7}
    if days == 1:
        return gettext("1 day")
    return gettext("%(num)s days") % {"num": days}


class _Words:
    """Writes a criterion's rule in one language."""

    def __init__(self, lang: str, gettext: Gettext) -> None:
        self.lang, self._ = lang, gettext

    def value(self, fact: str, value: Any) -> str:
        spec = FACTS[fact]
        if is_number(value):
            number = _number(value, self.lang)
            if spec.unit in _SILENT_UNITS or spec.unit is None:
                return number
            unit = self._(UNIT_WORDS[spec.unit]) if spec.unit in UNIT_WORDS else spec.unit
            return f"{number} {unit}"
        if isinstance(value, str) and value in CHOICE_WORDS:
            return self._(CHOICE_WORDS[value])
        return str(value)

    def leaf(self, leaf: Leaf) -> str:
        spec = FACTS[leaf.fact]
        if spec.kind == "bool":
            yes, no = BOOL_WORDS[leaf.fact]
            text = self._(yes if (leaf.op == "eq") == bool(leaf.value) else no)
        elif leaf.op == "within_days":
            text = self._("%(fact)s within the last %(period)s") % {
                "fact": self._(FACT_WORDS[leaf.fact]),
                "period": period(int(leaf.value), self._),
            }
        elif leaf.op == "between":
            low, high = leaf.value
            text = self._("%(fact)s between %(low)s and %(high)s") % {
                "fact": self._(FACT_WORDS[leaf.fact]),
                "low": _number(low, self.lang),
                "high": self.value(leaf.fact, high),
            }
        else:
            values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
            text = self._(_COMPARE[leaf.op]) % {
                "fact": self._(FACT_WORDS[leaf.fact]),
                "value": ", ".join(self.value(leaf.fact, v) for v in values),
            }
        if leaf.window_days is None and leaf.fact in OWN_PERIOD_DAYS:
            text = self._("%(condition)s in the %(period)s before the assessment") % {
                "condition": text,
                "period": period(OWN_PERIOD_DAYS[leaf.fact], self._),
            }
        elif leaf.window_days is not None:
            when = {"condition": text, "period": period(leaf.window_days, self._)}
            if leaf.up_to_screening and leaf.op == "within_days":
                text = self._("%(condition)s (as assessed on the screening date)") % when
            elif leaf.up_to_screening:
                text = self._("%(condition)s in the %(period)s before screening") % when
            else:
                text = self._("%(condition)s (recorded in the %(period)s before screening)") % when
        if leaf.supporting:
            text = self._("%(condition)s — supporting evidence only") % {"condition": text}
        return text

    def condition(self, rule: Rule, depth: int = 0) -> Condition:
        if isinstance(rule, Leaf):
            return Condition(self.leaf(rule))
        if depth:
            head = self._(MODE_WORDS[rule.mode])
        elif rule.mode == "any":
            head = self._("Met when any of these holds:")
        else:
            head = self._("Met when all of these hold:")
        return Condition(head, tuple(self.condition(p, depth + 1) for p in rule.parts))

    def windows(self, rule: Rule) -> list[str]:
        out: list[str] = []
        for leaf in leaves(rule):
            if leaf.window_days is None:
                text = self._("any time")
            elif leaf.up_to_screening:
                text = self._(
                    "%(period)s up to the screening date (a “no” counts only when recorded "
                    "on the screening date)"
                ) % {"period": period(leaf.window_days, self._)}
            else:
                text = self._("%(period)s before screening") % {
                    "period": period(leaf.window_days, self._)
                }
            if text not in out:
                out.append(text)
        return out


def leaves(rule: Rule) -> Iterable[Leaf]:
    if isinstance(rule, Leaf):
        yield rule
    else:
        for part in rule.parts:
            yield from leaves(part)


# Trials the shipped criteria cite (reference/clinical.md §8.1), by registry number.
TRIALS = {
    "NCT00683722": "Prochymal (ex vivo cultured adult human MSC) in moderate to severe COPD, "
    "phase 2",
    "NCT03137199": "ASTEC: allogeneic MSC in mild asthma, phase 1",
    "NCT02192736": "Intranasal MSC-derived therapy (MTF) in asthma, phase 1/2",
    "NCT05035862": "γMSC in moderate to severe asthma",
}
CLINICAL_REFERENCE_TITLE = "Clinical reference for Respira: asthma MSC programme"
_VERIFICATION = {
    "V": N_("checked against the source"),
    "K": N_("from knowledge of the source; to be checked against it again"),
    "U": N_("not verified"),
}
_MARKER = re.compile(r"\s*\[(?:(ref):[^\]]*|([KVU])(?:[:\s]\s*([^\]]*))?)\]")
_CITED = re.compile(r"(NCT\d{8})|((?:reference/)?clinical\.md)")


def readable_source(text: str, gettext: Gettext) -> tuple[list[Reference], list[str]]:
    """A source citation without internal markers: its parts (registry numbers linked to
    the registry, Respira's clinical reference named), and how far it was verified."""
    grades: list[str] = []
    for found in _MARKER.finditer(text):
        if found.group(2):
            grade = gettext(_VERIFICATION[found.group(2)])
            if found.group(3):
                grade = gettext("%(grade)s (%(detail)s)") % {
                    "grade": grade,
                    "detail": found.group(3).strip(),
                }
            if grade not in grades:
                grades.append(grade)
    plain = _MARKER.sub("", text)
    parts: list[Reference] = []
    at = 0
    for found in _CITED.finditer(plain):
        if found.start() > at:
            parts.append(Reference(plain[at : found.start()]))
        if found.group(1):
            number = found.group(1)
            parts.append(
                Reference(number, TRIALS.get(number), f"https://clinicaltrials.gov/study/{number}")
            )
        else:
            parts.append(Reference(gettext("Respira clinical reference"), CLINICAL_REFERENCE_TITLE))
        at = found.end()
    if at < len(plain):
        parts.append(Reference(plain[at:]))
    return parts, grades


def readable(criterion: Criterion, lang: str) -> Readable:
    """The criterion in the language ``lang`` (its own description and source are shown
    as the criteria set's author wrote them)."""
    found = i18n.translations(lang)
    words = _Words(lang, found.gettext)
    source, grades = readable_source(criterion.source, found.gettext)
    return Readable(
        id=criterion.id,
        kind=criterion.kind,
        kind_text=found.gettext(KIND_WORDS[criterion.kind]),
        description=criterion.description,
        required=criterion.required,
        recheck_before_infusion=criterion.recheck_before_infusion,
        condition=words.condition(criterion.rule),
        windows=tuple(words.windows(criterion.rule)),
        source=tuple(source),
        verification=tuple(grades),
    )


def readable_set(criteria: CriteriaSet, lang: str) -> list[Readable]:
    return [readable(c, lang) for c in criteria.criteria]


# --- the criteria set as TOML --------------------------------------------------------


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return _toml_string(str(value))


def _rule_toml(rule: Rule, indent: str) -> str:
    if isinstance(rule, Leaf):
        pairs = [("fact", rule.fact), ("op", rule.op), ("value", rule.value)]
        if rule.unit is not None:
            pairs.append(("unit", rule.unit))
        if rule.window_days is not None:
            pairs.append(("window_days", rule.window_days))
        if rule.up_to_screening:
            pairs.append(("up_to_screening", True))
        if rule.supporting:
            pairs.append(("supporting", True))
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in pairs) + " }"
    inner = indent + "  "
    parts = "".join(f"{inner}{_rule_toml(p, inner)},\n" for p in rule.parts)
    return f"{{ {rule.mode} = [\n{parts}{indent}] }}"


def to_toml(criteria: CriteriaSet) -> str:
    """The criteria set as the TOML text ``respira.screening.loader`` reads."""
    out = [
        "# Written by Respira's structured criteria editor.",
        "",
        f"version = {_toml_string(criteria.version)}",
        f"title = {_toml_string(criteria.title)}",
        f"description = {_toml_string(criteria.description)}",
    ]
    for c in criteria.criteria:
        out += ["", "[[criterion]]", f"id = {_toml_string(c.id)}", f"kind = {_toml_string(c.kind)}"]
        if not c.required:
            out.append("required = false")
        out.append(f"description = {_toml_string(c.description)}")
        out.append(f"source = {_toml_string(c.source)}")
        if c.recheck_before_infusion:
            out.append("recheck_before_infusion = true")
        out.append(f"rule = {_rule_toml(c.rule, '')}")
    return "\n".join(out) + "\n"


# --- the structured form of one criterion ----------------------------------------------

MAX_ROWS = 20
BLANK_ROWS = 1
ROW_FIELDS = ("fact", "op", "value", "window", "up", "supporting", "group")
MAX_GROUPS = 3


def _shape(rule: Rule) -> tuple[str, list[tuple[Leaf, int]]] | None:
    """The rule as the form's rows (leaf, sub-group; 0 = none) and how the criterion
    combines them, or None when it nests deeper than the form shows."""
    if isinstance(rule, Leaf):
        return "all", [(rule, 0)]
    rows: list[tuple[Leaf, int]] = []
    group = 0
    for part in rule.parts:
        if isinstance(part, Leaf):
            rows.append((part, 0))
        elif part.mode != rule.mode and all(isinstance(p, Leaf) for p in part.parts):
            group += 1
            if group > MAX_GROUPS:
                return None
            rows += [(p, group) for p in part.parts if isinstance(p, Leaf)]
        else:
            return None
    return rule.mode, rows


def _value_text(leaf: Leaf) -> str:
    def one(v: Any) -> str:
        if isinstance(v, bool):
            return "yes" if v else "no"
        return str(v)

    if isinstance(leaf.value, tuple):
        return "; ".join(one(v) for v in leaf.value)
    return one(leaf.value)


def criterion_form(criterion: Criterion | None) -> dict[str, str]:
    """The form's fields of a criterion (a new one: empty), with one blank row."""
    if criterion is None:
        return {"c_kind": "exclusion", "c_required": "yes", "c_mode": "any", "c_rows": "2"}
    form = {
        "c_id": criterion.id,
        "c_kind": criterion.kind,
        "c_description": criterion.description,
        "c_source": criterion.source,
        "c_required": "yes" if criterion.required else "",
        "c_recheck": "yes" if criterion.recheck_before_infusion else "",
    }
    shape = _shape(criterion.rule)
    if shape is None:
        return {**form, "c_fixed": "yes", "c_mode": "", "c_rows": "0"}
    mode, rows = shape
    form.update(c_mode=mode, c_rows=str(min(MAX_ROWS, len(rows) + BLANK_ROWS)))
    for i, (leaf, group) in enumerate(rows):
        form.update(
            {
                f"r{i}_fact": leaf.fact,
                f"r{i}_op": leaf.op,
                f"r{i}_value": _value_text(leaf),
                f"r{i}_window": "" if leaf.window_days is None else str(leaf.window_days),
                f"r{i}_up": "yes" if leaf.up_to_screening else "",
                f"r{i}_supporting": "yes" if leaf.supporting else "",
                f"r{i}_group": str(group) if group else "",
            }
        )
    return form


def row_count(form: Mapping[str, str]) -> int:
    text = form.get("c_rows", "")
    return max(0, min(MAX_ROWS, int(text))) if text.isdigit() else BLANK_ROWS


_YES = {"yes", "true", "y", "1"}
_NO = {"no", "false", "n", "0"}


class _Problems(dict[str, str]):
    def add(self, field: str, msgid: str, **params: Any) -> None:
        self.setdefault(field, FieldProblem(field, msgid, **params))


def _parse_number(text: str) -> float | int | None:
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    if not is_number(number):
        return None
    if re.fullmatch(r"-?\d+", cleaned):
        return int(cleaned)
    return number


def _split(text: str) -> list[str]:
    parts = text.split(";") if ";" in text else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def _scalar(text: str, fact: str, field: str, gettext: Gettext, problems: _Problems) -> Any:
    spec = FACTS[fact]
    word = text.strip()
    if spec.kind == "number":
        number = _parse_number(word)
        if number is None:
            problems.add(field, HUMAN_MESSAGES["float_parsing"])
            return None
        low, high = THRESHOLD_RANGES.get(fact, (float("-inf"), float("inf")))
        if not low <= number <= high:
            problems.add(
                field,
                N_("Enter a threshold between %(low)s and %(high)s: %(fact)s lies in that range."),
                low=low,
                high=high,
                fact=gettext(FACT_WORDS[fact]),
            )
            return None
        return number
    if spec.kind == "bool":
        lower = word.casefold()
        if lower in _YES or lower == gettext("yes").casefold():
            return True
        if lower in _NO or lower == gettext("no").casefold():
            return False
        problems.add(field, N_("Enter yes or no."))
        return None
    if spec.kind == "enum":
        for choice in spec.choices:
            words = {choice.casefold()}
            if choice in CHOICE_WORDS:
                words.add(gettext(CHOICE_WORDS[choice]).casefold())
            if word.casefold() in words:
                return choice
        problems.add(
            field,
            N_("Enter one of: %(choices)s."),
            choices=", ".join(gettext(CHOICE_WORDS.get(c, c)) for c in spec.choices),
        )
        return None
    if not word:
        problems.add(field, HUMAN_MESSAGES["missing"])
        return None
    return word


def _row(
    form: Mapping[str, str], i: int, gettext: Gettext, problems: _Problems
) -> tuple[Leaf, int] | None:
    get = {k: form.get(f"r{i}_{k}", "").strip() for k in ROW_FIELDS}
    if not get["fact"] and not get["value"]:
        return None  # a blank row
    fact = get["fact"]
    if fact not in FACTS:
        problems.add(f"r{i}_fact", N_("Choose a fact from the list."))
        return None
    spec = FACTS[fact]
    op = get["op"]
    if op not in OPS_BY_KIND[spec.kind]:
        problems.add(
            f"r{i}_op",
            N_("This comparison does not apply to %(fact)s; choose one of: %(ops)s."),
            fact=gettext(FACT_WORDS.get(fact) or BOOL_WORDS[fact][0]),
            ops=", ".join(
                gettext(OPERATOR_WORDS[o]) for o in OPERATOR_WORDS if o in OPS_BY_KIND[spec.kind]
            ),
        )
        return None
    field = f"r{i}_value"
    value: Any
    if not get["value"]:
        problems.add(field, N_("Enter the threshold this condition compares with."))
        return None
    if op == "within_days":
        value = _days(get["value"], field, problems)
    elif op == "between":
        parts = _split(get["value"])
        if len(parts) != 2:
            problems.add(field, N_("Enter two numbers, low and high, for example 18; 65."))
            return None
        value = tuple(_scalar(p, fact, field, gettext, problems) for p in parts)
        if field not in problems and value[0] > value[1]:
            problems.add(field, N_("Enter the lower number first, for example 18; 65."))
    elif op in ("in", "not_in"):
        value = tuple(_scalar(p, fact, field, gettext, problems) for p in _split(get["value"]))
        if not value:
            problems.add(field, N_("Enter one value or more, separated by semicolons."))
    else:
        value = _scalar(get["value"], fact, field, gettext, problems)
    window = _days(get["window"], f"r{i}_window", problems) if get["window"] else None
    up = get["up"] == "yes"
    if up and window is None:
        problems.add(
            f"r{i}_window",
            N_("Enter the window in days: “up to the screening date” needs the window it covers."),
        )
    group = int(get["group"]) if get["group"].isdigit() else 0
    if field in problems or f"r{i}_window" in problems:
        return None
    unit = spec.unit
    return Leaf(fact, op, value, unit, window, up, get["supporting"] == "yes"), min(
        group, MAX_GROUPS
    )


def _days(text: str, field: str, problems: _Problems) -> int | None:
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_WINDOW_DAYS:
        problems.add(
            field, N_("Enter a whole number of days from 1 to %(max)s."), max=MAX_WINDOW_DAYS
        )
        return None
    return int(text)


def _rule_of(mode: str, rows: list[tuple[Leaf, int]], problems: _Problems) -> Rule | None:
    if not rows:
        problems.add("c_rows", N_("Add at least one condition."))
        return None
    other: Any = "all" if mode == "any" else "any"
    members: dict[int, list[Leaf]] = {}
    slots: list[Leaf | int] = []
    for leaf, group in rows:
        if group == 0:
            slots.append(leaf)
            continue
        if group not in members:
            members[group] = []
            slots.append(group)
        members[group].append(leaf)
    filled: list[Rule] = []
    for slot in slots:
        if isinstance(slot, Leaf):
            filled.append(slot)
        else:
            inner = members[slot]
            filled.append(inner[0] if len(inner) == 1 else Group(other, tuple(inner)))
    if len(filled) == 1:
        only = filled[0]
        if isinstance(only, Leaf) and only.supporting:
            problems.add("c_rows", _SUPPORTING)
            return None
        return only
    rule = Group("any" if mode == "any" else "all", tuple(filled))
    if _supporting_misplaced(rule):
        problems.add("c_rows", _SUPPORTING)
        return None
    return rule


_SUPPORTING = N_(
    "A “supporting evidence only” condition must sit in an “any of these” group beside at "
    "least one condition that is not supporting."
)


def _supporting_misplaced(rule: Rule) -> bool:
    if isinstance(rule, Leaf):
        return False
    flags = [isinstance(p, Leaf) and p.supporting for p in rule.parts]
    if any(flags) and (rule.mode == "all" or all(flags)):
        return True
    return any(_supporting_misplaced(p) for p in rule.parts)


def criterion_from_form(
    form: Mapping[str, str],
    *,
    taken_ids: Iterable[str],
    kept_rule: Rule | None,
    gettext: Gettext,
) -> tuple[Criterion | None, dict[str, str]]:
    """The criterion the form describes, or the problems by field (people's sentences,
    translatable). ``taken_ids``: the other criteria's ids; ``kept_rule``: the rule of
    a criterion whose rule the form cannot show (kept as it is)."""
    problems = _Problems()
    cid = form.get("c_id", "").strip()
    if not ID_RE.fullmatch(cid):
        problems.add(
            "c_id",
            N_(
                "Enter a short name of lower-case letters, digits and underscores, starting "
                "with a letter, for example recent_infection."
            ),
        )
    elif cid in set(taken_ids):
        problems.add("c_id", N_("Another criterion of this set has this name; choose another."))
    kind = form.get("c_kind", "")
    if kind not in KINDS:
        problems.add("c_kind", HUMAN_MESSAGES["literal_error"])
    description = form.get("c_description", "").strip()
    if not description:
        problems.add("c_description", HUMAN_MESSAGES["missing"])
    elif len(description) > 300:
        problems.add("c_description", HUMAN_MESSAGES["string_too_long"], max_length=300)
    source = form.get("c_source", "").strip()
    if not source:
        problems.add(
            "c_source", N_("Cite where the rule comes from, for example a trial or a guideline.")
        )
    elif len(source) > 1000:
        problems.add("c_source", HUMAN_MESSAGES["string_too_long"], max_length=1000)
    required = form.get("c_required") == "yes"
    if kind == "exclusion" and not required:
        problems.add(
            "c_required",
            N_(
                "An exclusion is always required: unknown data in an exclusion must be "
                "reviewed. For an advisory check choose “Suitability”."
            ),
        )
    rule: Rule | None
    if form.get("c_fixed") == "yes" and kept_rule is not None:
        rule = kept_rule
    else:
        mode = form.get("c_mode", "")
        if mode not in ("any", "all"):
            problems.add("c_mode", HUMAN_MESSAGES["literal_error"])
        rows = [r for i in range(row_count(form)) if (r := _row(form, i, gettext, problems))]
        rule = _rule_of(mode, rows, problems) if not problems else None
    if problems or rule is None:
        return None, dict(problems)
    return (
        Criterion(
            cid,
            kind,
            description,
            source,
            required,
            rule,
            form.get("c_recheck") == "yes",
        ),
        {},
    )


def problem(field: str, msgid: str, **params: Any) -> FieldProblem:
    """A problem of a form's field, for people (translated where it is shown)."""
    return FieldProblem(field, msgid, **params)


def gettext_of(lang: str) -> Gettext:
    found: Gettext = i18n.translations(lang).gettext
    return found


# The fields of the set that travel with every step of the editor.
STATE_FIELDS = ("version", "title", "description", "based_on_id", "activate")


def with_header(criteria: CriteriaSet, state: Mapping[str, str]) -> CriteriaSet:
    """The set with the version, title and description of the editor's form."""
    return dataclasses.replace(
        criteria,
        version=state["version"],
        title=state["title"],
        description=state["description"],
    )


@dataclass(frozen=True)
class Choice:
    value: str
    text: str
    hint: str = ""


def form_choices(lang: str) -> dict[str, Any]:
    """What the criterion form offers, in ``lang``: the kinds, how conditions combine,
    the facts (by where they come from, with their unit and the comparisons that apply),
    the comparisons, and the sub-groups."""
    _ = gettext_of(lang)
    by_origin: dict[str, list[Choice]] = {}
    for name, spec in FACTS.items():
        words = FACT_WORDS.get(name) or BOOL_WORDS[name][0]
        unit = ""
        if spec.unit and spec.unit not in (DAYS,):
            unit = _(UNIT_WORDS[spec.unit]) if spec.unit in UNIT_WORDS else spec.unit
        by_origin.setdefault(spec.origin, []).append(Choice(name, _(words), unit))
    return {
        "kinds": [(k, _(KIND_WORDS[k])) for k in KINDS],
        "modes": [(m, _(MODE_CHOICES[m])) for m in ("any", "all")],
        "facts": [
            (_(ORIGIN_WORDS.get(origin, origin)), sorted(items, key=lambda c: c.text.casefold()))
            for origin, items in by_origin.items()
        ],
        "operators": [(op, _(words)) for op, words in OPERATOR_WORDS.items()],
        "groups": [(str(g), _("sub-group %(num)d") % {"num": g}) for g in range(1, MAX_GROUPS + 1)],
        "units": {
            name: (_(UNIT_WORDS[s.unit]) if s.unit in UNIT_WORDS else s.unit or "")
            for name, s in FACTS.items()
        },
    }


ORIGIN_WORDS = {
    "patient record": N_("Patient record"),
    "diagnostics": N_("Diagnostics"),
    "screening findings": N_("Screening findings"),
}


def header_problems(version: str, title: str, description: str) -> dict[str, str]:
    """What is wrong with a set's version, title and description, by field."""
    problems = _Problems()
    if not VERSION_RE.fullmatch(version):
        problems.add(
            "version",
            N_(
                "Enter a version of 3 to 64 letters, digits, dots, dashes or underscores, "
                "for example clinic-2027.01."
            ),
        )
    if not title:
        problems.add("title", HUMAN_MESSAGES["missing"])
    elif len(title) > 200:
        problems.add("title", HUMAN_MESSAGES["string_too_long"], max_length=200)
    if len(description) > 2000:
        problems.add("description", HUMAN_MESSAGES["string_too_long"], max_length=2000)
    return dict(problems)


def with_criterion(criteria: CriteriaSet, index: int, criterion: Criterion | None) -> CriteriaSet:
    """The set with criterion ``index`` replaced (``None``: removed); an index past the
    end adds it."""
    items = list(criteria.criteria)
    if index >= len(items):
        if criterion is not None:
            items.append(criterion)
    elif criterion is None:
        del items[index]
    else:
        items[index] = criterion
    return dataclasses.replace(criteria, criteria=tuple(items))


# --- the preview of a change ---------------------------------------------------------

PREVIEW_DAYS = 365
PREVIEW_LIMIT = 1000
DECISIONS: tuple[engine.Decision, ...] = ("eligible", "needs_review", "not_eligible")


@dataclass(frozen=True)
class Changed:
    patient_id: int
    name: str
    medical_record_number: str
    current: str
    edited: str


@dataclass(frozen=True)
class Preview:
    """The decisions of the active set and of the edited one for the same patients and
    facts: counts by decision, and the patients whose decision would change."""

    on: dt.date
    current_version: str
    patients: int
    current: dict[str, int]
    edited: dict[str, int]
    changed: tuple[Changed, ...]
    limited: bool


def _active(session: Session) -> CriteriaSet:
    """The active set, read without installing anything (the shipped default when none
    is active yet)."""
    text = session.scalar(
        select(ScreeningCriteriaSet.toml_text).where(ScreeningCriteriaSet.is_active.is_(True))
    )
    return parse_criteria(text or shipped_default_text())


def preview(session: Session, edited: CriteriaSet, on: dt.date) -> Preview:
    """Evaluate the active set and ``edited`` against the facts of today of every
    patient screened in the last ``PREVIEW_DAYS`` days (the most recently screened
    ``PREVIEW_LIMIT``). Reads only."""
    current = _active(session)
    since = on - dt.timedelta(days=PREVIEW_DAYS)
    newest = func.max(Screening.screening_date)
    ids = list(
        session.scalars(
            select(Screening.patient_id)
            .where(Screening.screening_date >= since)
            .group_by(Screening.patient_id)
            .order_by(newest.desc(), Screening.patient_id)
            .limit(PREVIEW_LIMIT + 1)
        ).all()
    )
    limited = len(ids) > PREVIEW_LIMIT
    ids = sorted(ids[:PREVIEW_LIMIT])
    patients = (
        session.scalars(
            select(patients_service.Patient).where(patients_service.Patient.id.in_(ids))
        ).all()
        if ids
        else []
    )
    snaps = clinical_snapshots(session, ids) if ids else {}
    findings: dict[int, ScreeningFindings] = {}
    if ids:
        for row in session.scalars(
            select(ScreeningFindings)
            .where(ScreeningFindings.patient_id.in_(ids))
            .order_by(
                ScreeningFindings.patient_id,
                ScreeningFindings.assessed_on.desc(),
                ScreeningFindings.id.desc(),
            )
        ):
            findings.setdefault(row.patient_id, row)
    counts_now: dict[str, int] = dict.fromkeys(DECISIONS, 0)
    counts_edited: dict[str, int] = dict.fromkeys(DECISIONS, 0)
    changed: list[Changed] = []
    for patient in sorted(patients, key=lambda p: (p.last_name, p.first_name, p.id)):
        gathered = facts.collect(patient, snaps[patient.id], findings.get(patient.id), on)
        now = engine.evaluate(current, gathered, on).decision
        then = engine.evaluate(edited, gathered, on).decision
        counts_now[now] += 1
        counts_edited[then] += 1
        if now != then:
            changed.append(
                Changed(
                    patient.id,
                    f"{patient.first_name} {patient.last_name}",
                    patient.medical_record_number,
                    now,
                    then,
                )
            )
    return Preview(
        on, current.version, len(patients), counts_now, counts_edited, tuple(changed), limited
    )
