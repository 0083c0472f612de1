"""Type-2 inflammatory phenotype of asthma from biomarkers, with its reasons.

Thresholds (programme rules from GINA 2024 and the biologic trials; see
``reference/clinical.md`` §3):

* **Eosinophilic**: blood eosinophils ≥ 300 cells/µL (the eosinophilic stratum of the
  biologic trials, e.g. benralizumab SIROCCO/CALIMA), or ≥ 150 cells/µL in a patient on
  maintenance oral corticosteroids (which suppress eosinophils), or sputum
  eosinophils ≥ 2 % (GINA 2024, severe-asthma guide).
* **Allergic**: a positive skin-prick or specific-IgE test to an allergen the clinician
  recorded as relevant (GINA; the clinician records the tests whose allergen fits the
  history of symptoms on exposure). Total IgE supports the diagnosis but is not
  required (GINA; omalizumab eligibility), so it is shown and never decides.
* **Type-2 signals** ("type-2 inflammation may be present", GINA 2024): blood
  eosinophils ≥ 150 cells/µL, FeNO ≥ 20 ppb, sputum eosinophils ≥ 2 %, allergic
  asthma, or the need for maintenance oral corticosteroids.

Labels:

* ``allergic-eosinophilic``, ``allergic``, ``eosinophilic``: by which of the two rules
  are met.
* ``type-2-high-unclassified``: a type-2 signal is present (e.g. eosinophils 150–299/µL
  off corticosteroids, or FeNO ≥ 20 ppb) but neither rule is met. This is *not*
  type-2-low.
* ``type-2-low``: no type-2 signal, with eosinophils, FeNO and allergy tests all
  available, not on maintenance corticosteroids and not on a biologic. GINA asks for
  up to 3 repeats of eosinophils and FeNO at the lowest possible corticosteroid dose
  before calling asthma non-type-2; the result's ``notes`` say so.
* ``indeterminate``: no rule met, no signal found, and something needed to exclude
  type 2 is missing (listed in ``missing``) or may be suppressed by a biologic.
  Missing markers never yield type-2-low.

A met rule gives its label even when other inputs are missing (an eosinophil count of
400/µL is eosinophilic whatever the allergy tests would show); ``missing`` then lists
what could refine it (e.g. allergic-eosinophilic).

**FeNO band** (Dweik RA et al. An official ATS clinical practice guideline:
interpretation of exhaled nitric oxide levels (FENO) for clinical applications. Am J
Respir Crit Care Med 2011;184:602–15): from age 12, < 25 ppb ``low``, 25–50
``intermediate``, > 50 ``high``; under 12, < 20 ``low``, 20–35 ``intermediate``,
> 35 ``high``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

__all__ = [
    "EOSINOPHILIC_ON_OCS_PER_UL",
    "EOSINOPHILIC_PER_UL",
    "FENO_ADULT_AGE_YEARS",
    "PHENOTYPES",
    "PHENOTYPE_VERSION",
    "SPUTUM_EOSINOPHILIC_PCT",
    "T2_EOSINOPHILS_PER_UL",
    "T2_FENO_PPB",
    "AllergenTest",
    "Phenotype",
    "PhenotypeInputError",
    "ThresholdCheck",
    "classify_phenotype",
    "feno_band",
]

#: Eosinophilic: blood eosinophils at or above this (cells/µL; biologic trials).
EOSINOPHILIC_PER_UL: Final = 300.0
#: Eosinophilic on maintenance OCS: at or above this (cells/µL).
EOSINOPHILIC_ON_OCS_PER_UL: Final = 150.0
#: GINA 2024 type-2 signals.
T2_EOSINOPHILS_PER_UL: Final = 150.0
T2_FENO_PPB: Final = 20.0
SPUTUM_EOSINOPHILIC_PCT: Final = 2.0
#: FeNO bands (Dweik 2011): adult cut-offs from this age, child cut-offs below it.
FENO_ADULT_AGE_YEARS: Final = 12.0
FENO_ADULT_BANDS_PPB: Final = (25.0, 50.0)  # low < 25 ≤ intermediate ≤ 50 < high
FENO_CHILD_BANDS_PPB: Final = (20.0, 35.0)  # low < 20 ≤ intermediate ≤ 35 < high

PHENOTYPES: Final = (
    "allergic-eosinophilic",
    "allergic",
    "eosinophilic",
    "type-2-high-unclassified",
    "type-2-low",
    "indeterminate",
)
PHENOTYPE_VERSION: Final = "respira.science.phenotype 1 (GINA 2024 type-2 rules; Dweik 2011 FeNO)"

_REPEAT_NOTE: Final = (
    "GINA: before calling asthma non-type-2, repeat blood eosinophils and FeNO up to "
    "3 times, at the lowest possible oral corticosteroid dose"
)


class AllergenTestLike(Protocol):
    @property
    def allergen(self) -> str: ...

    @property
    def positive(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class AllergenTest:
    """One skin-prick or specific-IgE test to an allergen recorded as relevant."""

    allergen: str
    positive: bool


class PhenotypeInputError(ValueError):
    """An impossible biomarker value; ``field`` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    """One rule input: its value, the threshold it was held against and the outcome.

    ``met`` is None when the value is missing (or, for supporting values such as
    total IgE, when nothing is decided by it).
    """

    name: str
    value: float | bool | str | None
    threshold: str
    met: bool | None


@dataclass(frozen=True, slots=True)
class Phenotype:
    """The phenotype label and everything that decided it."""

    label: str
    checks: tuple[ThresholdCheck, ...]
    missing: tuple[str, ...]
    feno_band: str | None
    notes: tuple[str, ...] = field(default=())
    version: str = PHENOTYPE_VERSION

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for storing beside the label)."""
        return {
            "label": self.label,
            "checks": [
                {"name": c.name, "value": c.value, "threshold": c.threshold, "met": c.met}
                for c in self.checks
            ],
            "missing": list(self.missing),
            "feno_band": self.feno_band,
            "notes": list(self.notes),
            "version": self.version,
        }


def _number(name: str, value: object, *, upper: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PhenotypeInputError(f"{name} must be a number, got {value!r}", field=name)
    number = float(value)
    if math.isnan(number):
        return None
    if not 0.0 <= number <= upper:
        raise PhenotypeInputError(
            f"{name} must be between 0 and {upper:g}, got {value!r}", field=name
        )
    return number


def feno_band(feno_ppb: float, age_years: float) -> str:
    """``low``, ``intermediate`` or ``high`` for the age (Dweik 2011)."""
    low, high = FENO_ADULT_BANDS_PPB if age_years >= FENO_ADULT_AGE_YEARS else FENO_CHILD_BANDS_PPB
    if feno_ppb < low:
        return "low"
    return "intermediate" if feno_ppb <= high else "high"


def classify_phenotype(
    *,
    age_years: float,
    blood_eosinophils_per_ul: float | None = None,
    feno_ppb: float | None = None,
    total_ige_iu_ml: float | None = None,
    sensitisations: Sequence[AllergenTestLike] | None = None,
    on_maintenance_ocs: bool = False,
    on_biologic: bool = False,
    sputum_eosinophils_pct: float | None = None,
) -> Phenotype:
    """The type-2 phenotype (see the module docstring) with every deciding check.

    ``sensitisations``: the allergy tests done (``allergen``, ``positive``); ``None`` or
    an empty list means none were done. Units: cells/µL, ppb, IU/mL, %.
    """
    age = _number("age_years", age_years, upper=130.0)
    if age is None:
        raise PhenotypeInputError(
            "age_years is required (FeNO cut-offs depend on it)", field="age_years"
        )
    eos = _number("blood_eosinophils_per_ul", blood_eosinophils_per_ul, upper=100_000.0)
    feno = _number("feno_ppb", feno_ppb, upper=1_000.0)
    ige = _number("total_ige_iu_ml", total_ige_iu_ml, upper=100_000.0)
    sputum = _number("sputum_eosinophils_pct", sputum_eosinophils_pct, upper=100.0)
    for flag_name, flag in (
        ("on_maintenance_ocs", on_maintenance_ocs),
        ("on_biologic", on_biologic),
    ):
        if not isinstance(flag, bool):
            raise PhenotypeInputError(
                f"{flag_name} must be True or False, got {flag!r}", field=flag_name
            )
    tests = list(sensitisations or ())
    for test in tests:
        if not isinstance(test.positive, bool):
            raise PhenotypeInputError(
                f"sensitisation to {test.allergen!r}: positive must be True or False",
                field="sensitisations",
            )

    checks: list[ThresholdCheck] = []
    missing: list[str] = []
    if eos is None:
        missing.append("blood_eosinophils_per_ul")
    if feno is None:
        missing.append("feno_ppb")
    if not tests:
        missing.append("sensitisations")

    # Eosinophilic rule.
    eos_threshold = EOSINOPHILIC_ON_OCS_PER_UL if on_maintenance_ocs else EOSINOPHILIC_PER_UL
    eos_met = None if eos is None else eos >= eos_threshold
    checks.append(
        ThresholdCheck(
            "eosinophilic: blood eosinophils",
            eos,
            f">= {eos_threshold:g} cells/uL"
            + (" (on maintenance OCS)" if on_maintenance_ocs else ""),
            eos_met,
        )
    )
    sputum_met = None if sputum is None else sputum >= SPUTUM_EOSINOPHILIC_PCT
    if sputum is not None:
        checks.append(
            ThresholdCheck(
                "eosinophilic: sputum eosinophils",
                sputum,
                f">= {SPUTUM_EOSINOPHILIC_PCT:g} %",
                sputum_met,
            )
        )
    eosinophilic: bool | None
    if eos_met or sputum_met:
        eosinophilic = True
    elif eos_met is None:
        eosinophilic = None
    else:
        eosinophilic = False

    # Allergic rule.
    positives = [t.allergen for t in tests if t.positive]
    allergic: bool | None = bool(positives) if tests else None
    checks.append(
        ThresholdCheck(
            "allergic: positive test to a relevant allergen",
            ", ".join(positives) if positives else (None if not tests else "none positive"),
            "at least one positive skin-prick or specific-IgE test",
            allergic,
        )
    )
    if ige is not None:
        checks.append(ThresholdCheck("total IgE (supporting, not decisive)", ige, "IU/mL", None))

    # Type-2 signals.
    signal_eos = None if eos is None else eos >= T2_EOSINOPHILS_PER_UL
    signal_feno = None if feno is None else feno >= T2_FENO_PPB
    checks.append(
        ThresholdCheck(
            "type-2 signal: blood eosinophils",
            eos,
            f">= {T2_EOSINOPHILS_PER_UL:g} cells/uL",
            signal_eos,
        )
    )
    checks.append(
        ThresholdCheck("type-2 signal: FeNO", feno, f">= {T2_FENO_PPB:g} ppb", signal_feno)
    )
    checks.append(
        ThresholdCheck(
            "type-2 signal: maintenance oral corticosteroids",
            on_maintenance_ocs,
            "needed",
            on_maintenance_ocs,
        )
    )
    any_signal = bool(signal_eos or signal_feno or sputum_met or allergic or on_maintenance_ocs)

    notes: list[str] = []
    if allergic and eosinophilic:
        label = "allergic-eosinophilic"
    elif allergic:
        label = "allergic"
    elif eosinophilic:
        label = "eosinophilic"
    elif any_signal:
        label = "type-2-high-unclassified"
    elif missing:
        label = "indeterminate"
    elif on_biologic:
        label = "indeterminate"
        notes.append("on biologic therapy: eosinophils and FeNO may be suppressed")
    else:
        label = "type-2-low"
        notes.append(_REPEAT_NOTE)
    if label in ("allergic", "eosinophilic", "type-2-high-unclassified") and missing:
        notes.append("incomplete: " + ", ".join(missing) + " could refine this label")
    band = None if feno is None else feno_band(feno, age)
    return Phenotype(label, tuple(checks), tuple(missing), band, tuple(notes))
