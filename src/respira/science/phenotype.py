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

from respira.science.texts import N_, Term, Text, echo, number, text_of

__all__ = [
    "EOSINOPHILIC_ON_OCS_PER_UL",
    "EOSINOPHILIC_PER_UL",
    "FENO_ADULT_AGE_YEARS",
    "PHENOTYPES",
    "PHENOTYPE_VERSION",
    "SPUTUM_EOSINOPHILIC_PCT",
    "T2_EOSINOPHILS_PER_UL",
    "T2_FENO_PPB",
    "TEXTS",
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

_REPEAT_NOTE: Final = N_(
    "GINA: before calling asthma non-type-2, repeat blood eosinophils and FeNO up to "
    "3 times, at the lowest possible oral corticosteroid dose"
)

#: Every text the classification writes (input errors, check names, thresholds, values,
#: notes), by code (``respira.science.texts``): a page writes them in its reader's
#: language, the API and the stored result keep this English.
TEXTS: Final[dict[str, str]] = {
    "phenotype.not_a_number": N_("%(name)s must be a number, got %(got)s"),
    "phenotype.out_of_range": N_("%(name)s must be between 0 and %(upper)s, got %(got)s"),
    "phenotype.age_required": N_("age_years is required (FeNO cut-offs depend on it)"),
    "phenotype.not_true_or_false": N_("%(name)s must be True or False, got %(got)s"),
    "phenotype.sensitisation_not_true_or_false": N_(
        "sensitisation to %(allergen)s: positive must be True or False"
    ),
    "phenotype.check.eosinophilic_blood": N_("eosinophilic: blood eosinophils"),
    "phenotype.check.eosinophilic_sputum": N_("eosinophilic: sputum eosinophils"),
    "phenotype.check.allergic": N_("allergic: positive test to a relevant allergen"),
    "phenotype.check.total_ige": N_("total IgE (supporting, not decisive)"),
    "phenotype.check.signal_blood_eosinophils": N_("type-2 signal: blood eosinophils"),
    "phenotype.check.signal_feno": N_("type-2 signal: FeNO"),
    "phenotype.check.signal_ocs": N_("type-2 signal: maintenance oral corticosteroids"),
    "phenotype.threshold.cells": N_(">= %(threshold)s cells/uL"),
    "phenotype.threshold.cells_on_ocs": N_(">= %(threshold)s cells/uL (on maintenance OCS)"),
    "phenotype.threshold.percent": N_(">= %(threshold)s %%"),
    "phenotype.threshold.ppb": N_(">= %(threshold)s ppb"),
    "phenotype.threshold.allergic": N_("at least one positive skin-prick or specific-IgE test"),
    "phenotype.threshold.ige_unit": N_("IU/mL"),
    "phenotype.threshold.needed": N_("needed"),
    "phenotype.value.none_positive": N_("none positive"),
    "phenotype.note.biologic": N_("on biologic therapy: eosinophils and FeNO may be suppressed"),
    "phenotype.note.repeat": _REPEAT_NOTE,
    "phenotype.note.incomplete": N_("incomplete: %(missing)s could refine this label"),
}


def _text(code: str, **params: Any) -> Text:
    return Text(code, TEXTS[code], **params)


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
    """An impossible biomarker value; ``field`` names it, ``code`` and ``params`` are
    its message's (``TEXTS``)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field
        self.text = message
        self.code, self.params = text_of(message)


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
                {
                    "name": str(c.name),
                    "value": str(c.value) if isinstance(c.value, str) else c.value,
                    "threshold": str(c.threshold),
                    "met": c.met,
                }
                for c in self.checks
            ],
            "missing": list(self.missing),
            "feno_band": self.feno_band,
            "notes": [str(note) for note in self.notes],
            "version": self.version,
        }


def _number(name: str, value: object, *, upper: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PhenotypeInputError(
            _text("phenotype.not_a_number", name=Term(name), got=echo(value)), field=name
        )
    found = float(value)
    if math.isnan(found):
        return None
    if not 0.0 <= found <= upper:
        raise PhenotypeInputError(
            _text("phenotype.out_of_range", name=Term(name), upper=number(upper), got=echo(value)),
            field=name,
        )
    return found


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
        raise PhenotypeInputError(_text("phenotype.age_required"), field="age_years")
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
                _text("phenotype.not_true_or_false", name=Term(flag_name), got=repr(flag)),
                field=flag_name,
            )
    tests = list(sensitisations or ())
    for test in tests:
        if not isinstance(test.positive, bool):
            raise PhenotypeInputError(
                _text("phenotype.sensitisation_not_true_or_false", allergen=repr(test.allergen)),
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
            _text("phenotype.check.eosinophilic_blood"),
            eos,
            _text(
                "phenotype.threshold.cells_on_ocs"
                if on_maintenance_ocs
                else "phenotype.threshold.cells",
                threshold=number(eos_threshold),
            ),
            eos_met,
        )
    )
    sputum_met = None if sputum is None else sputum >= SPUTUM_EOSINOPHILIC_PCT
    if sputum is not None:
        checks.append(
            ThresholdCheck(
                _text("phenotype.check.eosinophilic_sputum"),
                sputum,
                _text("phenotype.threshold.percent", threshold=number(SPUTUM_EOSINOPHILIC_PCT)),
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
            _text("phenotype.check.allergic"),
            ", ".join(positives)
            if positives
            else (None if not tests else _text("phenotype.value.none_positive")),
            _text("phenotype.threshold.allergic"),
            allergic,
        )
    )
    if ige is not None:
        checks.append(
            ThresholdCheck(
                _text("phenotype.check.total_ige"),
                ige,
                _text("phenotype.threshold.ige_unit"),
                None,
            )
        )

    # Type-2 signals.
    signal_eos = None if eos is None else eos >= T2_EOSINOPHILS_PER_UL
    signal_feno = None if feno is None else feno >= T2_FENO_PPB
    checks.append(
        ThresholdCheck(
            _text("phenotype.check.signal_blood_eosinophils"),
            eos,
            _text("phenotype.threshold.cells", threshold=number(T2_EOSINOPHILS_PER_UL)),
            signal_eos,
        )
    )
    checks.append(
        ThresholdCheck(
            _text("phenotype.check.signal_feno"),
            feno,
            _text("phenotype.threshold.ppb", threshold=number(T2_FENO_PPB)),
            signal_feno,
        )
    )
    checks.append(
        ThresholdCheck(
            _text("phenotype.check.signal_ocs"),
            on_maintenance_ocs,
            _text("phenotype.threshold.needed"),
            on_maintenance_ocs,
        )
    )
    any_signal = bool(signal_eos or signal_feno or sputum_met or allergic or on_maintenance_ocs)

    notes: list[Text] = []
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
        notes.append(_text("phenotype.note.biologic"))
    else:
        label = "type-2-low"
        notes.append(_text("phenotype.note.repeat"))
    if label in ("allergic", "eosinophilic", "type-2-high-unclassified") and missing:
        notes.append(_text("phenotype.note.incomplete", missing=Term(", ".join(missing))))
    band = None if feno is None else feno_band(feno, age)
    return Phenotype(label, tuple(checks), tuple(missing), band, tuple(notes))
