"""What comes in: the scenario panel's form, the command line's doses, days and
parameter settings, checked in one place so that the page and ``respira model`` refuse
the same things with the same words (which field, what is wrong).

A refusal is a ``Problem``: an English message (the Babel message id, marked with
``N_``) and its parameters; the page shows it in the reader's language, the command line
in English. Nothing here imports the model (the command line starts fast).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from respira.kit.marks import N_
from respira.kit.texts import Msg, translate

# The choices (the command line's options take these Literal types).
Phenotype = Literal["healthy", "t2-high", "severe"]
Exposure = Literal["perennial", "seasonal", "none"]
Route = Literal["iv", "inhaled"]
Comparison = Literal["none", "anti-il5", "anti-ige"]
Backend = Literal["numpy", "numba", "jax"]
Method = Literal["rk4", "adaptive"]
Start = Literal["default", "chronic"]
PHENOTYPES: tuple[str, ...] = get_args(Phenotype)
EXPOSURES: tuple[str, ...] = get_args(Exposure)
ROUTES: tuple[str, ...] = get_args(Route)
COMPARISONS: tuple[str, ...] = get_args(Comparison)
BACKENDS: tuple[str, ...] = get_args(Backend)
METHODS: tuple[str, ...] = get_args(Method)
STARTS: tuple[str, ...] = get_args(Start)
#: Patients per block of a cohort run (bounds the memory whatever the cohort's size).
DEFAULT_BLOCK = 10_000

#: The page runs one year (spec §8: "one patient-year"), so that it answers in < 1 s.
PAGE_DAYS = 365
#: One dose on the page: 0 to 100 million cells per kg (the clinic's IV courses give
#: 1-2 ×10⁶/kg, ARDS trials up to 10 ×10⁶/kg: reference/clinical.md §5.3; the spec's
#: reference scenarios go to 40 ×10⁶/kg).
MAX_DOSE = 100.0
MAX_DOSES = 12
#: The days the page's table shows (and a year's end).
TABLE_DAYS: tuple[int, ...] = (0, 3, 7, 14, 28, 56, 91, 182, 273, 365)

BAD_CHOICE = N_("Choose one of the offered options.")
NOT_A_NUMBER = N_("Enter a number, for example 2 or 1.5.")
NEGATIVE_DOSE = N_("A dose cannot be negative (%(amount)s was entered).")
DOSE_TOO_LARGE = N_("Enter at most %(max)s million cells per kg for one dose.")
DAYS_FORMAT = N_("Enter the days as whole numbers separated by commas, for example 0,7.")
DAY_OUTSIDE = N_("Day %(day)s is outside the simulated time (day 0 to day %(last)s).")
TOO_MANY_DOSES = N_("Enter at most %(max)s doses.")
NO_DOSE_DAYS = N_("Enter the day of at least one dose, or set the dose to 0.")


@dataclass(frozen=True)
class Problem:
    """A refusal: the message id and its parameters (already formatted as text)."""

    message: str
    params: Mapping[str, str] = field(default_factory=dict)

    def text(self, gettext: Callable[[str], str] = str) -> str:
        return translate(Msg(self.message, **self.params), gettext)


class ModelInputError(ValueError):
    """Input the model refuses: ``problems`` maps each field (or option) to its
    ``Problem``; ``str()`` is the English text naming them."""

    def __init__(self, problems: Mapping[str, Problem]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {p.text()}" for k, p in self.problems.items()))


def number_text(value: float) -> str:
    """A number as a person writes it: 7, not 7.0; 1.5 stays 1.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def check_dose(amount: float, max_dose: float | None = MAX_DOSE) -> Problem | None:
    """A dose of 0 or more ×10⁶ cells/kg (at most ``max_dose`` where one is given)."""
    if math.isnan(amount):
        return Problem(NOT_A_NUMBER)
    if amount < 0:
        return Problem(NEGATIVE_DOSE, {"amount": number_text(amount)})
    if max_dose is not None and amount > max_dose:
        return Problem(DOSE_TOO_LARGE, {"max": number_text(max_dose)})
    return None


def check_day(day: float, last: float) -> Problem | None:
    """A dose or output day must lie in the run: from day 0 to its last day."""
    if math.isnan(day) or not 0 <= day <= last:
        return Problem(DAY_OUTSIDE, {"day": number_text(day), "last": number_text(last)})
    return None


def parse_number(text: str) -> float:
    """A decimal as typed, with a point or (German, Russian) a comma; NaN if it is none."""
    cleaned = text.strip().replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def parse_day_list(text: str) -> list[float] | None:
    """``"0, 7 28"`` → [0, 7, 28] (whole numbers, any of , ; or spaces between); None
    when a piece is not a whole number."""
    pieces = [p for p in re.split(r"[,;\s]+", text.strip()) if p]
    if not all(re.fullmatch(r"-?\d{1,6}", p) for p in pieces):
        return None
    return [float(p) for p in pieces]


# --- the page's scenario panel ---------------------------------------------------------


@dataclass(frozen=True)
class ScenarioForm:
    """The scenario panel: a patient of a phenotype at their chronic state (spec §7),
    an allergen exposure, MSC doses of ``amount`` ×10⁶ cells/kg on ``dose_days`` by
    ``route``, and optionally a non-MSC comparison, over one year."""

    phenotype: str = "t2-high"
    exposure: str = "perennial"
    route: str = "iv"
    amount: float = 2.0
    dose_days: tuple[float, ...] = (0.0,)
    comparison: str = "none"

    @property
    def doses(self) -> tuple[tuple[float, float], ...]:
        """(day, amount) of every dose; none when the amount is 0."""
        if self.amount == 0:
            return ()
        return tuple((day, self.amount) for day in sorted(self.dose_days))

    @property
    def treated(self) -> bool:
        return bool(self.doses) or self.comparison != "none"

    def as_query(self) -> dict[str, str]:
        return {
            "phenotype": self.phenotype,
            "exposure": self.exposure,
            "route": self.route,
            "amount": number_text(self.amount),
            "dose_days": ",".join(number_text(d) for d in self.dose_days),
            "comparison": self.comparison,
        }


FORM_FIELDS = tuple(ScenarioForm().as_query())


def _choice(data: Mapping[str, str], name: str, choices: Sequence[str], default: str) -> Any:
    value = data.get(name, "").strip() or default
    return value if value in choices else None


def read_scenario(data: Mapping[str, str]) -> tuple[ScenarioForm | None, dict[str, Problem]]:
    """The panel's query parameters as a scenario, or the problems field by field (an
    absent field takes its default: the page's first visit has none)."""
    default = ScenarioForm()
    problems: dict[str, Problem] = {}
    values: dict[str, Any] = {}
    for name, choices in (
        ("phenotype", PHENOTYPES),
        ("exposure", EXPOSURES),
        ("route", ROUTES),
        ("comparison", COMPARISONS),
    ):
        values[name] = _choice(data, name, choices, getattr(default, name))
        if values[name] is None:
            problems[name] = Problem(BAD_CHOICE)
    amount_text = data.get("amount", "").strip()
    amount = parse_number(amount_text) if amount_text else default.amount
    problem = check_dose(amount)
    if problem:
        problems["amount"] = problem
    days_text = data.get("dose_days")
    days = parse_day_list(days_text) if days_text is not None else list(default.dose_days)
    if days is None:
        problems["dose_days"] = Problem(DAYS_FORMAT)
    elif len(days) > MAX_DOSES:
        problems["dose_days"] = Problem(TOO_MANY_DOSES, {"max": str(MAX_DOSES)})
    elif not days and amount > 0 and "amount" not in problems:
        problems["dose_days"] = Problem(NO_DOSE_DAYS)
    else:
        outside = next((p for p in (check_day(d, PAGE_DAYS - 1) for d in days) if p), None)
        if outside:
            problems["dose_days"] = outside
    if problems:
        return None, problems
    assert days is not None
    return ScenarioForm(amount=amount, dose_days=tuple(days), **values), {}
