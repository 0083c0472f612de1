"""Input checks of a spirometry session: what cannot be a real manoeuvre, and the rules
that tie the fields of a session together.

**Quality checks** reject input that cannot be a real manoeuvre, naming the field:
missing or non-positive volumes; volumes above 15 L or flows above 20 L/s (beyond any
recorded human value, and the usual sign of millilitres typed as litres); height
outside 40–250 cm; and FEV1 above FVC by more than 0.150 L. FEV1 can legitimately
exceed FVC a little, because the reported FEV1 and FVC are each the largest from any
acceptable manoeuvre and may come from different blows; 150 mL is the ATS/ERS 2019
between-manoeuvre repeatability limit for FEV1 and FVC (Graham BL et al. Standardization
of spirometry 2019 update. Am J Respir Crit Care Med 2019;200:e70–88), so a larger
excess cannot be explained by manoeuvre-to-manoeuvre variation. As at the BDR cut-offs,
an excess of exactly 150 mL typed in decimals (3.45 vs 3.30 L, whose binary difference
is 0.15000000000000036) is accepted: the comparison allows 1e-9 L of rounding.

Post-bronchodilator FEV1 and FVC come in pairs (one without the other cannot be
assessed), and GLI-2012 needs an ethnic group while GLI Global takes none (see
:mod:`~respira.science.spirometry.tables`). Two entry points share these rules: the
vectorised validator of :func:`~respira.science.spirometry.interpretation.interpret_arrays`
(and so of ``interpret_session``), which names each record's problems, and
:func:`session_problems`, which gives a data-entry form's ``{field: message}`` for one
session. The FEV1-versus-FVC tolerance and the pairing rule each have one
implementation here (:func:`fev1_exceeds_fvc`, :func:`missing_pair_partner`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, overload

import numpy as np
from numpy.typing import NDArray

from respira.science.spirometry.limits import _ROUNDING
from respira.science.spirometry.tables import (
    ETHNICITIES,
    HEIGHT_RANGE_CM,
    SEXES,
    age_range,
    parameters_for,
    requires_ethnicity,
    takes_ethnicity,
)
from respira.science.texts import N_, Number, Term, Text, number

__all__ = [
    "FEV1_OVER_FVC_TOLERANCE_L",
    "FIELDS",
    "FLOW_MAX_L_S",
    "TEXTS",
    "TOLERANCE_FEV1_OVER_FVC_L",
    "VOLUME_MAX_L",
    "fev1_exceeds_fvc",
    "missing_pair_partner",
    "session_problems",
]

#: FEV1 may exceed FVC by this much (ATS/ERS 2019 repeatability limit, Graham 2019).
FEV1_OVER_FVC_TOLERANCE_L: Final = 0.150
#: The same constant under the name the diagnostics forms use.
TOLERANCE_FEV1_OVER_FVC_L: Final = FEV1_OVER_FVC_TOLERANCE_L
#: Plausibility ceilings: above these a value is not a human lung (or is in mL).
VOLUME_MAX_L: Final = 15.0
FLOW_MAX_L_S: Final = 20.0

#: Every text of the input checks, by code (``respira.science.texts``): a page writes it
#: in its reader's language, the API, the CLI and the CSV error column keep this English.
TEXTS: Final[dict[str, str]] = {
    "spirometry.post_needs_pre": N_(
        "post-bronchodilator values need the pre-bronchodilator values; enter "
        "FEV1 and FVC before the bronchodilator (L)"
    ),
    "spirometry.fev1_pre_required": N_("FEV1 before the bronchodilator is required (L)"),
    "spirometry.fvc_pre_required": N_("FVC before the bronchodilator is required (L)"),
    "spirometry.fev1_post_without_fvc": N_(
        "FEV1 after the bronchodilator is missing but FVC is given (L)"
    ),
    "spirometry.fvc_post_without_fev1": N_(
        "FVC after the bronchodilator is missing but FEV1 is given (L)"
    ),
    "spirometry.fev1_exceeds_fvc_before": N_(
        "FEV1 %(fev1)s L exceeds FVC %(fvc)s L before the bronchodilator by more than "
        "%(tolerance)s L; check both values (FEV1 cannot be larger than FVC)"
    ),
    "spirometry.fev1_exceeds_fvc_after": N_(
        "FEV1 %(fev1)s L exceeds FVC %(fvc)s L after the bronchodilator by more than "
        "%(tolerance)s L; check both values (FEV1 cannot be larger than FVC)"
    ),
    "spirometry.gli_2012_needs_ethnicity": N_("GLI-2012 needs the reference group (ethnicity)"),
    "spirometry.gli_global_takes_no_ethnicity": N_(
        "GLI Global is race-neutral and takes no ethnicity; leave it empty or choose GLI-2012"
    ),
    "spirometry.sex": N_("%(name)s must be M or F, got %(got)s"),
    "spirometry.required_for": N_("%(name)s is required for %(equations)s"),
    "spirometry.ethnicity_unknown": N_(
        "%(name)s must be one of %(choices)s for %(equations)s, got %(got)s"
    ),
    "spirometry.missing": N_("%(name)s is missing"),
    "spirometry.age_outside": N_(
        "%(name)s %(value)s years is outside the %(equations)s range %(low)s–%(high)s years"
    ),
    "spirometry.height_outside": N_(
        "%(name)s %(value)s is outside the plausible range %(low)s–%(high)s cm"
    ),
    "spirometry.pair_partner_missing": N_(
        "%(name)s is missing but %(partner)s is given (post-bronchodilator values come in pairs)"
    ),
    "spirometry.not_positive": N_("%(name)s must be a positive number of %(unit)s, got %(got)s"),
    "spirometry.implausible": N_(
        "%(name)s %(value)s %(unit)s is not a plausible value "
        "(over %(ceiling)s %(unit)s; millilitres entered as litres?)"
    ),
    "spirometry.fev1_over_fvc": N_(
        "%(name)s %(fev1)s L exceeds %(partner)s %(fvc)s L by more than %(tolerance)s L"
    ),
    "spirometry.no_reference_above": N_(
        "%(name)s: %(equations)s has no reference above %(top)s years"
    ),
}


def _text(code: str, **params: Any) -> Text:
    return Text(code, TEXTS[code], **params)


FIELDS: Final = (
    "sex",
    "age",
    "height_cm",
    "ethnicity",
    "fev1_pre_l",
    "fvc_pre_l",
    "fev1_post_l",
    "fvc_post_l",
    "fef2575_pre_l_s",
    "fef75_pre_l_s",
)


@overload
def fev1_exceeds_fvc(fev1_l: float, fvc_l: float) -> bool: ...
@overload
def fev1_exceeds_fvc(
    fev1_l: NDArray[np.float64], fvc_l: NDArray[np.float64]
) -> NDArray[np.bool_]: ...
def fev1_exceeds_fvc(fev1_l: Any, fvc_l: Any) -> Any:
    """Whether FEV1 exceeds FVC by more than :data:`FEV1_OVER_FVC_TOLERANCE_L` (0.150 L).

    The comparison allows 1e-9 L of binary rounding, so an excess of exactly 150 mL
    typed in decimals (3.45 vs 3.30 L, whose binary difference is 0.15000000000000036)
    passes and 151 mL fails. Floats give a bool, arrays a boolean array; NaN (not
    measured) never exceeds.
    """
    return fev1_l - fvc_l > FEV1_OVER_FVC_TOLERANCE_L + _ROUNDING


@overload
def missing_pair_partner(missing: bool, partner_missing: bool) -> bool: ...
@overload
def missing_pair_partner(
    missing: NDArray[np.bool_], partner_missing: NDArray[np.bool_]
) -> NDArray[np.bool_]: ...
def missing_pair_partner(missing: Any, partner_missing: Any) -> Any:
    """Post-bronchodilator FEV1 and FVC come in pairs: whether a value is missing while
    its partner is given (the value's field is then the one at fault). Bools give a
    bool, boolean arrays a boolean array."""
    result = np.logical_and(missing, np.logical_not(partner_missing))
    return result if isinstance(result, np.ndarray) else bool(result)


def _number(value: float) -> Number:
    """A number as a person would write it: no trailing zeros, thousands separated (as
    the diagnostics forms write numbers in their messages)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return Number(value, f"{int(value):,}")
    return Number(value, f"{value:,.4g}" if abs(value) < 1 else f"{value:,.6g}")


def session_problems(
    *,
    fev1_pre_l: float | None,
    fvc_pre_l: float | None,
    fev1_post_l: float | None = None,
    fvc_post_l: float | None = None,
    equations: str,
    ethnicity: str | None = None,
) -> dict[str, str]:
    """The cross-field problems of one session as entered in a form, ``{field: message}``.

    Keys are the argument names; ``None`` means not entered. The rules, in this order:
    post-bronchodilator values need both pre-bronchodilator values; FEV1 and FVC before
    the bronchodilator are required; post-bronchodilator values come in pairs
    (:func:`missing_pair_partner`); FEV1 may exceed FVC by at most 0.150 L, before and
    after the bronchodilator (:func:`fev1_exceeds_fvc`; both fields get the message);
    GLI-2012 needs an ethnicity and GLI Global takes none. An empty dict means no
    problem. Single-field ranges and units, and the bronchodilator's name and dose, are
    the form's own checks. Unknown ``equations`` raise ``ValueError``.
    """
    out: dict[str, str] = {}
    has_post = fev1_post_l is not None or fvc_post_l is not None
    if has_post and (fev1_pre_l is None or fvc_pre_l is None):
        msg = _text("spirometry.post_needs_pre")
        if fev1_pre_l is None:
            out["fev1_pre_l"] = msg
        if fvc_pre_l is None:
            out["fvc_pre_l"] = msg
    if fev1_pre_l is None and "fev1_pre_l" not in out:
        out["fev1_pre_l"] = _text("spirometry.fev1_pre_required")
    if fvc_pre_l is None and "fvc_pre_l" not in out:
        out["fvc_pre_l"] = _text("spirometry.fvc_pre_required")
    if missing_pair_partner(fev1_post_l is None, fvc_post_l is None):
        out["fev1_post_l"] = _text("spirometry.fev1_post_without_fvc")
    if missing_pair_partner(fvc_post_l is None, fev1_post_l is None):
        out["fvc_post_l"] = _text("spirometry.fvc_post_without_fev1")
    for phase, suffix, fev1, fvc in (
        ("before", "pre", fev1_pre_l, fvc_pre_l),
        ("after", "post", fev1_post_l, fvc_post_l),
    ):
        if fev1 is not None and fvc is not None and fev1_exceeds_fvc(fev1, fvc):
            msg = _text(
                f"spirometry.fev1_exceeds_fvc_{phase}",
                fev1=_number(fev1),
                fvc=_number(fvc),
                tolerance=number(FEV1_OVER_FVC_TOLERANCE_L),
            )
            out.setdefault(f"fev1_{suffix}_l", msg)
            out.setdefault(f"fvc_{suffix}_l", msg)
    if requires_ethnicity(equations) and ethnicity is None:
        out["ethnicity"] = _text("spirometry.gli_2012_needs_ethnicity")
    if not takes_ethnicity(equations) and ethnicity is not None:
        out["ethnicity"] = _text("spirometry.gli_global_takes_no_ethnicity")
    return out


# --- the vectorised validator of the interpretation ----------------------------------


@dataclass(frozen=True, slots=True)
class _Problem:
    key: str  # one of FIELDS
    scope: str  # "record" (nothing computed), "post" (no BDR) or the FEF field
    index: NDArray[np.intp]
    message: Callable[[int], str]
    out_of_range: bool = False
    note: bool = False  # no reference value for this age: a note for a single session


def _fmt(value: Any) -> Number | str:
    """An input value in a message: a float as ``{:g}``, anything else as its ``repr``."""
    if isinstance(value, float | np.floating):
        return number(float(value))
    return repr(value.item() if isinstance(value, np.generic) else value)


def _validate(
    equations: str,
    data: Mapping[str, NDArray[Any] | None],
    names: Mapping[str, str],
) -> list[_Problem]:
    """Every impossible or missing input, as (field, records, message) groups."""
    problems: list[_Problem] = []

    def add(
        key: str,
        scope: str,
        mask: NDArray[np.bool_],
        message: Callable[[int], str],
        out_of_range: bool = False,
        note: bool = False,
    ) -> None:
        index = np.flatnonzero(mask)
        if index.size:
            problems.append(_Problem(key, scope, index, message, out_of_range, note))

    sex = data["sex"]
    assert sex is not None
    add(
        "sex",
        "record",
        ~np.isin(sex, SEXES),
        lambda i: _text("spirometry.sex", name=Term(names["sex"]), got=_fmt(sex[i])),
    )
    if requires_ethnicity(equations):
        eth = data["ethnicity"]
        if eth is None:
            add(
                "ethnicity",
                "record",
                np.ones(sex.shape, dtype=np.bool_),
                lambda i: _text(
                    "spirometry.required_for",
                    name=Term(names["ethnicity"]),
                    equations=Term(equations),
                ),
            )
        else:
            add(
                "ethnicity",
                "record",
                ~np.isin(eth, ETHNICITIES),
                lambda i: _text(
                    "spirometry.ethnicity_unknown",
                    name=Term(names["ethnicity"]),
                    choices=", ".join(ETHNICITIES),
                    equations=Term(equations),
                    got=_fmt(eth[i]),
                ),
            )
    age = data["age"]
    height = data["height_cm"]
    assert age is not None and height is not None
    ages = age_range(equations, "fev1")
    high_age = ages[1]
    with np.errstate(invalid="ignore"):
        _check_range(
            add, names["age"], "age", age, ages, "spirometry.age_outside", equations=Term(equations)
        )
        _check_range(
            add,
            names["height_cm"],
            "height_cm",
            height,
            HEIGHT_RANGE_CM,
            "spirometry.height_outside",
        )
        _check_pair(add, data, names, "fev1_pre_l", "fvc_pre_l", "record", required=True)
        if data["fev1_post_l"] is not None or data["fvc_post_l"] is not None:
            _check_pair(add, data, names, "fev1_post_l", "fvc_post_l", "post", required=False)
        for key in ("fef2575_pre_l_s", "fef75_pre_l_s"):
            values = data[key]
            if values is None:
                continue
            _check_amount(add, values, names[key], key, key, FLOW_MAX_L_S, "L/s")
            parameter = key.split("_")[0]
            if parameter in parameters_for(equations):
                top = age_range(equations, parameter)[1]
                note = _text(
                    "spirometry.no_reference_above",
                    name=Term(names[key]),
                    equations=Term(equations),
                    top=number(top),
                )
                add(
                    key,
                    key,
                    ~np.isnan(values) & (age > top) & (age <= high_age),
                    _constant(note),
                    note=True,
                )
    return problems


def _constant(text: Text) -> Callable[[int], Text]:
    return lambda _i: text


def _check_amount(
    add: Callable[..., None],
    values: NDArray[np.float64],
    name: str,
    key: str,
    scope: str,
    ceiling: float,
    unit: str,
) -> None:
    add(
        key,
        scope,
        ~np.isnan(values) & ~(values > 0.0),
        lambda i: _text(
            "spirometry.not_positive", name=Term(name), unit=Term(unit), got=_fmt(values[i])
        ),
    )
    add(
        key,
        scope,
        values > ceiling,
        lambda i: _text(
            "spirometry.implausible",
            name=Term(name),
            value=_fmt(values[i]),
            unit=Term(unit),
            ceiling=number(ceiling),
        ),
    )


def _check_range(
    add: Callable[..., None],
    name: str,
    key: str,
    values: NDArray[np.float64],
    limits: tuple[float, float],
    code: str,
    **params: Any,
) -> None:
    """A demographic value that is missing, or outside ``limits`` (inclusive): nothing
    can be computed for the record (``code``: the text that says so, with ``params``)."""
    low, high = limits
    add(key, "record", np.isnan(values), _constant(_missing(name)))
    add(
        key,
        "record",
        ~np.isnan(values) & ~((values >= low) & (values <= high)),
        lambda i: _text(
            code,
            name=Term(name),
            value=_fmt(values[i]),
            low=number(low),
            high=number(high),
            **params,
        ),
        out_of_range=True,
    )


def _check_pair(
    add: Callable[..., None],
    data: Mapping[str, NDArray[Any] | None],
    names: Mapping[str, str],
    fev1_key: str,
    fvc_key: str,
    scope: str,
    *,
    required: bool,
) -> None:
    fev1 = data[fev1_key]
    fvc = data[fvc_key]
    n = len(data["age"])  # type: ignore[arg-type]
    fev1 = np.full(n, np.nan) if fev1 is None else fev1
    fvc = np.full(n, np.nan) if fvc is None else fvc
    missing_fev1, missing_fvc = np.isnan(fev1), np.isnan(fvc)
    if required:
        add(fev1_key, scope, missing_fev1, lambda i: _missing(names[fev1_key]))
        add(fvc_key, scope, missing_fvc, lambda i: _missing(names[fvc_key]))
    else:
        for key, partner, missing, partner_missing in (
            (fev1_key, fvc_key, missing_fev1, missing_fvc),
            (fvc_key, fev1_key, missing_fvc, missing_fev1),
        ):
            add(
                key,
                scope,
                missing_pair_partner(missing, partner_missing),
                _constant(
                    _text(
                        "spirometry.pair_partner_missing",
                        name=Term(names[key]),
                        partner=Term(names[partner]),
                    )
                ),
            )
    for key, values in ((fev1_key, fev1), (fvc_key, fvc)):
        _check_amount(add, values, names[key], key, scope, VOLUME_MAX_L, "L")
    add(
        fev1_key,
        scope,
        fev1_exceeds_fvc(fev1, fvc),  # 3.45 vs 3.30 L passes
        lambda i: _text(
            "spirometry.fev1_over_fvc",
            name=Term(names[fev1_key]),
            fev1=_fmt(fev1[i]),
            partner=Term(names[fvc_key]),
            fvc=_fmt(fvc[i]),
            tolerance=number(FEV1_OVER_FVC_TOLERANCE_L),
        ),
    )


def _missing(name: str) -> Text:
    return _text("spirometry.missing", name=Term(name))
