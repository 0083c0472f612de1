"""What the interpretation gives back: per-session and per-batch result types.

:class:`SessionInterpretation` (one session, floats and labels) and
:class:`BatchInterpretation` (many records, arrays of small integer codes) hold the
GLI reference values (Quanjer 2012; Bowerman 2023) and the ATS/ERS 2022 pattern,
severity and bronchodilator responsiveness (Stanojevic 2022; Pellegrino 2005 for the
legacy rule) that :mod:`~respira.science.spirometry.interpretation` computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from respira.science.spirometry.limits import below_lln
from respira.science.spirometry.pattern import PATTERNS, SEVERITIES
from respira.science.spirometry.reference import ReferenceResult

__all__ = ["SUMMARY_FIELDS", "BatchInterpretation", "ParameterResult", "SessionInterpretation"]

#: What an interpretation says of a session besides its reference values: the fields of
#: :class:`SessionInterpretation` (and the summary columns of a batch's CSV) that a
#: caller stores or writes out.
SUMMARY_FIELDS: Final = (
    "pattern",
    "severity",
    "bdr",
    "bdr_fev1_pct_pred_change",
    "bdr_fvc_pct_pred_change",
    "bdr_2005",
)


@dataclass(frozen=True, slots=True)
class ParameterResult:
    """One measured parameter against its reference (floats; z-score unitless)."""

    measured: float
    pred: float
    lln: float
    uln: float
    z: float
    pctpred: float

    @property
    def below_lln(self) -> bool:
        """z < −1.645 strictly (:func:`~respira.science.spirometry.limits.below_lln`)."""
        return below_lln(self.z)


@dataclass(frozen=True, slots=True)
class SessionInterpretation:
    """Interpretation of one spirometry session (see :func:`interpret_session`)."""

    equations: str
    equations_version: str
    results: dict[str, ParameterResult]
    pattern: str
    severity: str | None
    bdr: bool | None
    bdr_fev1_pct_pred_change: float | None
    bdr_fvc_pct_pred_change: float | None
    bdr_2005: bool | None
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class BatchInterpretation:
    """Array-level interpretation (see :func:`interpret_arrays`); one entry per record.

    ``results`` maps each parameter of the equation set to its pre-bronchodilator
    :class:`ReferenceResult` (arrays). Codes are small integers so that a million
    records cost little: ``pattern_code`` indexes :data:`PATTERNS`, ``severity_code``
    :data:`SEVERITIES` (−1 none), ``bdr_code``/``bdr_2005_code`` are 1/0/−1 (yes, no,
    not assessed). ``error`` holds ``""`` or the "; "-joined problems of the record;
    ``failed`` marks records with nothing computed. The label properties turn codes
    into object arrays of str/bool/None.
    """

    equations: str
    equations_version: str
    bdr_rule: str
    results: dict[str, ReferenceResult]
    pattern_code: NDArray[np.int8]
    severity_code: NDArray[np.int8]
    bdr_code: NDArray[np.int8]
    bdr_2005_code: NDArray[np.int8]
    bdr_fev1_pct_pred_change: NDArray[np.float64]
    bdr_fvc_pct_pred_change: NDArray[np.float64]
    failed: NDArray[np.bool_]
    error: NDArray[Any]

    @property
    def pattern(self) -> NDArray[Any]:
        return _labels(self.pattern_code, PATTERNS)

    @property
    def severity(self) -> NDArray[Any]:
        return _labels(self.severity_code, SEVERITIES)

    @property
    def bdr(self) -> NDArray[Any]:
        return _labels(self.bdr_code, (False, True))

    @property
    def bdr_2005(self) -> NDArray[Any]:
        return _labels(self.bdr_2005_code, (False, True))

    def errors(self) -> list[tuple[int, str]]:
        """(record index, message) for every record with a problem."""
        return [(int(i), str(self.error[i])) for i in np.flatnonzero(self.error != "")]


def _labels(codes: NDArray[np.int8], labels: tuple[Any, ...]) -> NDArray[Any]:
    table = np.array([*labels, None], dtype=object)  # code −1 → the last entry, None
    return np.take(table, codes.astype(np.intp))
